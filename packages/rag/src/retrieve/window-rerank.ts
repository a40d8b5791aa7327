import { bm25Tokens } from './bm25.js';
import { splitSentences } from '../split/splitter.js';

/** Options of {@link sentenceWindowScore} and {@link rerankBySentenceWindows}. */
export interface WindowRerankOptions {
  /** Sentences per window. Default 2. */
  window?: number;
  /** Share of the window score in the combined score, in [0, 1]; the rest is the retriever's own. Default 0.6. */
  weight?: number;
  /** BM25 k1 of the window score. Default 1.2. */
  k1?: number;
  /** BM25 length normalisation of the window score. Default 0.5. */
  b?: number;
  /** Typical window length in tokens (BM25's average length). Default 25. */
  averageLength?: number;
  /**
   * Weight of the phrase-proximity term added to the combined score: the idf-weighted share of the
   * question's adjacent term pairs found within {@link WindowRerankOptions.pairDistance} tokens of
   * each other in the chunk ({@link pairProximity}). Default 0.1 (chosen on the two tuning sets: the
   * paraphrased dev half and the factual tuning set); 0 turns it off.
   */
  pairWeight?: number;
  /** Largest token distance at which a question's term pair counts as found together. Default 2. */
  pairDistance?: number;
}

/**
 * Phrase proximity: the idf-weighted share, in [0, 1], of the question's adjacent term pairs
 * ("magic SysRq", "kill signal") whose two terms occur within `maxDistance` tokens of each other in
 * `text`. Each pair weighs the smaller idf of its two terms. 0 when the question has fewer than two terms.
 */
export function pairProximity(queryTerms: readonly string[], text: string, idf: (term: string) => number, maxDistance = 2): number {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < queryTerms.length; i++) if (queryTerms[i] !== queryTerms[i + 1]) pairs.push([queryTerms[i]!, queryTerms[i + 1]!]);
  if (pairs.length === 0) return 0;
  const wanted = new Set(queryTerms);
  const positions = new Map<string, number[]>();
  bm25Tokens(text).forEach((t, i) => {
    if (!wanted.has(t)) return;
    let list = positions.get(t);
    if (!list) positions.set(t, (list = []));
    list.push(i);
  });
  let found = 0;
  let total = 0;
  for (const [a, b] of pairs) {
    const w = Math.min(idf(a), idf(b));
    total += w;
    const pa = positions.get(a);
    const pb = positions.get(b);
    if (pa && pb && pa.some((i) => pb.some((j) => Math.abs(i - j) <= maxDistance))) found += w;
  }
  return total > 0 ? found / total : 0;
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
 * Re-order retrieved candidates by `(1 − weight)·score/maxScore + weight·window/maxWindow
 * + pairWeight·pairs`, where `window` is {@link sentenceWindowScore} and `pairs` is
 * {@link pairProximity}. A lexical reranker: no model, no training, deterministic.
 */
export function rerankBySentenceWindows<T extends { id: string; score: number; text: string }>(question: string, candidates: readonly T[], idf: (term: string) => number, options: WindowRerankOptions = {}): Array<T & { score: number }> {
  if (candidates.length === 0) return [];
  const weight = options.weight ?? 0.6;
  const pairWeight = options.pairWeight ?? 0.1;
  const terms = bm25Tokens(question);
  const windows = candidates.map((c) => sentenceWindowScore(terms, c.text, idf, options));
  const pairs = candidates.map((c) => (pairWeight > 0 ? pairProximity(terms, c.text, idf, options.pairDistance ?? 2) : 0));
  const maxScore = Math.max(...candidates.map((c) => c.score)) || 1;
  const maxWindow = Math.max(...windows) || 1;
  return candidates
    .map((c, i) => ({ ...c, score: ((1 - weight) * c.score) / maxScore + (weight * windows[i]!) / maxWindow + pairWeight * pairs[i]! }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}
