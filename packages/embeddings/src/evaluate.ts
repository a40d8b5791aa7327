import { InputError, readLines, throwIfAborted } from '@llm/core';
import type { KeyedVectors } from './vectors.js';

/** One analogy question `a : b :: c : expected`. */
export interface AnalogyQuestion {
  section: string;
  a: string;
  b: string;
  c: string;
  expected: string;
  /** 1-based line in the questions file. */
  line: number;
}

/** Parse word2vec's `questions-words.txt` format: `: section` lines, then `a b c d` per line. */
export function parseAnalogies(text: string, file = '<questions>'): AnalogyQuestion[] {
  const out: AnalogyQuestion[] = [];
  let section: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    if (l.startsWith(':')) { section = l.slice(1).trim(); continue; }
    const w = l.split(/\s+/);
    if (w.length !== 4) throw new InputError(`expected 4 words per analogy question, got ${w.length}`, { file, line: i + 1 });
    if (section === undefined) throw new InputError('question before the first ": section" line', { file, line: i + 1 });
    out.push({ section, a: w[0]!, b: w[1]!, c: w[2]!, expected: w[3]!, line: i + 1 });
  }
  return out;
}

/** Read a questions file (`.gz` allowed). */
export async function readAnalogies(path: string, signal?: AbortSignal): Promise<AnalogyQuestion[]> {
  const parts: string[] = [];
  for await (const { line } of readLines(path, { signal })) parts.push(line);
  return parseAnalogies(parts.join('\n'), path);
}

/** Accuracy of one section. */
export interface SectionScore {
  correct: number;
  incorrect: number;
  accuracy: number;
}

/** Result of {@link evaluateAnalogies}. */
export interface AnalogyReport {
  method: '3CosAdd' | '3CosMul';
  /** correct / evaluated over all sections (gensim's "Total accuracy"). */
  accuracy: number;
  sections: Record<string, SectionScore>;
  /** Questions whose four words are all in the (restricted) vocabulary. */
  evaluated: number;
  total: number;
  /** A few questions with what the vectors answered. */
  examples: Array<{ question: string; expected: string; predicted: string | null }>;
}

/** Options for {@link evaluateAnalogies}. */
export interface AnalogyOptions {
  /** 3CosAdd (gensim `most_similar`, default) or 3CosMul (`most_similar_cosmul`). */
  method?: '3CosAdd' | '3CosMul';
  /** Only the `restrictVocab` most frequent words are used, for questions and answers (default 300,000, as gensim). */
  restrictVocab?: number;
  /** Compare words case-insensitively (default true, as gensim). */
  caseInsensitive?: boolean;
  signal?: AbortSignal;
}

/**
 * Analogy accuracy as gensim's `evaluate_word_analogies`: a question counts when its four words
 * are among the top `restrictVocab` words; the answer is the best candidate other than a, b, c.
 */
export function evaluateAnalogies(kv: KeyedVectors, questions: readonly AnalogyQuestion[], options: AnalogyOptions = {}): AnalogyReport {
  const method = options.method ?? '3CosAdd';
  const limit = Math.min(kv.size, options.restrictVocab ?? 300_000);
  const ci = options.caseInsensitive ?? true;
  const norm = (w: string) => (ci ? w.toUpperCase() : w);
  const ok = new Map<string, number>();
  for (let i = limit - 1; i >= 0; i--) ok.set(norm(kv.words[i]!), i);
  const sections: Record<string, SectionScore> = {};
  const examples: AnalogyReport['examples'] = [];
  let correct = 0, incorrect = 0;
  for (let q = 0; q < questions.length; q++) {
    if ((q & 255) === 0) throwIfAborted(options.signal);
    const { section, a, b, c, expected } = questions[q]!;
    const s = (sections[section] ??= { correct: 0, incorrect: 0, accuracy: 0 });
    const [A, B, C, E] = [a, b, c, expected].map(norm) as [string, string, string, string];
    const ia = ok.get(A), ib = ok.get(B), ic = ok.get(C);
    if (ia === undefined || ib === undefined || ic === undefined || !ok.has(E)) continue;
    const wa = kv.words[ia]!, wb = kv.words[ib]!, wc = kv.words[ic]!;
    const sims = method === '3CosMul'
      ? kv.mostSimilarCosmul([wb, wc], [wa], 5, limit)
      : kv.mostSimilar({ positive: [wb, wc], negative: [wa], topn: 5, restrictVocab: limit });
    let predicted: string | null = null;
    for (const el of sims) {
      const p = norm(el.word);
      if (ok.has(p) && p !== A && p !== B && p !== C) { predicted = p; break; }
    }
    if (predicted === E) { s.correct++; correct++; } else { s.incorrect++; incorrect++; }
    if (examples.length < 10) examples.push({ question: `${a} : ${b} :: ${c} : ?`, expected, predicted: predicted === null ? null : predicted.toLowerCase() });
  }
  for (const k of Object.keys(sections)) {
    const s = sections[k]!;
    if (s.correct + s.incorrect === 0) { delete sections[k]; continue; }
    s.accuracy = s.correct / (s.correct + s.incorrect);
  }
  const evaluated = correct + incorrect;
  return { method, accuracy: evaluated > 0 ? correct / evaluated : 0, sections, evaluated, total: questions.length, examples };
}

/** A word pair with a human similarity judgement. */
export interface SimilarityPair {
  a: string;
  b: string;
  score: number;
}

/** Parse a word-similarity file: `word1 word2 score` per line (tab or space separated; `#` comments). */
export function parseSimilarityPairs(text: string, file = '<pairs>'): SimilarityPair[] {
  const out: SimilarityPair[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '' || l.startsWith('#')) continue;
    const p = l.split(/[\t ]+/);
    const score = Number(p[2]);
    if (p.length < 3 || !Number.isFinite(score)) throw new InputError('expected "word1 word2 score"', { file, line: i + 1 });
    out.push({ a: p[0]!, b: p[1]!, score });
  }
  return out;
}

function ranks(x: readonly number[]): number[] {
  const idx = x.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(x.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n, my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) { const dx = x[i]! - mx, dy = y[i]! - my; sxy += dx * dy; sxx += dx * dx; syy += dy * dy; }
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman rank correlation (average ranks for ties), as scipy's `spearmanr`. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

/** Correlation of cosine similarities with human scores (gensim's `evaluate_word_pairs`); pairs with unknown words are skipped. */
export function evaluateWordPairs(kv: KeyedVectors, pairs: readonly SimilarityPair[]): { spearman: number; pearson: number; evaluated: number; total: number } {
  const human: number[] = [], model: number[] = [];
  for (const p of pairs) {
    if (!kv.has(p.a) || !kv.has(p.b)) continue;
    human.push(p.score);
    model.push(kv.similarity(p.a, p.b));
  }
  if (human.length < 2) return { spearman: NaN, pearson: NaN, evaluated: human.length, total: pairs.length };
  return { spearman: spearman(human, model), pearson: pearson(human, model), evaluated: human.length, total: pairs.length };
}
