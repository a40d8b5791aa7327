import { ConfigError, throwIfAborted, type EmbedOptions, type Embedder } from '@llm/core';
import { tokenizeWords } from './text.js';
import { normalize, type KeyedVectors } from './vectors.js';

/** Options for {@link WordVectorEmbedder}. */
export interface WordVectorEmbedderOptions {
  /** `mean` of word vectors, or `sif`: weights `a / (a + p(w))` and removal of the first principal component (Arora et al. 2017). */
  mode?: 'mean' | 'sif';
  /** SIF's `a` (default 1e-3). */
  sifA?: number;
  /** Return unit-length vectors (default true). */
  normalize?: boolean;
  /** Identifier (default `word-vectors-<mode>`). */
  id?: string;
  /** Tokeniser (default {@link tokenizeWords}). */
  tokenize?: (text: string) => string[];
}

/**
 * Sentence vectors from word vectors, implementing `@llm/core`'s `Embedder`: the mean, or the
 * SIF-weighted mean, of the vectors of a text's known words. For SIF call {@link fit} on a
 * sample of texts to estimate the common component to remove (without it, only weighting is applied).
 */
export class WordVectorEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;
  readonly maxBatchSize = 1024;
  readonly normalized: boolean;
  private readonly mode: 'mean' | 'sif';
  private readonly a: number;
  private readonly tokenize: (text: string) => string[];
  private readonly weights: Float32Array | undefined;
  /** The common component removed in SIF mode (unit vector), once {@link fit} ran. */
  component: Float32Array | undefined;

  constructor(readonly vectors: KeyedVectors, options: WordVectorEmbedderOptions = {}) {
    this.mode = options.mode ?? 'mean';
    this.a = options.sifA ?? 1e-3;
    this.normalized = options.normalize ?? true;
    this.id = options.id ?? `word-vectors-${this.mode}`;
    this.dimension = vectors.dim;
    this.tokenize = options.tokenize ?? ((t) => tokenizeWords(t));
    if (this.mode === 'sif') {
      const counts = vectors.counts;
      this.weights = new Float32Array(vectors.size);
      if (counts) {
        let total = 0;
        for (const c of counts) total += c;
        for (let i = 0; i < vectors.size; i++) this.weights[i] = this.a / (this.a + counts[i]! / total);
      } else {
        // Without counts, estimate p(w) from the rank (Zipf), as files list words by frequency.
        let h = 0;
        for (let i = 1; i <= vectors.size; i++) h += 1 / i;
        for (let i = 0; i < vectors.size; i++) this.weights[i] = this.a / (this.a + 1 / ((i + 1) * h));
      }
    } else if (this.mode !== 'mean') throw new ConfigError(`mode must be 'mean' or 'sif', got ${String(this.mode)}`, { field: 'mode' });
  }

  private raw(text: string): Float32Array {
    const v = new Float32Array(this.dimension);
    let wsum = 0;
    for (const w of this.tokenize(text)) {
      const i = this.vectors.indexOf(w);
      if (i < 0) continue;
      const wt = this.weights ? this.weights[i]! : 1;
      const o = i * this.dimension;
      for (let c = 0; c < this.dimension; c++) v[c] += wt * this.vectors.data[o + c]!;
      wsum += this.mode === 'sif' ? 1 : wt;
    }
    if (wsum > 0) for (let c = 0; c < this.dimension; c++) v[c] = v[c]! / wsum;
    return v;
  }

  /** Estimate SIF's common component: the first principal direction of the texts' weighted averages (power iteration). */
  fit(texts: readonly string[]): this {
    const X = texts.map((t) => this.raw(t));
    const d = this.dimension;
    let u = new Float32Array(d).fill(1 / Math.sqrt(d));
    for (let it = 0; it < 100; it++) {
      const next = new Float32Array(d);
      for (const x of X) {
        let p = 0;
        for (let c = 0; c < d; c++) p += x[c]! * u[c]!;
        for (let c = 0; c < d; c++) next[c] += p * x[c]!;
      }
      normalize(next);
      let delta = 0;
      for (let c = 0; c < d; c++) delta += Math.abs(next[c]! - u[c]!);
      u = next;
      if (delta < 1e-6) break;
    }
    this.component = u;
    return this;
  }

  /** Embed one text synchronously. Texts without known words give a zero vector. */
  embedOne(text: string): Float32Array {
    const v = this.raw(text);
    if (this.mode === 'sif' && this.component) {
      let p = 0;
      for (let c = 0; c < this.dimension; c++) p += v[c]! * this.component[c]!;
      for (let c = 0; c < this.dimension; c++) v[c] = v[c]! - p * this.component[c]!;
    }
    return this.normalized ? normalize(v) : v;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i++) {
      if (i % this.maxBatchSize === 0) throwIfAborted(options.signal);
      out.push(this.embedOne(texts[i]!));
    }
    return out;
  }
}
