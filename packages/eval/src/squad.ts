/**
 * SQuAD v1.1 evaluation exactly as the official `evaluate-v1.1.py`: answer normalization
 * (lowercase, strip ASCII punctuation, drop the articles a/an/the, collapse whitespace), exact
 * match and token F1, maximum over the reference answers, averaged over all questions (an
 * unanswered question scores 0).
 *
 * @packageDocumentation
 */
import { FormatError } from '@llm/core';
import { pySplit } from './text.js';

const PUNCT = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
// Python's \b with Unicode word characters ([\p{L}\p{N}_]).
const ARTICLES = /(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu;

/** The official answer normalization. */
export function normalizeAnswer(s: string): string {
  let t = s.toLowerCase();
  let out = '';
  for (const ch of t) if (!PUNCT.has(ch)) out += ch;
  t = out.replace(ARTICLES, ' ');
  return pySplit(t).join(' ');
}

/** Exact match after normalization (1 or 0). */
export function exactMatch(prediction: string, groundTruth: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(groundTruth) ? 1 : 0;
}

/** Token-level F1 after normalization. */
export function squadF1(prediction: string, groundTruth: string): number {
  const p = pySplit(normalizeAnswer(prediction));
  const g = pySplit(normalizeAnswer(groundTruth));
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / p.length;
  const recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

/** One SQuAD question with its reference answers. */
export interface SquadQuestion {
  id: string;
  answers: string[];
}

/** The result of {@link evaluateSquad}. */
export interface SquadResult {
  /** Exact match, percent. */
  exact_match: number;
  /** Token F1, percent. */
  f1: number;
  /** Number of questions. */
  total: number;
  /** Ids of questions without a prediction (scored 0). */
  unanswered: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(x: unknown): x is Record<string, Json> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Extract the questions of a SQuAD v1.1 dataset JSON value, validating its layout; a
 * {@link FormatError} names the JSON path of the first problem (e.g. `data[3].paragraphs[0].qas[2].answers`).
 */
export function squadQuestions(dataset: unknown, file?: string): { version: string | undefined; questions: SquadQuestion[] } {
  const fail = (msg: string, field: string): never => { throw new FormatError('squad', msg, { file, field }); };
  if (!isObject(dataset)) fail('the dataset must be a JSON object with a "data" array', '$');
  const root = dataset as Record<string, Json>;
  const data = root.data;
  if (!Array.isArray(data)) fail('"data" must be an array of articles', 'data');
  const questions: SquadQuestion[] = [];
  (data as Json[]).forEach((article, a) => {
    if (!isObject(article)) fail('an article must be an object', `data[${a}]`);
    const paragraphs = (article as Record<string, Json>).paragraphs;
    if (!Array.isArray(paragraphs)) fail('"paragraphs" must be an array', `data[${a}].paragraphs`);
    (paragraphs as Json[]).forEach((para, p) => {
      const base = `data[${a}].paragraphs[${p}]`;
      if (!isObject(para)) fail('a paragraph must be an object', base);
      const qas = (para as Record<string, Json>).qas;
      if (!Array.isArray(qas)) fail('"qas" must be an array', `${base}.qas`);
      (qas as Json[]).forEach((qa, q) => {
        const qbase = `${base}.qas[${q}]`;
        if (!isObject(qa)) fail('a question must be an object', qbase);
        const { id, answers } = qa as Record<string, Json>;
        if (typeof id !== 'string') fail('"id" must be a string', `${qbase}.id`);
        if (!Array.isArray(answers)) fail('"answers" must be an array', `${qbase}.answers`);
        const texts = (answers as Json[]).map((ans, i) => {
          if (!isObject(ans) || typeof (ans as Record<string, Json>).text !== 'string') fail('an answer must be an object with a string "text"', `${qbase}.answers[${i}]`);
          return (ans as Record<string, Json>).text as string;
        });
        questions.push({ id: id as string, answers: texts });
      });
    });
  });
  const version = typeof root.version === 'string' ? root.version : undefined;
  return { version, questions };
}

/** Validate a predictions JSON value: an object mapping question id → answer string. */
export function squadPredictions(value: unknown, file?: string): Record<string, string> {
  if (!isObject(value)) throw new FormatError('squad predictions', 'must be a JSON object mapping question id to answer text', { file, field: '$' });
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new FormatError('squad predictions', `the prediction for "${k}" must be a string`, { file, field: `$[${JSON.stringify(k)}]` });
  }
  return value as Record<string, string>;
}

/**
 * Evaluate predictions against a SQuAD v1.1 dataset (both as parsed JSON), as `evaluate-v1.1.py`.
 *
 * @example
 * ```ts
 * evaluateSquad(JSON.parse(datasetText), { q1: 'Denver Broncos' }); // { exact_match, f1, total, unanswered }
 * ```
 */
export function evaluateSquad(dataset: unknown, predictions: unknown, files: { data?: string; pred?: string } = {}): SquadResult {
  const { questions } = squadQuestions(dataset, files.data);
  const preds = squadPredictions(predictions, files.pred);
  let em = 0;
  let f1 = 0;
  const unanswered: string[] = [];
  for (const q of questions) {
    if (!Object.prototype.hasOwnProperty.call(preds, q.id)) {
      unanswered.push(q.id);
      continue;
    }
    const pred = preds[q.id]!;
    em += Math.max(...q.answers.map((g) => exactMatch(pred, g)));
    f1 += Math.max(...q.answers.map((g) => squadF1(pred, g)));
  }
  const total = questions.length;
  return { exact_match: total ? (100 * em) / total : 0, f1: total ? (100 * f1) / total : 0, total, unanswered };
}
