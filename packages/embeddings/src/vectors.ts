import { ConfigError, InputError, NotFoundError } from '@llm/core';

/** A word with its score (cosine similarity, or the 3CosMul objective). */
export interface ScoredWord {
  word: string;
  score: number;
}

/** Options for {@link KeyedVectors.mostSimilar}. */
export interface MostSimilarOptions {
  /** Words whose vectors are added (default []). */
  positive?: ReadonlyArray<string | Float32Array>;
  /** Words whose vectors are subtracted (default []). */
  negative?: ReadonlyArray<string | Float32Array>;
  /** How many neighbours (default 10). */
  topn?: number;
  /** Search only the first `restrictVocab` words (the most frequent), as gensim does. */
  restrictVocab?: number;
}

/**
 * Word vectors with a gensim-`KeyedVectors`-like API: lookup, cosine neighbours, analogies
 * (3CosAdd and 3CosMul), doesn't-match, arithmetic and normalisation. Words are in file order
 * (most frequent first for files written by word2vec, fastText, gensim and this package).
 */
export class KeyedVectors {
  /** The words, in order. */
  readonly words: string[];
  /** Vector length. */
  readonly dim: number;
  /** Row-major `words.length × dim` vectors. */
  readonly data: Float32Array;
  /** Optional per-word counts (used by SIF weighting); absent when unknown. */
  counts: Float64Array | undefined;
  private readonly index: Map<string, number>;
  private unit: Float32Array | undefined;
  /** An out-of-vocabulary fallback (fastText builds vectors from character n-grams). */
  oov: ((word: string) => Float32Array | undefined) | undefined;

  constructor(words: string[], dim: number, data: Float32Array, counts?: Float64Array) {
    if (!Number.isInteger(dim) || dim <= 0) throw new ConfigError(`vector dimension must be a positive integer, got ${dim}`);
    if (data.length !== words.length * dim) throw new InputError(`expected ${words.length}×${dim}=${words.length * dim} values, got ${data.length}`);
    this.words = words;
    this.dim = dim;
    this.data = data;
    this.counts = counts;
    this.index = new Map();
    for (let i = 0; i < words.length; i++) if (!this.index.has(words[i]!)) this.index.set(words[i]!, i);
  }

  /** Number of words. */
  get size(): number { return this.words.length; }

  /** Row index of a word, or -1. */
  indexOf(word: string): number { return this.index.get(word) ?? -1; }

  /** Whether the word has a stored vector. */
  has(word: string): boolean { return this.index.has(word); }

  /** The stored vector of a word (a view, not a copy), the OOV fallback's vector, or a {@link NotFoundError}. */
  get(word: string): Float32Array {
    const i = this.index.get(word);
    if (i !== undefined) return this.data.subarray(i * this.dim, (i + 1) * this.dim);
    const v = this.oov?.(word);
    if (v) return v;
    throw new NotFoundError(`word '${word}' is not in the vocabulary (${this.size} words)`);
  }

  /** Unit-length copies of all vectors (cached). */
  normalized(): Float32Array {
    if (!this.unit) {
      const u = new Float32Array(this.data.length);
      const d = this.dim;
      for (let i = 0; i < this.size; i++) {
        let s = 0;
        for (let c = 0; c < d; c++) { const x = this.data[i * d + c]!; s += x * x; }
        const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
        for (let c = 0; c < d; c++) u[i * d + c] = this.data[i * d + c]! * inv;
      }
      this.unit = u;
    }
    return this.unit;
  }

  /** The unit-length vector of a word. */
  unitVector(word: string): Float32Array {
    const i = this.index.get(word);
    if (i !== undefined) return this.normalized().subarray(i * this.dim, (i + 1) * this.dim);
    return normalize(Float32Array.from(this.get(word)));
  }

  /** Normalise the stored vectors in place to unit length (like gensim's `fill_norms(force)` + replace). */
  normalizeInPlace(): void {
    this.data.set(this.normalized());
    this.unit = undefined;
  }

  /** Cosine similarity of two words. */
  similarity(a: string, b: string): number {
    return dot(this.unitVector(a), this.unitVector(b));
  }

  /** `Σ positive − Σ negative` of raw vectors (vector arithmetic). */
  arithmetic(positive: readonly string[], negative: readonly string[] = []): Float32Array {
    const out = new Float32Array(this.dim);
    for (const w of positive) { const v = this.get(w); for (let c = 0; c < this.dim; c++) out[c] += v[c]!; }
    for (const w of negative) { const v = this.get(w); for (let c = 0; c < this.dim; c++) out[c] -= v[c]!; }
    return out;
  }

  /** Cosine similarity of a vector with every word, as one array. */
  cosineAll(v: Float32Array, limit = this.size): Float32Array {
    const u = normalize(Float32Array.from(v));
    const n = this.normalized();
    const d = this.dim;
    const out = new Float32Array(limit);
    for (let i = 0; i < limit; i++) {
      let s = 0;
      const o = i * d;
      for (let c = 0; c < d; c++) s += n[o + c]! * u[c]!;
      out[i] = s;
    }
    return out;
  }

  /**
   * Nearest words by cosine to the mean of unit-normalised `positive` minus `negative` vectors
   * (gensim's `most_similar`, i.e. 3CosAdd for analogies). Input words are excluded.
   */
  mostSimilar(options: MostSimilarOptions | string, topn = 10): ScoredWord[] {
    const o: MostSimilarOptions = typeof options === 'string' ? { positive: [options], topn } : options;
    const pos = o.positive ?? [];
    const neg = o.negative ?? [];
    if (pos.length + neg.length === 0) throw new InputError('mostSimilar needs at least one word');
    const mean = new Float32Array(this.dim);
    const exclude = new Set<number>();
    const add = (w: string | Float32Array, sign: number) => {
      let v: Float32Array;
      if (typeof w === 'string') {
        const i = this.index.get(w);
        if (i !== undefined) exclude.add(i);
        v = this.unitVector(w);
      } else v = normalize(Float32Array.from(w));
      for (let c = 0; c < this.dim; c++) mean[c] += sign * v[c]!;
    };
    for (const w of pos) add(w, 1);
    for (const w of neg) add(w, -1);
    for (let c = 0; c < this.dim; c++) mean[c] /= pos.length + neg.length;
    const limit = Math.min(this.size, o.restrictVocab ?? this.size);
    return topK(this.cosineAll(mean, limit), o.topn ?? 10, exclude).map(([i, s]) => ({ word: this.words[i]!, score: s }));
  }

  /** Nearest words to a raw vector by cosine (nothing excluded). */
  similarByVector(v: Float32Array, topn = 10, restrictVocab?: number): ScoredWord[] {
    const limit = Math.min(this.size, restrictVocab ?? this.size);
    return topK(this.cosineAll(v, limit), topn, new Set()).map(([i, s]) => ({ word: this.words[i]!, score: s }));
  }

  /**
   * 3CosMul (Levy & Goldberg 2014), as gensim's `most_similar_cosmul`: maximise
   * `Π cos'(w, p) / (Π cos'(w, n) + 1e-6)` with `cos' = (1 + cos) / 2`.
   */
  mostSimilarCosmul(positive: readonly string[], negative: readonly string[] = [], topn = 10, restrictVocab?: number): ScoredWord[] {
    const limit = Math.min(this.size, restrictVocab ?? this.size);
    const exclude = new Set<number>();
    const sims = (w: string) => { const i = this.index.get(w); if (i !== undefined) exclude.add(i); return this.cosineAll(this.get(w), limit); };
    const ps = positive.map(sims);
    const ns = negative.map(sims);
    const score = new Float32Array(limit);
    for (let i = 0; i < limit; i++) {
      let num = 1, den = 1;
      for (const p of ps) num *= (1 + p[i]!) / 2;
      for (const n of ns) den *= (1 + n[i]!) / 2;
      score[i] = num / (den + 1e-6);
    }
    return topK(score, topn, exclude).map(([i, s]) => ({ word: this.words[i]!, score: s }));
  }

  /** The word furthest from the mean of the others' unit vectors (gensim's `doesnt_match`). */
  doesntMatch(words: readonly string[]): string {
    const used = words.filter((w) => this.has(w) || this.oov?.(w));
    if (used.length === 0) throw new InputError('doesntMatch: none of the words is in the vocabulary');
    const mean = new Float32Array(this.dim);
    for (const w of used) { const v = this.unitVector(w); for (let c = 0; c < this.dim; c++) mean[c] += v[c]!; }
    normalize(mean);
    let best = used[0]!, bestScore = Infinity;
    for (const w of used) { const s = dot(this.unitVector(w), mean); if (s < bestScore) { bestScore = s; best = w; } }
    return best;
  }

  /** A new set holding the first `n` words. */
  head(n: number): KeyedVectors {
    const k = Math.min(n, this.size);
    return new KeyedVectors(this.words.slice(0, k), this.dim, this.data.slice(0, k * this.dim), this.counts?.slice(0, k));
  }
}

/** Dot product. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Normalise in place to unit L2 length (zero vectors stay zero); returns the same array. */
export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  if (s > 0) { const inv = 1 / Math.sqrt(s); for (let i = 0; i < v.length; i++) v[i] = v[i]! * inv; }
  return v;
}

/** Indices of the `k` largest scores (ties by lower index), skipping `exclude`. */
function topK(scores: Float32Array, k: number, exclude: Set<number>): Array<[number, number]> {
  const best: Array<[number, number]> = [];
  for (let i = 0; i < scores.length; i++) {
    if (exclude.has(i)) continue;
    const s = scores[i]!;
    if (best.length === k && s <= best[k - 1]![1]) continue;
    let j = best.length < k ? best.length : k - 1;
    if (best.length < k) best.push([i, s]);
    while (j > 0 && best[j - 1]![1] < s) { best[j] = best[j - 1]!; j--; }
    best[j] = [i, s];
  }
  return best;
}
