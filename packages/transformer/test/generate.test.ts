import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, initBackend, tf } from '@llm/core';
import {
  Gpt2, Llama, T5, TransformerLanguageModel, argmax, generateIds, loadPretrained, processLogits, seq2seqGenerate, softmax, workCounter,
  type CausalLM,
} from '../src/index.js';
import { FIXTURES, reference } from './helpers.js';
import { CharTokenizer } from './toy-tokenizer.js';

beforeAll(async () => { await initBackend(); });

async function collect(model: CausalLM, prompt: number[], opts: Parameters<typeof generateIds>[2]): Promise<number[]> {
  const out: number[] = [];
  for await (const id of generateIds(model, prompt, opts)) out.push(id);
  return out;
}

describe('greedy generation matches PyTorch', () => {
  it('GPT-2 with and without the KV cache', async () => {
    const m = (await loadPretrained(join(FIXTURES, 'gpt2'))) as Gpt2;
    const ref = reference('gpt2');
    const prompt = (ref.input_ids as number[][])[0]!;
    const expected = (ref.greedy_ids as number[]).slice(prompt.length);
    expect(await collect(m, prompt, { maxTokens: expected.length, temperature: 0, eosTokenIds: [] })).toEqual(expected);
    expect(await collect(m, prompt, { maxTokens: expected.length, temperature: 0, eosTokenIds: [], useCache: false })).toEqual(expected);
    m.dispose();
  });

  it('LLaMA (GQA cache stores only the KV heads)', async () => {
    const m = (await loadPretrained(join(FIXTURES, 'llama'))) as Llama;
    const ref = reference('llama');
    const prompt = (ref.input_ids as number[][])[0]!;
    const expected = (ref.greedy_ids as number[]).slice(prompt.length);
    expect(await collect(m, prompt, { maxTokens: expected.length, temperature: 0, eosTokenIds: [] })).toEqual(expected);
    m.dispose();
  });

  it('T5 greedy; beam search with 1 beam is greedy; beams agree with a cache-free beam search', async () => {
    const m = (await loadPretrained(join(FIXTURES, 't5'))) as T5;
    const ref = reference('t5');
    const input = (ref.input_ids as number[][])[0]!;
    const expected = (ref.greedy_ids as number[]).slice(1);
    const greedy = await seq2seqGenerate(m, input, { maxTokens: expected.length, temperature: 0 });
    expect(greedy.ids).toEqual(expected.slice(0, greedy.ids.length));
    const beam = await seq2seqGenerate(m, input, { maxTokens: 6, numBeams: 3, lengthPenalty: 1 });
    const naive = naiveBeam(m, input, 3, 6, 1);
    expect(beam.ids).toEqual(naive.ids);
    expect(beam.score).toBeCloseTo(naive.score, 4);
    // The best beam scores at least as well as the greedy path under the same scoring.
    const g6 = await seq2seqGenerate(m, input, { maxTokens: 6, temperature: 0 });
    expect(beam.score).toBeGreaterThanOrEqual(g6.score / g6.ids.length - 1e-6);
    m.dispose();
  });
});

/** Beam search without cache, recomputing every prefix: an independent check of cache reordering. */
function naiveBeam(m: T5, input: number[], k: number, maxLen: number, lp: number): { ids: number[]; score: number } {
  const enc = m.encode([input]);
  const eos = m.config.eosTokenId;
  let beams = [{ ids: [] as number[], logp: 0 }];
  const done: Array<{ ids: number[]; score: number }> = [];
  for (let step = 0; step < maxLen && beams.length > 0; step++) {
    const cands: Array<{ ids: number[]; logp: number }> = [];
    for (const b of beams) {
      const logits = m.decode([[m.config.decoderStartTokenId, ...b.ids]], enc);
      const last = logits.dataSync().slice(-m.vocabSize);
      const p = softmax(last);
      for (let t = 0; t < m.vocabSize; t++) cands.push({ ids: [...b.ids, t], logp: b.logp + Math.log(p[t]!) });
    }
    cands.sort((a, b) => b.logp - a.logp);
    const next: typeof beams = [];
    for (const c of cands.slice(0, 2 * k)) {
      if (c.ids[c.ids.length - 1] === eos) done.push({ ids: c.ids, score: c.logp / Math.pow(c.ids.length, lp) });
      else next.push(c);
      if (next.length === k) break;
    }
    done.sort((a, b) => b.score - a.score);
    done.length = Math.min(done.length, k);
    const bestLive = next.length ? next[0]!.logp / Math.pow(step + 1, lp) : -Infinity;
    if (next.length === 0 || (done.length >= k && done[done.length - 1]!.score >= bestLive)) { beams = []; break; }
    beams = next;
  }
  for (const b of beams) done.push({ ids: b.ids, score: b.logp / Math.pow(b.ids.length, lp) });
  done.sort((a, b) => b.score - a.score);
  return done[0]!;
}

describe('the KV cache makes a decode step cost independent of the prefix (counted work)', () => {
  it('projection MACs per step are constant with the cache and grow without it', async () => {
    const m = new Gpt2({ vocabSize: 50, nPositions: 64, nEmbd: 16, nLayer: 2, nHead: 2, nInner: 64, activation: 'gelu_new', layerNormEps: 1e-5, dropout: 0 }).initRandom(1);
    const stepMacs = async (prefix: number, useCache: boolean): Promise<number> => {
      const prompt = Array.from({ length: prefix }, (_, i) => (i * 7) % 50);
      const it = generateIds(m, prompt, { maxTokens: 3, temperature: 0, eosTokenIds: [], useCache });
      await it.next(); // prompt + first token
      workCounter.reset();
      await it.next(); // one decode step
      const macs = workCounter.linearMacs;
      await it.return('stop');
      return macs;
    };
    const c5 = await stepMacs(5, true);
    const c40 = await stepMacs(40, true);
    expect(c40).toBe(c5);
    expect(c5).toBeGreaterThan(0);
    const n5 = await stepMacs(5, false);
    const n40 = await stepMacs(40, false);
    expect(n40).toBeGreaterThan(5 * n5);
    expect(n5).toBeGreaterThan(c5);
    m.dispose();
  });
});

describe('logits processing', () => {
  it('repetition penalty divides positive and multiplies negative logits (HF)', () => {
    const out = processLogits(Float32Array.from([2, -2, 1]), [0, 1], [], { repetitionPenalty: 2 });
    expect([...out]).toEqual([1, -4, 1]);
  });
  it('presence penalty, temperature, top-k, top-p', () => {
    expect([...processLogits(Float32Array.from([1, 1]), [0], [0], { presencePenalty: 0.5 })]).toEqual([0.5, 1]);
    expect([...processLogits(Float32Array.from([2, 4]), [], [], { temperature: 2 })]).toEqual([1, 2]);
    const k = processLogits(Float32Array.from([3, 1, 2, 0]), [], [], { topK: 2 });
    expect([...k]).toEqual([3, -Infinity, 2, -Infinity]);
    // probs ≈ [0.643, 0.237, 0.087, 0.032]; top-p 0.8 keeps the two most likely.
    const p = processLogits(Float32Array.from([3, 2, 1, 0]), [], [], { topP: 0.8 });
    expect([...p].map(Number.isFinite)).toEqual([true, true, false, false]);
    expect(argmax(Float32Array.from([1, 5, 5]))).toBe(1);
  });
  it('sampling is deterministic by seed and top-k 1 is greedy', async () => {
    const m = (await loadPretrained(join(FIXTURES, 'gpt2'))) as Gpt2;
    const prompt = [5, 17, 42];
    const a = await collect(m, prompt, { maxTokens: 8, temperature: 1.5, seed: 7, eosTokenIds: [] });
    const b = await collect(m, prompt, { maxTokens: 8, temperature: 1.5, seed: 7, eosTokenIds: [] });
    const c = await collect(m, prompt, { maxTokens: 8, temperature: 1.5, seed: 8, eosTokenIds: [] });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const greedy = await collect(m, prompt, { maxTokens: 8, temperature: 0, eosTokenIds: [] });
    expect(await collect(m, prompt, { maxTokens: 8, temperature: 1, topK: 1, seed: 3, eosTokenIds: [] })).toEqual(greedy);
    m.dispose();
  });
});

describe('TransformerLanguageModel (the LanguageModel spec)', () => {
  const setup = async () => {
    const m = (await loadPretrained(join(FIXTURES, 'gpt2'))) as Gpt2;
    const tok = new CharTokenizer(96, '<|endoftext|>');
    return { m, lm: new TransformerLanguageModel(m, tok, { id: 'gpt2-tiny' }) };
  };

  it('generate = concatenated stream; greedy text is the torch continuation', async () => {
    const { m, lm } = await setup();
    const ref = reference('gpt2');
    const prompt = (ref.input_ids as number[][])[0]!;
    const promptText = new CharTokenizer(96).decode(prompt);
    const res = await lm.generate(promptText, { maxTokens: 10, temperature: 0 });
    expect(res.tokens).toEqual((ref.greedy_ids as number[]).slice(prompt.length));
    expect(res.finishReason).toBe('length');
    expect(res.usage).toEqual({ promptTokens: 7, completionTokens: 10 });
    const chunks = [];
    for await (const c of lm.stream(promptText, { maxTokens: 10, temperature: 0 })) chunks.push(c);
    expect(chunks.map((c) => c.text).join('')).toBe(res.text);
    expect(chunks.map((c) => c.token)).toEqual(res.tokens);
    expect(chunks[chunks.length - 1]!.finishReason).toBe('length');
    m.dispose();
  });

  it('stop strings end generation and are not included, also when streamed', async () => {
    const { m, lm } = await setup();
    const promptText = new CharTokenizer(96).decode([5, 17, 42, 8, 77, 3, 60]);
    const full = await lm.generate(promptText, { maxTokens: 10, temperature: 0 });
    const stop = full.text.slice(2, 4);
    const res = await lm.generate(promptText, { maxTokens: 10, temperature: 0, stop: [stop] });
    expect(res.finishReason).toBe('stop');
    expect(res.text).toBe(full.text.slice(0, full.text.indexOf(stop)));
    let streamed = '';
    for await (const c of lm.stream(promptText, { maxTokens: 10, temperature: 0, stop: [stop] })) streamed += c.text;
    expect(streamed).toBe(res.text);
    m.dispose();
  });

  it('AbortSignal cancels with a CancelledError', async () => {
    const { m, lm } = await setup();
    const ac = new AbortController();
    const it = lm.stream('abc', { maxTokens: 20, temperature: 0, signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    ac.abort();
    await expect(it.next()).rejects.toBeInstanceOf(CancelledError);
    m.dispose();
  });

  it('nextTokenLogits and chat template', async () => {
    const { m, lm } = await setup();
    const { logits } = await lm.nextTokenLogits([5, 17]);
    expect(logits.length).toBe(96);
    const ref = tf.tidy(() => m.forward([[5, 17]]).dataSync().slice(96));
    expect(Array.from(logits)).toEqual(Array.from(ref));
    expect(lm.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    m.dispose();
  });
});
