import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { initBackend } from '@llm/core';
import { loadCausalLM, saveAustenGpt, sampleText, splitTextTail, trainAustenGpt } from '../index.js';

beforeAll(async () => { await initBackend(); });

const text = Array.from({ length: 60 }, (_, i) => `It is a truth universally acknowledged, that a single man in possession of a good fortune ${i % 2 ? 'must be in want of a wife' : 'is rarely in want of a house'}.\n\n`).join('');

describe('Austen GPT task', () => {
  it('splits off the tail as validation', () => {
    const { train, val } = splitTextTail(text);
    expect(train + val).toBe(text);
    expect(val.length).toBeGreaterThan(0);
    expect(val.length).toBeLessThan(text.length / 5);
  });

  it('char-level LLaMA: 15 steps lower the validation loss; saves an HF folder that loadCausalLM reads', async () => {
    const g = await trainAustenGpt({ text, tokenizer: 'char', context: 32, hiddenSize: 32, layers: 1, heads: 2, steps: 15, batchSize: 8, lr: 1e-2, evalEvery: 5, evalWindows: 4 });
    expect(g.tokenizer.vocabSize).toBe(257);
    expect(g.meta.curve.at(-1)!.evalLoss!).toBeLessThan(g.meta.curve[0]!.evalLoss!);
    expect(g.meta.bitsPerChar).toBeGreaterThan(0);
    const s = await sampleText(g, 'It is', { maxTokens: 10 });
    expect(typeof s).toBe('string');
    // A prompt longer than the context still gets a continuation.
    expect((await sampleText(g, 'It is a truth universally acknowledged that'.repeat(2), { maxTokens: 5, temperature: 0 })).length).toBeGreaterThan(0);
    const dir = await mkdtemp(join(tmpdir(), 'lm-'));
    try {
      await saveAustenGpt(dir, g);
      expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).model_type).toBe('llama');
      const back = await loadCausalLM(dir);
      expect(back.vocabSize).toBe(257);
      back.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      g.model.dispose();
    }
  }, 60_000);
});
