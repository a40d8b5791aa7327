import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { initBackend } from '@llm/core';
import { loadT5, saveT5, t5Generate, trainT5, type ParallelPair } from '../index.js';

beforeAll(async () => { await initBackend(); });

describe('T5 text-to-text task', () => {
  it('trains 15 steps (loss decreases), generates text, and round-trips as an HF T5 folder', async () => {
    const en = ['house', 'dog', 'cat', 'water', 'sun', 'moon', 'bread', 'king'];
    const pairs: ParallelPair[] = ['casa', 'perro', 'gato', 'agua', 'sol', 'luna', 'pan', 'rey'].flatMap((w, i) => ['grande', 'bueno'].map((a, j) => ({ ref: `T 1:${i}${j}`, book: 'T', src: `el ${w} ${a}`, tgt: `the ${['big', 'good'][j]} ${en[i]}` })));
    const t = await trainT5({ pairs, heldOutBooks: [], vocabSize: 300, dModel: 32, heads: 2, layers: 1, dFf: 64, steps: 15, batchSize: 8, lr: 5e-3, evalEvery: 5, evalPairs: 8 });
    expect(t.curve.at(-1)!.evalLoss!).toBeLessThan(t.curve[0]!.evalLoss!);
    const out = await t5Generate(t, 'el perro grande', { beam: 2, maxTokens: 6 });
    expect(typeof out).toBe('string');
    const dir = await mkdtemp(join(tmpdir(), 't5-'));
    try {
      await saveT5(dir, t, { curve: t.curve });
      const back = await loadT5(dir);
      expect(await t5Generate(back, 'el perro grande', { beam: 2, maxTokens: 6 })).toBe(out);
      back.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      t.model.dispose();
    }
  }, 60_000);
});
