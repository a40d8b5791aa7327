import type { RetrievedChunk } from '../types.js';

/** A question with the answer strings that count as found (as in the bundled Debian-FAQ set). */
export interface RetrievalQuestion {
  id?: string;
  question: string;
  answers: string[];
}

/** hit@k results. */
export interface RetrievalEval {
  n: number;
  /** hit@k for each k asked: the share of questions with an accepted answer inside a top-k chunk. */
  hitAt: Record<number, number>;
  /** Mean reciprocal rank of the first chunk containing an answer (0 when none in the top max(k)). */
  mrr: number;
  perQuestion: Array<{ id?: string; question: string; firstHitRank: number | null }>;
}

const norm = (s: string) => s.toLowerCase().replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ');

/** Retrieval quality: does an accepted answer string appear inside a top-k chunk? */
export async function evaluateRetrieval(questions: readonly RetrievalQuestion[], retrieve: (q: string, k: number) => Promise<RetrievedChunk[]>, ks: readonly number[] = [1, 5]): Promise<RetrievalEval> {
  const maxK = Math.max(...ks);
  const per: RetrievalEval['perQuestion'] = [];
  for (const q of questions) {
    const chunks = await retrieve(q.question, maxK);
    const answers = q.answers.map(norm);
    const idx = chunks.findIndex((c) => answers.some((a) => norm(c.text).includes(a)));
    per.push({ id: q.id, question: q.question, firstHitRank: idx >= 0 ? idx + 1 : null });
  }
  const hitAt: Record<number, number> = {};
  for (const k of ks) hitAt[k] = per.filter((p) => p.firstHitRank !== null && p.firstHitRank <= k).length / Math.max(1, per.length);
  const mrr = per.reduce((a, p) => a + (p.firstHitRank ? 1 / p.firstHitRank : 0), 0) / Math.max(1, per.length);
  return { n: per.length, hitAt, mrr, perQuestion: per };
}
