import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, tf } from '@llm/core';
import { crossEntropy, loadCausalLM, type Llama } from '@llm/transformer';
import { compareFineTuning, encodeExample, greedyCompletions, heldOutLoss, PrefixTuning, PromptTuning, verseInstructions, type Completer } from '../src/index.js';
import { chars } from './helpers.js';

const base = fileURLToPath(new URL('../../../fixtures/reference/peft/llama-base/', import.meta.url));

beforeAll(async () => { await initBackend(); });

describe('held-out scoring helpers', () => {
  it('greedy completions are the same batched (left-padded) as one by one, for a model, a soft prompt and a prefix', async () => {
    const model = (await loadCausalLM(base)) as Llama;
    const prompts = ['es: casa en:', 'es: el perro grande en:', 'x'];
    const completers: Completer[] = [model, PromptTuning.create(model, { numVirtualTokens: 3, seed: 1 }), PrefixTuning.create(model, { numVirtualTokens: 2, std: 0.5, seed: 2 })];
    const outs: string[][] = [];
    for (const lm of completers) {
      const batched = await greedyCompletions(lm, chars, prompts, { maxTokens: 6, batchSize: 3 });
      const single = [];
      for (const p of prompts) single.push(...(await greedyCompletions(lm, chars, [p], { maxTokens: 6 })));
      expect(batched).toEqual(single);
      expect(batched.every((s) => s.length === 6)).toBe(true);
      outs.push(batched);
    }
    expect(outs[1]).not.toEqual(outs[0]); // the soft prompt changes what the model says
    // eosId stops a completion: make the first greedy token the end of sequence.
    const first = chars.encode(outs[0]![0]!).ids[0]!;
    expect(await greedyCompletions(model, chars, [prompts[0]!], { maxTokens: 6, eosId: first })).toEqual(['']);
    (completers[1] as PromptTuning).dispose();
    (completers[2] as PrefixTuning).dispose();
    model.dispose();
  });

  it('held-out loss is the mean over completion tokens, however the examples are batched', async () => {
    const model = (await loadCausalLM(base)) as Llama;
    const ex = [{ prompt: 'es: casa en: ', completion: 'house' }, { prompt: 'es: perro en: ', completion: 'dog' }, { text: 'the cat' }];
    const batched = heldOutLoss(model, chars, ex, { eosId: 1, batchSize: 3 });
    let sum = 0;
    let n = 0;
    for (const e of ex) {
      const { ids, labels } = encodeExample(chars, e, 1, 128);
      const targets = labels.slice(1);
      const k = targets.filter((t) => t !== -100).length;
      sum += k * tf.tidy(() => crossEntropy(tf.reshape(model.forward([ids.slice(0, -1)]), [targets.length, 96]), targets).dataSync()[0]!);
      n += k;
    }
    expect(batched).toBeCloseTo(sum / n, 4);
    expect(heldOutLoss(model, chars, ex, { eosId: 1, batchSize: 1 })).toBeCloseTo(sum / n, 4);
    model.dispose();
  });

  it('compareFineTuning scores the base before and each method after, and draws every loss curve', async () => {
    const data = [{ prompt: 'es: casa en: ', completion: 'house' }, { prompt: 'es: perro en: ', completion: 'dog' }, { prompt: 'es: gato en: ', completion: 'cat' }];
    const outDir = mkdtempSync(join(tmpdir(), 'llm-compare-'));
    const seen: string[] = [];
    const rows = await compareFineTuning(base, data, {
      outDir, tokenizer: chars, methods: ['lora', 'prefix'], epochs: 4, batchSize: 3, r: 2, alpha: 4, numVirtualTokens: 2, prefixStd: 0.1, seed: 1,
      evaluate: async (lm, method) => { seen.push(method); return { loss: heldOutLoss(lm, chars, data, { eosId: 1 }) }; },
    });
    expect(seen).toEqual(['base', 'lora', 'prefix']);
    expect(rows.map((r) => r.method)).toEqual(['lora', 'prefix']);
    for (const r of rows) expect(r.after!.loss).toBeLessThan(rows.before!.loss); // trained on these very examples
    expect(readFileSync(join(outDir, 'losses.svg'), 'utf8')).toContain('prefix');
    expect(existsSync(join(outDir, 'comparison.json'))).toBe(true);
  });
});

describe('verse instructions', () => {
  it('builds Spanish→English pairs with the held-out books kept out of training', async () => {
    const { train, test } = await verseInstructions({ train: 50, test: 10, maxWords: 12, seed: 3 });
    expect(train).toHaveLength(50);
    expect(test).toHaveLength(10);
    for (const e of [...train, ...test]) {
      expect(e.prompt).toMatch(/^Spanish: .+\nEnglish:$/);
      expect(e.completion.startsWith(' ')).toBe(true);
      expect(e.completion.trim().split(/\s+/).length).toBeLessThanOrEqual(12);
    }
    const trainPrompts = new Set(train.map((e) => e.prompt));
    expect(test.some((e) => trainPrompts.has(e.prompt))).toBe(false);
    expect(test.every((e) => /^Mark \d+:\d+$/.test(e.ref))).toBe(true);
    expect(train.some((e) => e.ref.startsWith('Mark '))).toBe(false);
    expect((await verseInstructions({ train: 50, test: 10, maxWords: 12, seed: 3 })).train).toEqual(train);
  });
});
