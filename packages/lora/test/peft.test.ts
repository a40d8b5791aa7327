import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, InputError, readSafetensors, Rng } from '@llm/core';
import { initLoraPair, isTargetModule, loadAdapter, loraConfig, loraParameterCount, mergeWeight, moduleRankAndScale, readTrainingData, saveAdapter, unmergeWeight, type LoraConfig } from '../src/index.js';

const peft = fileURLToPath(new URL('../../../fixtures/reference/peft/', import.meta.url));

describe('PEFT adapter files', () => {
  it('loads an adapter saved by PEFT 0.21 and merges it exactly as PEFT does', async () => {
    const adapter = await loadAdapter(join(peft, 'adapter'));
    const cfg = adapter.config as LoraConfig;
    expect(cfg).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, task_type: 'CAUSAL_LM' });
    expect([...adapter.lora.keys()].sort()).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    const v = adapter.lora.get('model.layers.0.self_attn.v_proj')!;
    expect([v.r, v.inFeatures, v.outFeatures]).toEqual([4, 32, 16]); // GQA: v_proj is [16, 32]
    const { tensors } = await readSafetensors(join(peft, 'llama-base', 'model.safetensors'));
    const base = tensors.get('model.layers.0.self_attn.q_proj.weight')!.data as Float32Array;
    const { scaling } = moduleRankAndScale(cfg, 'model.layers.0.self_attn.q_proj');
    expect(scaling).toBe(2);
    const merged = mergeWeight(base, adapter.lora.get('model.layers.0.self_attn.q_proj')!, scaling);
    const expected = (await readSafetensors(join(peft, 'expected.safetensors'))).tensors.get('merged_q_proj_0')!.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < merged.length; i++) maxDiff = Math.max(maxDiff, Math.abs(merged[i]! - expected[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
    const back = unmergeWeight(merged, adapter.lora.get('model.layers.0.self_attn.q_proj')!, scaling);
    for (let i = 0; i < base.length; i++) expect(Math.abs(back[i]! - base[i]!)).toBeLessThan(1e-5);
  });

  it('round-trips through saveAdapter with PEFT tensor names', async () => {
    const adapter = await loadAdapter(join(peft, 'adapter'));
    const dir = mkdtempSync(join(tmpdir(), 'llm-peft-'));
    await saveAdapter(dir, adapter);
    const { tensors } = await readSafetensors(join(dir, 'adapter_model.safetensors'));
    const original = (await readSafetensors(join(peft, 'adapter', 'adapter_model.safetensors'))).tensors;
    expect([...tensors.keys()].sort()).toEqual([...original.keys()].sort());
    const again = await loadAdapter(dir);
    expect(Array.from(again.lora.get('model.layers.1.self_attn.v_proj')!.B)).toEqual(Array.from(adapter.lora.get('model.layers.1.self_attn.v_proj')!.B));
  });

  it('matches target modules, rank and alpha patterns like PEFT', () => {
    const c = loraConfig({ r: 8, lora_alpha: 16, target_modules: ['q_proj', 'v_proj'], rank_pattern: { 'layers\\.1\\.self_attn\\.q_proj': 2 }, alpha_pattern: { v_proj: 4 } });
    expect(isTargetModule(c, 'model.layers.0.self_attn.q_proj')).toBe(true);
    expect(isTargetModule(c, 'model.layers.0.self_attn.k_proj')).toBe(false);
    expect(isTargetModule(c, 'model.layers.0.self_attn.xq_proj')).toBe(false);
    expect(isTargetModule({ target_modules: '.*\\.(q|k)_proj', exclude_modules: ['model.layers.0.self_attn.k_proj'] }, 'model.layers.1.self_attn.k_proj')).toBe(true);
    expect(isTargetModule({ target_modules: '.*\\.(q|k)_proj', exclude_modules: ['model.layers.0.self_attn.k_proj'] }, 'model.layers.0.self_attn.k_proj')).toBe(false);
    expect(moduleRankAndScale(c, 'model.layers.1.self_attn.q_proj')).toEqual({ r: 2, alpha: 16, scaling: 8 });
    expect(moduleRankAndScale(c, 'model.layers.0.self_attn.v_proj')).toEqual({ r: 8, alpha: 4, scaling: 0.5 });
    expect(moduleRankAndScale({ ...c, use_rslora: true }, 'model.layers.0.self_attn.q_proj').scaling).toBeCloseTo(16 / Math.sqrt(8), 12);
    expect(() => loraConfig({ r: 0, lora_alpha: 16, target_modules: ['q_proj'] })).toThrow(ConfigError);
  });

  it('initialises like PEFT: A within ±1/√in, B zero', () => {
    const p = initLoraPair(new Rng(1), 4, 64, 32);
    expect(Math.max(...p.A.map(Math.abs))).toBeLessThanOrEqual(1 / 8);
    expect(p.B.every((x) => x === 0)).toBe(true);
    expect(loraParameterCount([p])).toBe(4 * (64 + 32));
    expect(Array.from(mergeWeight(new Float32Array(32 * 64).fill(0.5), p, 2)).every((x) => x === 0.5)).toBe(true);
  });
});

describe('training data', () => {
  it('reads prompt/completion and text lines, and names a malformed line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-lora-data-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ok.jsonl'), '{"prompt":"Q: 2+2?\\nA:","completion":" 4"}\n{"text":"plain text"}\n');
    expect(await readTrainingData(join(dir, 'ok.jsonl'))).toEqual([{ prompt: 'Q: 2+2?\nA:', completion: ' 4' }, { text: 'plain text' }]);
    writeFileSync(join(dir, 'bad.jsonl'), '{"prompt":"a","completion":"b"}\n{"prompt":"a"}\n');
    await expect(readTrainingData(join(dir, 'bad.jsonl'))).rejects.toThrow(InputError);
    await expect(readTrainingData(join(dir, 'bad.jsonl'))).rejects.toMatchObject({ location: { line: 2, field: 'completion' } });
    writeFileSync(join(dir, 'json.jsonl'), '{"text": "x"}\n{oops}\n');
    await expect(readTrainingData(join(dir, 'json.jsonl'))).rejects.toMatchObject({ location: { line: 2 } });
  });
});
