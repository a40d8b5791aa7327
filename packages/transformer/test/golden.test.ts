import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llm/core';
import { Bert, Llama, T5, loadPretrained } from '../src/index.js';
import { FIXTURES, maxAbsDiff, reference, type RefTensor } from './helpers.js';

beforeAll(async () => { await initBackend(); });

const TOL = 1e-4;

describe('BERT heads against the PyTorch reference', () => {
  for (const name of ['bert-mlm', 'bert-cls', 'bert-qa']) {
    it(`${name}: hidden states and head logits within 1e-4`, async () => {
      const m = (await loadPretrained(join(FIXTURES, name))) as Bert;
      expect(m).toBeInstanceOf(Bert);
      const ref = reference(name);
      const inputs = { inputIds: ref.input_ids as number[][], tokenTypeIds: ref.token_type_ids as number[][], attentionMask: ref.attention_mask as number[][] };
      const h = m.hiddenStates(inputs);
      expect(maxAbsDiff(h.dataSync(), ref.last_hidden_state as RefTensor)).toBeLessThan(TOL);
      if (name === 'bert-mlm') expect(maxAbsDiff(m.mlmLogits(inputs).dataSync(), ref.logits as RefTensor)).toBeLessThan(TOL);
      if (name === 'bert-cls') {
        const lg = m.classify(inputs);
        expect(lg.shape).toEqual([2, 3]);
        expect(maxAbsDiff(lg.dataSync(), ref.logits as RefTensor)).toBeLessThan(TOL);
        expect(m.config.labels).toEqual(['NEG', 'NEU', 'POS']);
      }
      if (name === 'bert-qa') {
        const { start, end } = m.spanLogits(inputs);
        expect(maxAbsDiff(start.dataSync(), ref.start_logits as RefTensor)).toBeLessThan(TOL);
        expect(maxAbsDiff(end.dataSync(), ref.end_logits as RefTensor)).toBeLessThan(TOL);
      }
      m.dispose();
    });
  }
});

describe('T5 against the PyTorch reference', () => {
  it('encoder states and decoder logits (tied, d_model^-0.5 rescaled) within 1e-4', async () => {
    const m = (await loadPretrained(join(FIXTURES, 't5'))) as T5;
    expect(m).toBeInstanceOf(T5);
    const ref = reference('t5');
    const mask = ref.attention_mask as number[][];
    const enc = m.encode(ref.input_ids as number[][], mask);
    // Encoder rows at padded positions attend to real keys only, so they are well defined too.
    expect(maxAbsDiff(enc.dataSync(), ref.encoder_last_hidden_state as RefTensor)).toBeLessThan(TOL);
    const logits = m.decode(ref.decoder_input_ids as number[][], enc, mask);
    expect(maxAbsDiff(logits.dataSync(), ref.logits as RefTensor)).toBeLessThan(TOL);
    tf.dispose([enc, logits]);
    m.dispose();
  });
});

describe('LLaMA (GQA, RoPE, sharded checkpoint) against the PyTorch reference', () => {
  it('logits within 1e-4 at real (non-padded) positions, left padding included', async () => {
    const m = (await loadPretrained(join(FIXTURES, 'llama'))) as Llama;
    expect(m).toBeInstanceOf(Llama);
    expect(m.config.numKvHeads).toBeLessThan(m.config.numHeads);
    const ref = reference('llama');
    const mask = ref.attention_mask as number[][];
    const logits = m.forward(ref.input_ids as number[][], { attentionMask: mask });
    expect(maxAbsDiff(logits.dataSync(), ref.logits as RefTensor, mask)).toBeLessThan(TOL);
    const h = m.hiddenStates(ref.input_ids as number[][], { attentionMask: mask });
    expect(maxAbsDiff(h.dataSync(), ref.last_hidden_state as RefTensor, mask)).toBeLessThan(TOL);
    tf.dispose([logits, h]);
    m.dispose();
  });
});

describe('Mistral layout (sliding window)', () => {
  it('loads as model_type mistral; the window hides keys older than the window', async () => {
    const { modelFromHfConfig } = await import('../src/index.js');
    const raw = { ...(JSON.parse((await import('node:fs')).readFileSync(join(FIXTURES, 'llama', 'config.json'), 'utf8')) as Record<string, unknown>), model_type: 'mistral', sliding_window: 2 };
    const m = modelFromHfConfig(raw) as Llama;
    expect(m.config.slidingWindow).toBe(2);
    await m.loadWeights(join(FIXTURES, 'llama'));
    // With window 2 the last position sees only itself and one token back in each layer (2 layers: receptive field 3 tokens).
    const a = m.forward([[1, 20, 33, 5, 61]]).dataSync().slice(-64);
    const b = m.forward([[9, 9, 33, 5, 61]]).dataSync().slice(-64);
    expect(Array.from(a)).toEqual(Array.from(b));
    const c = m.forward([[1, 20, 7, 5, 61]]).dataSync().slice(-64);
    expect(Array.from(a)).not.toEqual(Array.from(c));
    m.dispose();
  });
});
