import {
  CancelledError,
  InputError,
  Rng,
  loadText,
  throwIfAborted,
  type ChatMessage,
  type FinishReason,
  type GenerateOptions,
  type GenerateResult,
  type LanguageModel,
  type NextTokenLogits,
  type StreamChunk,
} from '@llm/core';
import { StopMatcher } from './stop.js';
import { sampleToken } from './sampling.js';

/** Id of `<|endoftext|>`: separates training documents; generating it ends a completion. */
export const EOT_ID = 256;
/** Id of `<|im_start|>` (ChatML). */
export const IM_START_ID = 257;
/** Id of `<|im_end|>` (ChatML); generating it ends an assistant turn. */
export const IM_END_ID = 258;
const SPECIALS: ReadonlyArray<[string, number]> = [['<|endoftext|>', EOT_ID], ['<|im_start|>', IM_START_ID], ['<|im_end|>', IM_END_ID]];
const VOCAB = 259;
/** Base of the numeric n-gram keys: token id + 1 (0 is never used), so 260^6 < 2^53. */
const BASE = VOCAB + 1;
const MAX_ORDER = 6;

/** Options for {@link NgramLanguageModel.train}. */
export interface NgramTrainOptions {
  /** Model id reported to clients. Default `ngram-<order>`. */
  id?: string;
  /** n of the n-gram (2..6). Default 5. */
  order?: number;
  /** Cancel training. */
  signal?: AbortSignal;
  /** Reported context length (prompt + completion tokens). Default 65536. */
  contextLength?: number;
}

/** Followers of one context at one order. */
interface ContextStats {
  tokens: Uint16Array;
  counts: Float64Array;
  total: number;
}

/** Split text into documents: paragraphs separated by blank lines, their lines joined by spaces. */
export function paragraphs(text: string): string[] {
  return text
    .split(/\r?\n[ \t]*\r?\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.length > 0);
}

/**
 * The built-in small language model of `@llm/serve`: a byte-level interpolated Kneser–Ney n-gram
 * model (Chen & Goodman's interpolated KN, one absolute discount per order estimated as
 * `D = n1 / (n1 + 2·n2)`), with three ChatML special tokens on top of the 256 bytes.
 *
 * It is a real model of its training text (by default Jane Austen's novels, bundled with
 * `@llm/core`), trained in seconds, so that the server, its tests and the tour have something
 * genuine to serve before the neural backends are wired. It is not a neural model: it only looks
 * at the last `order - 1` tokens.
 */
export class NgramLanguageModel implements LanguageModel {
  readonly id: string;
  readonly vocabSize = VOCAB;
  readonly contextLength: number;
  /** n of the n-gram. */
  readonly order: number;
  /** Discount per order (index 1..order). */
  readonly discounts: number[];
  /** Number of training tokens. */
  readonly trainingTokens: number;
  private readonly tables: Array<Map<number, ContextStats>>;
  private readonly unigram: Float64Array;
  /** The lowest-order distribution (continuation unigram interpolated with uniform), computed once. */
  private readonly base: Float64Array;

  private constructor(id: string, order: number, contextLength: number, tables: Array<Map<number, ContextStats>>, discounts: number[], unigram: Float64Array, trainingTokens: number) {
    this.id = id;
    this.order = order;
    this.contextLength = contextLength;
    this.tables = tables;
    this.discounts = discounts;
    this.unigram = unigram;
    this.trainingTokens = trainingTokens;
    const d1 = discounts[1]!;
    let total1 = 0;
    let types1 = 0;
    for (let w = 0; w < VOCAB; w++) {
      total1 += unigram[w]!;
      if (unigram[w]! > 0) types1++;
    }
    const lambda1 = (d1 * types1) / total1;
    this.base = new Float64Array(VOCAB);
    for (let w = 0; w < VOCAB; w++) this.base[w] = Math.max(unigram[w]! - d1, 0) / total1 + lambda1 / VOCAB;
  }

  /** Train on the bundled Austen novels (`loadText('austen')`), the first `maxChars` characters. */
  static async trainOnAusten(options: NgramTrainOptions & { maxChars?: number } = {}): Promise<NgramLanguageModel> {
    const text = await loadText('austen');
    return NgramLanguageModel.train(paragraphs(options.maxChars ? text.slice(0, options.maxChars) : text), { id: 'ngram-austen', ...options });
  }

  /**
   * Train on documents; each is followed by `<|endoftext|>` and its contexts are padded on the
   * left with `<|endoftext|>`, so the model learns how documents start and end.
   */
  static train(documents: readonly string[], options: NgramTrainOptions = {}): NgramLanguageModel {
    const order = options.order ?? 5;
    if (!Number.isInteger(order) || order < 2 || order > MAX_ORDER) throw new InputError(`order must be an integer in 2..${MAX_ORDER}, got ${order}`, { field: 'order' });
    if (documents.length === 0) throw new InputError('no training documents');
    const enc = new TextEncoder();
    // counts[k]: n-gram of length k (context k-1 tokens + word) → count, for k = order only;
    // lower orders get continuation counts from the order above.
    const top = new Map<number, number>();
    let tokensSeen = 0;
    const mod = BASE ** (order - 1);
    for (let d = 0; d < documents.length; d++) {
      if ((d & 1023) === 0) throwIfAborted(options.signal);
      const bytes = enc.encode(documents[d]!);
      let ctx = 0; // last order-1 tokens, each id+1, BOS-padded
      for (let i = 0; i < order - 1; i++) ctx = ctx * BASE + (EOT_ID + 1);
      const n = bytes.length + 1;
      for (let i = 0; i < n; i++) {
        const t = i < bytes.length ? bytes[i]! : EOT_ID;
        const key = ctx * BASE + (t + 1);
        top.set(key, (top.get(key) ?? 0) + 1);
        ctx = key % mod;
      }
      tokensSeen += n;
    }
    // Build per-order n-gram counts: order k uses continuation counts N1+(• h w) from order k+1.
    const ngramCounts: Array<Map<number, number>> = new Array(order + 1);
    ngramCounts[order] = top;
    for (let k = order - 1; k >= 1; k--) {
      const cont = new Map<number, number>();
      const m = BASE ** k;
      for (const key of ngramCounts[k + 1]!.keys()) {
        const suffix = key % m;
        cont.set(suffix, (cont.get(suffix) ?? 0) + 1);
      }
      ngramCounts[k] = cont;
    }
    const discounts: number[] = new Array(order + 1).fill(0.75);
    for (let k = 1; k <= order; k++) {
      let n1 = 0;
      let n2 = 0;
      for (const c of ngramCounts[k]!.values()) {
        if (c === 1) n1++;
        else if (c === 2) n2++;
      }
      const d = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0.75;
      discounts[k] = Math.min(0.95, Math.max(0.05, d));
    }
    const unigram = new Float64Array(VOCAB);
    for (const [key, c] of ngramCounts[1]!) unigram[(key % BASE) - 1] = c;
    const tables: Array<Map<number, ContextStats>> = new Array(order + 1);
    for (let k = 2; k <= order; k++) {
      const grouped = new Map<number, { t: number[]; c: number[] }>();
      for (const [key, c] of ngramCounts[k]!) {
        const ctx = Math.floor(key / BASE);
        let g = grouped.get(ctx);
        if (!g) grouped.set(ctx, (g = { t: [], c: [] }));
        g.t.push((key % BASE) - 1);
        g.c.push(c);
      }
      const table = new Map<number, ContextStats>();
      for (const [ctx, g] of grouped) {
        let total = 0;
        for (const c of g.c) total += c;
        table.set(ctx, { tokens: Uint16Array.from(g.t), counts: Float64Array.from(g.c), total });
      }
      tables[k] = table;
      ngramCounts[k]!.clear();
    }
    return new NgramLanguageModel(options.id ?? `ngram-${order}`, order, options.contextLength ?? 65536, tables, discounts, unigram, tokensSeen);
  }

  /** The interpolated KN distribution of the next token after `ids` (sums to 1). */
  probabilities(ids: readonly number[]): Float64Array {
    // Lowest order: continuation unigram, interpolated with the uniform distribution.
    const p = Float64Array.from(this.base);
    // Context tokens, BOS-padded on the left.
    const need = this.order - 1;
    const ctxTokens: number[] = [];
    for (let i = 0; i < need; i++) {
      const j = ids.length - need + i;
      ctxTokens.push(j >= 0 ? ids[j]! : EOT_ID);
    }
    for (let k = 2; k <= this.order; k++) {
      // context of length k-1: the last k-1 tokens
      let ctx = 0;
      for (let i = need - (k - 1); i < need; i++) ctx = ctx * BASE + (ctxTokens[i]! + 1);
      const stats = this.tables[k]!.get(ctx);
      if (!stats) continue; // unseen context: this order equals the order below
      const d = this.discounts[k]!;
      const lambda = (d * stats.tokens.length) / stats.total;
      for (let w = 0; w < VOCAB; w++) p[w]! *= lambda;
      for (let i = 0; i < stats.tokens.length; i++) p[stats.tokens[i]!]! += Math.max(stats.counts[i]! - d, 0) / stats.total;
    }
    return p;
  }

  /** Log-probabilities of the next token (unnormalised scores in the {@link LanguageModel} contract). */
  async nextTokenLogits(ids: readonly number[]): Promise<NextTokenLogits> {
    const p = this.probabilities(ids);
    const logits = new Float32Array(VOCAB);
    for (let i = 0; i < VOCAB; i++) logits[i] = Math.log(p[i]!);
    return { logits };
  }

  /** UTF-8 bytes, with the three special token strings mapped to their ids. */
  tokenize(text: string): number[] {
    const out: number[] = [];
    const enc = new TextEncoder();
    let i = 0;
    while (i < text.length) {
      let next = -1;
      let which: [string, number] | undefined;
      for (const s of SPECIALS) {
        const j = text.indexOf(s[0], i);
        if (j >= 0 && (next < 0 || j < next)) {
          next = j;
          which = s;
        }
      }
      const end = next < 0 ? text.length : next;
      for (const b of enc.encode(text.slice(i, end))) out.push(b);
      if (!which) break;
      out.push(which[1]);
      i = next + which[0].length;
    }
    return out;
  }

  /** Decode ids; special tokens are dropped, invalid UTF-8 becomes U+FFFD. */
  decode(ids: readonly number[]): string {
    return new TextDecoder().decode(Uint8Array.from(ids.filter((t) => t < 256)));
  }

  /**
   * ChatML: `<|im_start|>role\ncontent<|im_end|>\n` per message, then `<|im_start|>assistant\n`
   * when `addGenerationPrompt` is true (the default).
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
    let s = '';
    for (const m of messages) s += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
    if (options.addGenerationPrompt ?? true) s += '<|im_start|>assistant\n';
    return s;
  }

  async generate(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    let text = '';
    const tokens: number[] = [];
    let finishReason: FinishReason = 'length';
    for await (const chunk of this.stream(prompt, options)) {
      text += chunk.text;
      if (chunk.token >= 0) tokens.push(chunk.token);
      if (chunk.finishReason) finishReason = chunk.finishReason;
    }
    return { text, tokens, finishReason, usage: { promptTokens: this.tokenize(prompt).length, completionTokens: tokens.length } };
  }

  /**
   * Stream a completion. Ends at `<|endoftext|>` or `<|im_end|>` (finish `stop`), at a stop string
   * (finish `stop`, the stop string withheld), or after `maxTokens` tokens (finish `length`).
   * Yields to the event loop between tokens so other requests and aborts are served; an aborted
   * signal ends the stream with a {@link CancelledError}.
   */
  async *stream(prompt: string, options: GenerateOptions = {}): AsyncGenerator<StreamChunk> {
    const ids = this.tokenize(prompt);
    const maxTokens = options.maxTokens ?? 256;
    if (ids.length + maxTokens > this.contextLength) {
      throw new InputError(`prompt (${ids.length} tokens) + maxTokens (${maxTokens}) exceeds the context length ${this.contextLength}`, { field: 'max_tokens' });
    }
    const rng = new Rng(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    const decoder = new TextDecoder('utf-8');
    const stop = new StopMatcher(options.stop ?? []);
    const signal = options.signal;
    for (let n = 0; n < maxTokens; n++) {
      // Let the event loop run (other streams, socket closes, timers) between tokens.
      await new Promise<void>((r) => setImmediate(r));
      if (signal?.aborted) throw signal.reason instanceof CancelledError ? signal.reason : new CancelledError('generation cancelled');
      const p = this.probabilities(ids);
      const token = sampleToken(p, options, rng);
      ids.push(token);
      if (token === EOT_ID || token === IM_END_ID) {
        const rest = stop.flush(decoder.decode());
        yield { text: rest, token, finishReason: 'stop' };
        return;
      }
      const piece = decoder.decode(Uint8Array.of(token), { stream: true });
      const r = stop.push(piece);
      if (r.stopped) {
        yield { text: r.text, token, finishReason: 'stop' };
        return;
      }
      if (n === maxTokens - 1) {
        yield { text: r.text + stop.flush(decoder.decode()), token, finishReason: 'length' };
        return;
      }
      yield { text: r.text, token };
    }
  }
}
