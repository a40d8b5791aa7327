/**
 * Token-level generation on top of `CausalLM` / `Seq2SeqLM`:
 *
 * - logits processing in Hugging Face's order: repetition penalty (over the whole context),
 *   presence penalty (over generated tokens), temperature, top-k, top-p;
 * - greedy (temperature 0) or seeded sampling (`Rng` from `@llm/core`);
 * - the KV cache: the prompt is run once, then each step feeds only the newest token;
 * - beam search with length penalty for encoder–decoder models (the cache is reordered with
 *   the beams);
 * - cancellation through `AbortSignal` between steps.
 */
import { InputError, Rng, argmax, tf, throwIfAborted, type Tensor } from '@llm/core';
import type { AsyncCausalLM, CausalLM, Seq2SeqLM } from './model.js';

/** Sampling options (all optional; defaults are "off"). */
export interface SamplingOptions {
  /** 0 = greedy. Default 1. */
  temperature?: number;
  /** Keep the k most likely tokens (0 = off). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches `topP` (1 = off). */
  topP?: number;
  /** HF/CTRL repetition penalty θ: a seen token's logit is divided by θ if positive, multiplied if negative. */
  repetitionPenalty?: number;
  /** OpenAI-style presence penalty: subtracted once from the logit of every token already generated. */
  presencePenalty?: number;
}

/**
 * Apply penalties, temperature, top-k and top-p to a copy of `logits`; filtered tokens become
 * `-Infinity`. `context` is every token so far (prompt + generated); `generated` only the new ones.
 */
export function processLogits(logits: Float32Array, context: readonly number[], generated: readonly number[], options: SamplingOptions = {}): Float32Array {
  const out = Float32Array.from(logits);
  const rp = options.repetitionPenalty ?? 1;
  if (rp !== 1) {
    for (const id of new Set(context)) {
      const v = out[id]!;
      out[id] = v < 0 ? v * rp : v / rp;
    }
  }
  const pp = options.presencePenalty ?? 0;
  if (pp !== 0) for (const id of new Set(generated)) out[id] = out[id]! - pp;
  const temp = options.temperature ?? 1;
  if (temp > 0 && temp !== 1) for (let i = 0; i < out.length; i++) out[i] = out[i]! / temp;
  const k = options.topK ?? 0;
  if (k > 0 && k < out.length) {
    const kth = [...out].sort((a, b) => b - a)[k - 1]!;
    for (let i = 0; i < out.length; i++) if (out[i]! < kth) out[i] = Number.NEGATIVE_INFINITY;
  }
  const p = options.topP ?? 1;
  if (p < 1) {
    // HF: sort ascending, drop the tokens whose cumulative probability stays ≤ 1 − p (keep at least one).
    const probs = softmax(out);
    const order = Array.from(out.keys()).sort((a, b) => probs[a]! - probs[b]!);
    let cum = 0;
    for (let r = 0; r < order.length - 1; r++) {
      cum += probs[order[r]!]!;
      if (cum <= 1 - p) out[order[r]!] = Number.NEGATIVE_INFINITY;
      else break;
    }
  }
  return out;
}

/** Numerically stable softmax of a vector (`-Infinity` entries get probability 0). */
export function softmax(x: ArrayLike<number>): Float64Array {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]!);
  const out = new Float64Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.exp(x[i]! - m);
    out[i] = e;
    s += e;
  }
  for (let i = 0; i < x.length; i++) out[i] = out[i]! / s;
  return out;
}

/** Index of the largest value (first on ties): `@llm/core`'s, re-exported where generation uses it. */
export { argmax };

/** Choose the next token: argmax when temperature is 0, else a draw from the processed distribution. */
export function chooseToken(logits: Float32Array, context: readonly number[], generated: readonly number[], options: SamplingOptions, rng: Rng): number {
  const processed = processLogits(logits, context, generated, options);
  if ((options.temperature ?? 1) === 0) return argmax(processed);
  return rng.categorical(softmax(processed));
}

/** True for models that only give logits asynchronously. */
function isAsync(m: CausalLM | AsyncCausalLM): m is AsyncCausalLM {
  return typeof (m as AsyncCausalLM).lastLogits === 'function';
}

/** Next-token logits after `ids` (one forward pass, no cache); ids are checked against the vocabulary. */
export async function nextTokenLogits(model: CausalLM | AsyncCausalLM, ids: readonly number[]): Promise<Float32Array> {
  if (ids.length === 0) throw new InputError('need at least one token id');
  for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= model.vocabSize) throw new InputError(`token id ${id} is outside the vocabulary (0..${model.vocabSize - 1})`);
  if (ids.length > model.contextLength) throw new InputError(`${ids.length} tokens exceed the context length ${model.contextLength}`);
  if (isAsync(model)) return model.lastLogits(ids);
  const t = tf.tidy(() => {
    const l = model.forward([ids]);
    const [, n, v] = l.shape as [number, number, number];
    return tf.reshape(tf.slice(l, [0, n - 1, 0], [1, 1, v]), [v]);
  });
  const out = (await t.data()) as Float32Array;
  t.dispose();
  return out;
}

/** Options for {@link generateIds}. */
export interface GenerateIdsOptions extends SamplingOptions {
  /** Upper bound on new tokens. Default 32. */
  maxTokens?: number;
  /** Token ids that end generation (included in the output). Default: the model's EOS ids. */
  eosTokenIds?: readonly number[];
  /** Seed for sampling. Default 0. */
  seed?: number;
  /** Cancel between steps (throws `CancelledError`). */
  signal?: AbortSignal;
  /** Use the KV cache (default true); false recomputes the whole prefix each step (for tests). */
  useCache?: boolean;
}

/** Last-position logits `[vocab]` of a `[1, T, vocab]` tensor, as a host array. */
function lastLogits(logits: Tensor): Float32Array {
  const [, t, v] = logits.shape as [number, number, number];
  return tf.tidy(() => tf.slice(logits, [0, t - 1, 0], [1, 1, v]).reshape([v])).dataSync() as Float32Array;
}

/**
 * Generate token ids after `prompt`, one at a time (an async iterator, so callers can stream and
 * stop early). Ends at an EOS id, `maxTokens`, or the model's context length.
 */
export async function* generateIds(model: CausalLM | AsyncCausalLM, prompt: readonly number[], options: GenerateIdsOptions = {}): AsyncGenerator<number, 'stop' | 'length'> {
  if (prompt.length === 0) throw new InputError('the prompt must have at least one token');
  for (const id of prompt) if (!Number.isInteger(id) || id < 0 || id >= model.vocabSize) throw new InputError(`prompt token id ${id} is outside the vocabulary (0..${model.vocabSize - 1})`);
  if (prompt.length > model.contextLength) throw new InputError(`the prompt has ${prompt.length} tokens, more than the context length ${model.contextLength}`);
  const maxTokens = options.maxTokens ?? 32;
  const eos = new Set(options.eosTokenIds ?? model.eosTokenIds);
  const rng = new Rng(options.seed ?? 0).split('sample');
  const asyncModel = isAsync(model) ? model : undefined;
  const useCache = (options.useCache ?? true) && !asyncModel;
  const cache = useCache && !isAsync(model) ? model.newCache() : undefined;
  const context = [...prompt];
  const generated: number[] = [];
  try {
    let feed: number[] = [...prompt];
    for (let step = 0; step < maxTokens; step++) {
      throwIfAborted(options.signal);
      if (context.length >= model.contextLength) return 'length';
      let last: Float32Array;
      if (asyncModel) last = await asyncModel.lastLogits(context);
      else {
        const sync = model as CausalLM;
        const logits = tf.tidy(() => sync.forward([useCache ? feed : context], { cache }));
        last = lastLogits(logits);
        logits.dispose();
      }
      const next = chooseToken(last, context, generated, options, rng);
      context.push(next);
      generated.push(next);
      feed = [next];
      yield next;
      if (eos.has(next)) return 'stop';
      // Let other work (and abort handlers) run between tokens.
      await new Promise<void>((r) => setImmediate(r));
    }
    return 'length';
  } finally {
    cache?.dispose();
  }
}

/** Options for {@link seq2seqGenerate}. */
export interface Seq2SeqOptions extends SamplingOptions {
  maxTokens?: number;
  /** Beams (1 = greedy / sampling). */
  numBeams?: number;
  /** Beam score = sum of log-probs / length^lengthPenalty (HF's default 1). */
  lengthPenalty?: number;
  seed?: number;
  signal?: AbortSignal;
}

/** Result of {@link seq2seqGenerate}: the decoder ids (without the start token) and the beam score. */
export interface Seq2SeqResult {
  ids: number[];
  score: number;
}

/**
 * Encoder–decoder decoding one token at a time (greedy or sampling, with the decoder KV cache and
 * cross-attention keys/values computed once); yields each token, returns why it stopped.
 * `onScore` receives the log-probability of each chosen token under the unprocessed distribution.
 */
export async function* seq2seqIds(model: Seq2SeqLM, inputIds: readonly number[], options: Seq2SeqOptions = {}, onScore?: (logp: number) => void): AsyncGenerator<number, 'stop' | 'length'> {
  if (inputIds.length === 0) throw new InputError('the input must have at least one token');
  for (const id of inputIds) if (!Number.isInteger(id) || id < 0 || id >= model.vocabSize) throw new InputError(`input token id ${id} is outside the vocabulary (0..${model.vocabSize - 1})`);
  const maxTokens = options.maxTokens ?? 32;
  const eos = new Set(model.eosTokenIds);
  const enc = tf.tidy(() => model.encode([inputIds]));
  const rng = new Rng(options.seed ?? 0).split('sample');
  const cache = model.newCache();
  const ids: number[] = [];
  let feed = model.decoderStartTokenId;
  try {
    for (let step = 0; step < maxTokens; step++) {
      throwIfAborted(options.signal);
      const logits = tf.tidy(() => model.decode([[feed]], enc, undefined, cache));
      const last = lastLogits(logits);
      logits.dispose();
      const next = chooseToken(last, ids, ids, options, rng);
      onScore?.(Math.log(softmax(last)[next]!));
      ids.push(next);
      feed = next;
      yield next;
      if (eos.has(next)) return 'stop';
      await new Promise<void>((r) => setImmediate(r));
    }
    return 'length';
  } finally {
    cache.dispose();
    enc.dispose();
  }
}

/**
 * Encoder–decoder generation for one input: greedy/sampling with the cache when `numBeams` is 1,
 * beam search with length penalty otherwise. The EOS token is kept in `ids`.
 */
export async function seq2seqGenerate(model: Seq2SeqLM, inputIds: readonly number[], options: Seq2SeqOptions = {}): Promise<Seq2SeqResult> {
  const numBeams = options.numBeams ?? 1;
  if (numBeams <= 1) {
    const ids: number[] = [];
    let score = 0;
    for await (const id of seq2seqIds(model, inputIds, options, (lp) => { score += lp; })) ids.push(id);
    return { ids, score };
  }
  const enc = tf.tidy(() => model.encode([inputIds]));
  try {
    return await beamSearch(model, enc, numBeams, options.maxTokens ?? 32, options.lengthPenalty ?? 1, new Set(model.eosTokenIds), options.signal);
  } finally {
    enc.dispose();
  }
}

interface Hyp { ids: number[]; logp: number }

async function beamSearch(model: Seq2SeqLM, enc: Tensor, numBeams: number, maxTokens: number, lengthPenalty: number, eos: ReadonlySet<number>, signal: AbortSignal | undefined): Promise<Seq2SeqResult> {
  const encB = tf.keep(tf.tile(enc, [numBeams, 1, 1]));
  const cache = model.newCache();
  const finished: Array<{ ids: number[]; score: number }> = [];
  const scoreOf = (logp: number, len: number): number => logp / Math.pow(len, lengthPenalty);
  // Start with one live beam (the others at −∞ so the first step does not pick duplicates).
  let beams: Hyp[] = Array.from({ length: numBeams }, (_, i) => ({ ids: [], logp: i === 0 ? 0 : Number.NEGATIVE_INFINITY }));
  try {
    for (let step = 0; step < maxTokens; step++) {
      throwIfAborted(signal);
      const feed = beams.map((b) => [b.ids.length === 0 ? model.decoderStartTokenId : b.ids[b.ids.length - 1]!]);
      const logits = tf.tidy(() => tf.logSoftmax(tf.squeeze(model.decode(feed, encB, undefined, cache), [1]), -1));
      const lp = logits.dataSync() as Float32Array;
      logits.dispose();
      const v = model.vocabSize;
      // Top 2·beams candidates over all (beam, token) pairs.
      const cands: Array<{ beam: number; token: number; logp: number }> = [];
      for (let b = 0; b < numBeams; b++) {
        if (!Number.isFinite(beams[b]!.logp)) continue;
        for (let t = 0; t < v; t++) cands.push({ beam: b, token: t, logp: beams[b]!.logp + lp[b * v + t]! });
      }
      cands.sort((a, b) => b.logp - a.logp);
      const next: Array<Hyp & { from: number }> = [];
      for (const c of cands.slice(0, 2 * numBeams)) {
        const ids = [...beams[c.beam]!.ids, c.token];
        if (eos.has(c.token)) finished.push({ ids, score: scoreOf(c.logp, ids.length) });
        else next.push({ ids, logp: c.logp, from: c.beam });
        if (next.length === numBeams) break;
      }
      finished.sort((a, b) => b.score - a.score);
      finished.length = Math.min(finished.length, numBeams);
      // HF's stopping rule: enough finished hypotheses and no live beam can beat the worst of them.
      const bestLive = next.length > 0 ? scoreOf(next[0]!.logp, step + 1) : Number.NEGATIVE_INFINITY;
      if (next.length === 0 || (finished.length >= numBeams && finished[finished.length - 1]!.score >= bestLive)) {
        beams = [];
        break;
      }
      while (next.length < numBeams) next.push({ ids: next[0]!.ids, logp: Number.NEGATIVE_INFINITY, from: next[0]!.from });
      cache.reorder(next.map((n) => n.from));
      beams = next.map(({ ids, logp }) => ({ ids, logp }));
    }
    for (const b of beams) if (Number.isFinite(b.logp)) finished.push({ ids: b.ids, score: scoreOf(b.logp, b.ids.length) });
    finished.sort((a, b) => b.score - a.score);
    const best = finished[0]!;
    return { ids: best.ids, score: best.score };
  } finally {
    cache.dispose();
    encB.dispose();
  }
}
