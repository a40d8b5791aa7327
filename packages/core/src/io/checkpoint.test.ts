import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, type RngState } from '../rng.js';
import { Checkpointer } from './checkpoint.js';

describe('Checkpointer', () => {
  it('resumes from the latest checkpoint with the same RNG stream, keeping the last N', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-ckpt-'));
    const ck = new Checkpointer<{ rng: RngState; epoch: number }>(dir, { keep: 2 });
    expect(await ck.latest()).toBeUndefined();
    const rng = new Rng(5);
    for (let step = 1; step <= 4; step++) {
      rng.next();
      await ck.save({ step, tensors: { w: { dtype: 'F32', shape: [2], data: new Float32Array([step, -step]) } }, state: { rng: rng.getState(), epoch: step >> 1 } });
    }
    const expectedNext = rng.clone().next();
    const last = await ck.latest();
    expect(last!.step).toBe(4);
    expect(Array.from(last!.tensors.w!.data as Float32Array)).toEqual([4, -4]);
    expect(Rng.fromState(last!.state.rng).next()).toBe(expectedNext);
    expect(readdirSync(dir).filter((d) => d.startsWith('step-')).sort()).toEqual(['step-000000003', 'step-000000004']);
  });

  it('a save that died before updating latest.json leaves the previous checkpoint as latest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-ckpt-'));
    const ck = new Checkpointer(dir);
    await ck.save({ step: 10, tensors: {}, state: { note: 'good' } });
    // A half-written later checkpoint: its folder exists but latest.json was never repointed.
    mkdirSync(join(dir, 'step-000000011'));
    writeFileSync(join(dir, 'step-000000011', 'tensors.safetensors'), 'partial');
    const last = await ck.latest();
    expect(last!.step).toBe(10);
    expect(last!.state).toEqual({ note: 'good' });
  });
});
