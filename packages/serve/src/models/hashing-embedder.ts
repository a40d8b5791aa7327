import { hashString32, InputError, throwIfAborted, type EmbedOptions, type Embedder } from '@llm/core';

/** Options for {@link HashingEmbedder}. */
export interface HashingEmbedderOptions {
  /** Model id reported to clients. Default `hash-bow-<dimension>`. */
  id?: string;
  /** Vector length. Default 256. */
  dimension?: number;
  /** Also hash word bigrams. Default true. */
  bigrams?: boolean;
}

/** Lower-cased words (Unicode letters and digits, inner apostrophes kept). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu) ?? [];
}

/**
 * The built-in small embedder of `@llm/serve`: a bag of words (and word bigrams) put through the
 * hashing trick (Weinberger et al. 2009): each feature's FNV-1a hash picks a dimension and a sign,
 * counts are damped to `1 + log(tf)`, and the vector is L2-normalised, so cosine similarity is
 * word overlap. No training, no vocabulary; deterministic. Not a neural embedding.
 */
export class HashingEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;
  readonly maxBatchSize = 256;
  readonly normalized = true;
  private readonly bigrams: boolean;

  constructor(options: HashingEmbedderOptions = {}) {
    const dim = options.dimension ?? 256;
    if (!Number.isInteger(dim) || dim < 2 || dim > 65536) throw new InputError(`dimension must be an integer in 2..65536, got ${dim}`, { field: 'dimension' });
    this.dimension = dim;
    this.bigrams = options.bigrams ?? true;
    this.id = options.id ?? `hash-bow-${dim}`;
  }

  /** Number of features (words, plus bigrams) — reported as usage tokens. */
  countTokens(text: string): number {
    return words(text).length;
  }

  /** Embed one text. */
  embedOne(text: string): Float32Array {
    const ws = words(text);
    const tf = new Map<string, number>();
    for (let i = 0; i < ws.length; i++) {
      tf.set(ws[i]!, (tf.get(ws[i]!) ?? 0) + 1);
      if (this.bigrams && i > 0) {
        const bg = `${ws[i - 1]} ${ws[i]}`;
        tf.set(bg, (tf.get(bg) ?? 0) + 1);
      }
    }
    const v = new Float32Array(this.dimension);
    for (const [f, c] of tf) {
      const h = hashString32(f);
      const sign = (hashString32(`±${f}`) & 1) === 0 ? 1 : -1;
      v[h % this.dimension]! += sign * (1 + Math.log(c));
    }
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
    return v;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i++) {
      if ((i & 63) === 0) throwIfAborted(options.signal);
      out.push(this.embedOne(texts[i]!));
    }
    return out;
  }
}
