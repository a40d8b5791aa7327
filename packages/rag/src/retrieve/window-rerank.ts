import { bm25Tokens } from './bm25.js';
import { splitSentences } from '../split/splitter.js';

/** Options of {@link sentenceWindowScore} and {@link rerankBySentenceWindows}. */
export interface WindowRerankOptions {
  /** Sentences per window. Default 2. */
  window?: number;
  /** Share of the window score in the combined score, in [0, 1]; the rest is the retriever's own. Default 0.7. */
  weight?: number;
  /** BM25 k1 of the window score. Default 1.2. */
  k1?: number;
  /** BM25 length normalisation of the window score. Default 0.5. */
  b?: number;
  /** Typical window length in tokens (BM25's average length). Default 25. */
  averageLength?: number;
}

/**
 * The best BM25 score of any run of `window` consecutive sentences of `text` for the query terms:
 * a chunk that states the answer in one place beats one that merely mentions the terms far apart.
 * `idf` gives each term's weight (from the collection, e.g. {@link Bm25Index.idf}).
 */
export function sentenceWindowScore(queryTerms: readonly string[], text: string, idf: (term: string) => number, options: WindowRerankOptions = {}): number {
  const w = options.window ?? 2;
  const k1 = options.k1 ?? 1.2;
  const b = options.b ?? 0.5;
  const avg = options.averageLength ?? 25;
  const sentences = splitSentences(text).map(bm25Tokens);
  const terms = [...new Set(queryTerms)];
  let best = 0;
  for (let i = 0; i < Math.max(1, sentences.length - w + 1); i++) {
    const tf = new Map<string, number>();
    let len = 0;
    for (const s of sentences.slice(i, i + w)) for (const t of s) { tf.set(t, (tf.get(t) ?? 0) + 1); len++; }
    let score = 0;
    for (const t of terms) {
      const f = tf.get(t);
      if (f) score += (idf(t) * f * (k1 + 1)) / (f + k1 * (1 - b + (b * len) / avg));
    }
    if (score > best) best = score;
  }
  return best;
}

/**
 * Re-order retrieved candidates by `(1 − weight)·score/maxScore + weight·window/maxWindow`, where
 * `window` is {@link sentenceWindowScore}. A lexical reranker: no model, no training, deterministic.
 */
export function rerankBySentenceWindows<T extends { id: string; score: number; text: string }>(question: string, candidates: readonly T[], idf: (term: string) => number, options: WindowRerankOptions = {}): Array<T & { score: number }> {
  if (candidates.length === 0) return [];
  const weight = options.weight ?? 0.7;
  const terms = bm25Tokens(question);
  const windows = candidates.map((c) => sentenceWindowScore(terms, c.text, idf, options));
  const maxScore = Math.max(...candidates.map((c) => c.score)) || 1;
  const maxWindow = Math.max(...windows) || 1;
  return candidates
    .map((c, i) => ({ ...c, score: ((1 - weight) * c.score) / maxScore + (weight * windows[i]!) / maxWindow }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}
