import { cosine } from '@llm/core';
/**
 * Reciprocal rank fusion (Cormack et al. 2009): score(d) = Σ_lists 1 / (k + rank_list(d)).
 * Robust to the different score scales of BM25 and cosine similarity.
 */
export function reciprocalRankFusion(lists: ReadonlyArray<ReadonlyArray<{ id: string }>>, options: { k?: number; weights?: readonly number[] } = {}): Array<{ id: string; score: number }> {
  const k = options.k ?? 60;
  const scores = new Map<string, number>();
  lists.forEach((list, li) => {
    const w = options.weights?.[li] ?? 1;
    list.forEach((item, rank) => scores.set(item.id, (scores.get(item.id) ?? 0) + w / (k + rank + 1)));
  });
  return [...scores.entries()].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

export { cosine };

/**
 * Maximal marginal relevance (Carbonell & Goldstein 1998): pick `k` of the candidates, each time
 * the one maximising λ·sim(query, d) − (1−λ)·max sim(d, already picked).
 */
export function maximalMarginalRelevance<T extends { vector: ArrayLike<number> }>(query: ArrayLike<number>, candidates: readonly T[], k: number, lambda = 0.5): T[] {
  const rel = candidates.map((c) => cosine(query, c.vector));
  const picked: number[] = [];
  const left = new Set(candidates.map((_, i) => i));
  while (picked.length < k && left.size > 0) {
    let best = -1;
    let bestScore = -Infinity;
    for (const i of left) {
      let red = 0;
      for (const j of picked) red = Math.max(red, cosine(candidates[i]!.vector, candidates[j]!.vector));
      const s = lambda * rel[i]! - (1 - lambda) * red;
      if (s > bestScore) { bestScore = s; best = i; }
    }
    picked.push(best);
    left.delete(best);
  }
  return picked.map((i) => candidates[i]!);
}
