import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@llm/core';
import { loadCausalLM, type Llama } from '@llm/transformer';
import { encodeExample, fineTune, loadAdapter, PrefixTuning, PromptTuning, type TrainingExample } from '../src/index.js';
import { chars } from './helpers.js';

const base = fileURLToPath(new URL('../../../fixtures/reference/peft/llama-base/', import.meta.url));

const data: TrainingExample[] = [
  { prompt: 'es: casa en: ', completion: 'house' },
  { prompt: 'es: perro en: ', completion: 'dog' },
  { prompt: 'es: gato en: ', completion: 'cat' },
  { prompt: 'es: agua en: ', completion: 'water' },
  { text: 'the house of the dog' },
];

beforeAll(async () => { await initBackend(); });

describe('fine-tuning methods', () => {
  it('puts no loss on the prompt', () => {
    const e = encodeExample(chars, { prompt: 'ab', completion: 'cd' }, 1, 100);
    expect(e.labels).toEqual([-100, -100, e.ids[2], e.ids[3], 1]);
    expect(encodeExample(chars, { text: 'abcdef' }, undefined, 4).ids.length).toBe(4);
  });

  it('full, LoRA, QLoRA, prompt and prefix tuning all learn; memory and trainable parameters order as expected', async () => {
    const results: Record<string, { first: number; last: number; trainable: number; base: number; total: number }> = {};
    for (const method of ['full', 'lora', 'qlora', 'prompt', 'prefix'] as const) {
      const model = (await loadCausalLM(base)) as Llama;
      const out = mkdtempSync(join(tmpdir(), `llm-ft-${method}-`));
      const total = model.parameterCount();
      const r = await fineTune(model, chars, data, { method, epochs: 8, batchSize: 5, r: 4, alpha: 8, dropout: 0, numVirtualTokens: 4, prefixStd: 0.1, seed: 1, out });
      expect(r.memory.totalParameters).toBe(total);
      results[method] = { first: r.losses[0]!, last: r.losses[r.losses.length - 1]!, trainable: r.memory.trainableParameters, base: r.memory.base, total: r.memory.total };
      expect(r.losses[r.losses.length - 1]!).toBeLessThan(r.losses[0]!);
      expect(existsSync(join(out, 'loss.svg'))).toBe(true);
      expect(existsSync(join(out, 'metrics.jsonl'))).toBe(true);
      if (method === 'lora' || method === 'qlora') expect((await loadAdapter(join(out, 'adapter'))).lora.size).toBe(4);
      if (method === 'prompt') {
        const again = await PromptTuning.load(model, join(out, 'adapter'));
        expect(Array.from(again.embeddings.dataSync())).toEqual(Array.from(r.prompt!.embeddings.dataSync()));
      }
      if (method === 'prefix') {
        const again = await PrefixTuning.load(model, join(out, 'adapter'));
        expect(Array.from(again.embeddings.dataSync())).toEqual(Array.from(r.prefix!.embeddings.dataSync()));
        again.dispose();
      }
      r.lora?.dispose();
      r.prompt?.dispose();
      r.prefix?.dispose();
      model.dispose();
    }
    expect(results.full!.trainable).toBe(2 * 96 * 32 + 2 * (2 * 32 + 32 * 32 * 2 + 2 * 16 * 32 + 3 * 32 * 64) + 32); // every weight of the tiny LLaMA
    expect(results.lora!.trainable).toBe(2 * (4 * (32 + 32) + 4 * (32 + 16)));
    expect(results.prompt!.trainable).toBe(4 * 32);
    expect(results.prefix!.trainable).toBe(4 * 2 * 2 * 16); // 4 virtual tokens × 2 layers × (k, v) × 2 KV heads × 8
    expect(results.lora!.trainable / results.full!.trainable).toBeLessThan(0.1);
    expect(results.qlora!.base).toBeLessThan(results.lora!.base);
    expect(results.qlora!.total).toBeLessThan(results.lora!.total);
    expect(results.lora!.total).toBeLessThan(results.full!.total);
  });
});
