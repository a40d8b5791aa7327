import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, readSafetensors, tf } from '@llm/core';
import { Bert, Gpt2, Llama, T5, generateIds, loadPretrained } from '../src/index.js';

/**
 * Checkpoints written by the REAL Hugging Face transformers 5.17 (`save_pretrained`, see
 * fixtures/README.md): tiny random GPT-2, BERT (three heads), T5 v1.0 and v1.1, LLaMA (GQA, also
 * sharded), with transformers' own logits, hidden states and greedy generations.
 */
const REF = fileURLToPath(new URL('../../../fixtures/reference/hf/', import.meta.url));
const TOL = 1e-4;

async function expected(name: string) {
  const { tensors, metadata } = await readSafetensors(join(REF, name, 'expected.safetensors'));
  const get = (k: string) => tensors.get(k)!.data as Float32Array | BigInt64Array;
  return { get, inputs: JSON.parse(metadata.inputs!) as Record<string, number[][]> };
}

/** Max |a - b| over the rows whose mask is 1 (rows of `width` values, mask flattened [B*T]). */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, mask?: number[][], width = 1): number {
  const keep = mask?.flat();
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (keep && keep[Math.floor(i / width)] === 0) continue;
    m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])));
  }
  return m;
}

beforeAll(async () => { await initBackend(); });

describe('checkpoints saved by the real transformers 5.17', () => {
  it('GPT-2: logits and greedy generation (transformers generated with eos_token_id=None)', async () => {
    const m = (await loadPretrained(join(REF, 'gpt2'))) as Gpt2;
    expect(m).toBeInstanceOf(Gpt2);
    const e = await expected('gpt2');
    const mask = e.inputs.attention_mask!;
    const logits = m.forward(e.inputs.input_ids!, { attentionMask: mask });
    expect(maxDiff(logits.dataSync(), e.get('logits') as Float32Array, mask, 96)).toBeLessThan(TOL);
    const ids: number[] = [];
    for await (const id of generateIds(m, e.inputs.prompt![0]!, { maxTokens: 12, temperature: 0, eosTokenIds: [] })) ids.push(id);
    expect([...e.inputs.prompt![0]!, ...ids]).toEqual(Array.from(e.get('greedy') as BigInt64Array, Number));
    tf.dispose(logits);
    m.dispose();
  });

  for (const name of ['bert-mlm', 'bert-qa', 'bert-cls']) {
    it(`${name}: hidden states and head logits`, async () => {
      const m = (await loadPretrained(join(REF, name))) as Bert;
      expect(m).toBeInstanceOf(Bert);
      const e = await expected(name);
      const inputs = { inputIds: e.inputs.input_ids!, tokenTypeIds: e.inputs.token_type_ids!, attentionMask: e.inputs.attention_mask! };
      expect(maxDiff(m.hiddenStates(inputs).dataSync(), e.get('last_hidden') as Float32Array, inputs.attentionMask, 32)).toBeLessThan(TOL);
      if (name === 'bert-mlm') expect(maxDiff(m.mlmLogits(inputs).dataSync(), e.get('logits') as Float32Array, inputs.attentionMask, 96)).toBeLessThan(TOL);
      if (name === 'bert-cls') expect(maxDiff(m.classify(inputs).dataSync(), e.get('logits') as Float32Array)).toBeLessThan(TOL);
      if (name === 'bert-qa') {
        const { start, end } = m.spanLogits(inputs);
        expect(maxDiff(start.dataSync(), e.get('start_logits') as Float32Array, inputs.attentionMask)).toBeLessThan(TOL);
        expect(maxDiff(end.dataSync(), e.get('end_logits') as Float32Array, inputs.attentionMask)).toBeLessThan(TOL);
      }
      m.dispose();
    });
  }

  for (const name of ['t5', 't5-v1_1']) {
    it(`${name}: encoder states and decoder logits`, async () => {
      const m = (await loadPretrained(join(REF, name))) as T5;
      expect(m).toBeInstanceOf(T5);
      const e = await expected(name);
      const mask = e.inputs.attention_mask!;
      const enc = m.encode(e.inputs.input_ids!, mask);
      expect(maxDiff(enc.dataSync(), e.get('encoder_last_hidden') as Float32Array, mask, 32)).toBeLessThan(TOL);
      const logits = m.decode(e.inputs.decoder_input_ids!, enc, mask);
      expect(maxDiff(logits.dataSync(), e.get('logits') as Float32Array)).toBeLessThan(TOL);
      tf.dispose([enc, logits]);
      m.dispose();
    });
  }

  for (const name of ['llama', 'llama-sharded']) {
    it(`${name}: logits (GQA, RoPE) and greedy generation`, async () => {
      const m = (await loadPretrained(join(REF, name))) as Llama;
      expect(m).toBeInstanceOf(Llama);
      const e = await expected('llama');
      const mask = e.inputs.attention_mask!;
      const logits = m.forward(e.inputs.input_ids!, { attentionMask: mask });
      expect(maxDiff(logits.dataSync(), e.get('logits') as Float32Array, mask, 96)).toBeLessThan(TOL);
      const ids: number[] = [];
      for await (const id of generateIds(m, e.inputs.prompt![0]!, { maxTokens: 12, temperature: 0, eosTokenIds: [] })) ids.push(id);
      expect([...e.inputs.prompt![0]!, ...ids]).toEqual(Array.from(e.get('greedy') as BigInt64Array, Number));
      tf.dispose(logits);
      m.dispose();
    });
  }
});
