import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { initBackend, tf } from '@llm/core';
import { Bert, Gpt2, OnnxCausalLM, TransformerLanguageModel, exportOnnx, loadPretrained } from '../src/index.js';
import { CharTokenizer } from './toy-tokenizer.js';
import { FIXTURES, reference } from './helpers.js';

beforeAll(async () => { await initBackend(); });

const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length]);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!)); return m; };

describe('ONNX export run by onnxruntime-node', () => {
  it('GPT-2: logits equal ours within 1e-4 (batch 2, with an attention mask)', async () => {
    const m = (await loadPretrained(join(FIXTURES, 'gpt2'))) as Gpt2;
    const dir = mkdtempSync(join(tmpdir(), 'tr-onnx-'));
    const [onnxPath] = await exportOnnx(m, dir);
    const session = await ort.InferenceSession.create(onnxPath!);
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask']);
    const ids = (reference('gpt2').input_ids as number[][]);
    const out = await session.run({ input_ids: i64(ids), attention_mask: i64(ids.map((r) => r.map(() => 1))) });
    const ours = tf.tidy(() => m.forward(ids).dataSync());
    expect(out.logits!.dims).toEqual([2, 7, 96]);
    expect(maxDiff(out.logits!.data as Float32Array, ours)).toBeLessThan(1e-4);
    // A different length works too (dynamic axes).
    const short = [[5, 17, 42]];
    const o2 = await session.run({ input_ids: i64(short), attention_mask: i64([[1, 1, 1]]) });
    expect(maxDiff(o2.logits!.data as Float32Array, tf.tidy(() => m.forward(short).dataSync()))).toBeLessThan(1e-4);
    m.dispose();
  });

  it('GPT-2 with KV-cache inputs: prefill with an empty past, then one cached step, equal our logits', async () => {
    const m = (await loadPretrained(join(FIXTURES, 'gpt2'))) as Gpt2;
    const dir = mkdtempSync(join(tmpdir(), 'tr-onnx-kv-'));
    const [onnxPath] = await exportOnnx(m, dir, { kvCache: true });
    const session = await ort.InferenceSession.create(onnxPath!);
    expect(session.inputNames).toContain('past_key_values.1.value');
    expect(session.outputNames).toContain('present.0.key');
    const { nLayer, nHead, nEmbd } = m.config;
    const hd = nEmbd / nHead;
    const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, nHead, 0, hd]);
    const feeds: Record<string, ort.Tensor> = { input_ids: i64([[5, 17, 42, 8]]), attention_mask: i64([[1, 1, 1, 1]]) };
    for (let l = 0; l < nLayer; l++) { feeds[`past_key_values.${l}.key`] = empty(); feeds[`past_key_values.${l}.value`] = empty(); }
    const pre = await session.run(feeds);
    expect(pre['present.0.key']!.dims).toEqual([1, nHead, 4, hd]);
    const step: Record<string, ort.Tensor> = { input_ids: i64([[77]]), attention_mask: i64([[1, 1, 1, 1, 1]]) };
    for (let l = 0; l < nLayer; l++) { step[`past_key_values.${l}.key`] = pre[`present.${l}.key`]!; step[`past_key_values.${l}.value`] = pre[`present.${l}.value`]!; }
    const out = await session.run(step);
    const full = tf.tidy(() => m.forward([[5, 17, 42, 8, 77]]).dataSync());
    expect(maxDiff(pre.logits!.data as Float32Array, full.slice(0, 4 * 96))).toBeLessThan(1e-4);
    expect(maxDiff(out.logits!.data as Float32Array, full.slice(4 * 96))).toBeLessThan(1e-4);
    m.dispose();
  });

  for (const name of ['bert-mlm', 'bert-cls', 'bert-qa']) {
    it(`${name}: outputs equal ours within 1e-4 (padding mask, token types)`, async () => {
      const m = (await loadPretrained(join(FIXTURES, name))) as Bert;
      const dir = mkdtempSync(join(tmpdir(), 'tr-onnx-'));
      const [onnxPath] = await exportOnnx(m, dir);
      const session = await ort.InferenceSession.create(onnxPath!);
      const ref = reference(name);
      const inputs = { inputIds: ref.input_ids as number[][], tokenTypeIds: ref.token_type_ids as number[][], attentionMask: ref.attention_mask as number[][] };
      const out = await session.run({ input_ids: i64(inputs.inputIds), attention_mask: i64(inputs.attentionMask), token_type_ids: i64(inputs.tokenTypeIds) });
      expect(maxDiff(out.last_hidden_state!.data as Float32Array, m.hiddenStates(inputs).dataSync())).toBeLessThan(1e-4);
      if (name === 'bert-mlm') expect(maxDiff(out.logits!.data as Float32Array, m.mlmLogits(inputs).dataSync())).toBeLessThan(1e-4);
      if (name === 'bert-cls') expect(maxDiff(out.logits!.data as Float32Array, m.classify(inputs).dataSync())).toBeLessThan(1e-4);
      if (name === 'bert-qa') {
        const { start, end } = m.spanLogits(inputs);
        expect(maxDiff(out.start_logits!.data as Float32Array, start.dataSync())).toBeLessThan(1e-4);
        expect(maxDiff(out.end_logits!.data as Float32Array, end.dataSync())).toBeLessThan(1e-4);
      }
      m.dispose();
    });
  }

  it('OnnxCausalLM behind TransformerLanguageModel gives the torch greedy continuation', async () => {
    const m = (await loadPretrained(join(FIXTURES, 'gpt2'))) as Gpt2;
    const dir = mkdtempSync(join(tmpdir(), 'tr-onnx-'));
    await exportOnnx(m, dir);
    const onnx = await OnnxCausalLM.load(dir);
    const ref = reference('gpt2');
    const prompt = (ref.input_ids as number[][])[0]!;
    const tok = new CharTokenizer(96);
    const lm = new TransformerLanguageModel(onnx, tok, { id: 'gpt2-onnx' });
    const res = await lm.generate(tok.decode(prompt), { maxTokens: 10, temperature: 0 });
    expect(res.tokens).toEqual((ref.greedy_ids as number[]).slice(prompt.length));
    onnx.dispose();
    // The KV-cache export gives the same continuation, feeding one token per step.
    const dirKv = mkdtempSync(join(tmpdir(), 'tr-onnx-kv-'));
    await exportOnnx(m, dirKv, { kvCache: true });
    const onnxKv = await OnnxCausalLM.load(dirKv);
    expect(onnxKv.hasKvCache).toBe(true);
    const resKv = await new TransformerLanguageModel(onnxKv, tok).generate(tok.decode(prompt), { maxTokens: 10, temperature: 0 });
    expect(resKv.tokens).toEqual(res.tokens);
    onnxKv.dispose();
    m.dispose();
  });
});
