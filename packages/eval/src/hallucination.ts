/**
 * Hallucination helpers: split an answer into sentences and claims, and score how well each is
 * supported by context passages, from lexical overlap (stemmed content words) and, when an
 * {@link Embedder} is given, embedding cosine similarity. `@llm/rag` uses this to flag
 * unsupported sentences.
 *
 * @packageDocumentation
 */
import { cosine, ConfigError, throwIfAborted, type Embedder } from '@llm/core';
import { PorterStemmer } from './rouge/porter.js';

/** A piece of text with its character offsets in the source. */
export interface TextSpan {
  text: string;
  start: number;
  end: number;
}

const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'cf', 'fig', 'no', 'vol', 'approx', 'inc', 'ltd', 'co', 'u.s', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec']);

/**
 * Split text into sentences at `.`, `!`, `?` (and `…`, `。`, `！`, `？`) followed by whitespace and
 * an uppercase letter/digit/quote, or at blank lines; common abbreviations, initials and decimal
 * numbers do not end a sentence. Offsets refer to the input.
 */
export function splitSentences(text: string): TextSpan[] {
  const out: TextSpan[] = [];
  let start = 0;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const t = raw.trim();
    if (t) out.push({ text: t, start: start + lead, end: start + lead + t.length });
    start = end;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n' && /^\n[ \t]*\n/.test(text.slice(i, i + 64))) {
      push(i);
      continue;
    }
    if ('。！？'.includes(ch)) {
      push(i + 1);
      continue;
    }
    if (!'.!?…'.includes(ch)) continue;
    let j = i + 1;
    while (j < text.length && '.!?…"\')]}»”’'.includes(text[j]!)) j++;
    if (j < text.length && !/\s/.test(text[j]!)) continue;
    let k = j;
    while (k < text.length && /\s/.test(text[k]!)) k++;
    if (k < text.length && !/[\p{Lu}\p{N}"'“‘(\[]/u.test(text[k]!)) continue;
    if (ch === '.') {
      const word = /([\p{L}.]+)$/u.exec(text.slice(Math.max(0, i - 12), i))?.[1]?.toLowerCase() ?? '';
      if (ABBREVIATIONS.has(word) || /^\p{L}$/u.test(word)) continue;
    }
    push(j);
    i = j - 1;
  }
  push(text.length);
  return out;
}

/**
 * Split text into claims: sentences, further split at `;` and at `, and|but|while|whereas|although`
 * and `and`/`but` before a new subject-like word, so that each claim can be checked alone.
 */
export function splitClaims(text: string): TextSpan[] {
  const out: TextSpan[] = [];
  for (const s of splitSentences(text)) {
    const re = /;\s+|,\s+(?:and|but|while|whereas|although|however)\s+|\s+(?:but|whereas)\s+/giu;
    let last = 0;
    for (let m = re.exec(s.text); m; m = re.exec(s.text)) {
      const piece = s.text.slice(last, m.index).trim();
      if (piece.split(/\s+/).length >= 3) {
        const off = s.text.indexOf(piece, last);
        out.push({ text: piece, start: s.start + off, end: s.start + off + piece.length });
        last = m.index + m[0].length;
      }
    }
    const rest = s.text.slice(last).trim();
    if (rest) {
      const off = s.text.indexOf(rest, last);
      out.push({ text: rest, start: s.start + off, end: s.start + off + rest.length });
    }
  }
  return out;
}

const STOPWORDS = new Set(('a an the and or but if then else of to in on at by for with from as is are was were be been being it its this that these those '
  + 'he she they we you i me him her them us my your his our their what which who whom whose when where why how not no do does did done have has had '
  + 'will would shall should can could may might must so than too very just also there here into over under about after before up down out off again').split(' '));

const stemmer = new PorterStemmer();

/** Stemmed content words (Unicode letters/digits, stopwords removed). */
export function contentTokens(text: string): string[] {
  return (text.toLowerCase().normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOPWORDS.has(w)).map((w) => (/^[a-z]+$/.test(w) ? stemmer.stem(w) : w));
}

/** Fraction of the claim's content tokens (with multiplicity) present in the passage. */
export function lexicalSupport(claim: string, passage: string): number {
  const c = contentTokens(claim);
  if (c.length === 0) return 1;
  const p = new Set(contentTokens(passage));
  let hit = 0;
  for (const t of c) if (p.has(t)) hit++;
  return hit / c.length;
}

/** Cosine similarity of two vectors (from `@llm/core`). */
export { cosine };

/** Options of {@link scoreSupport}. */
export interface SupportOptions {
  /** Embedder for semantic similarity; without it the score is lexical only. */
  embedder?: Embedder;
  /** Weight of the lexical score in the combination (default 0.5 with an embedder, 1 without). */
  lexicalWeight?: number;
  /** A unit is "supported" when its combined score reaches this (default 0.5). */
  threshold?: number;
  /** Split into claims instead of sentences. Default false. */
  claims?: boolean;
  signal?: AbortSignal;
}

/** Support of one sentence or claim. */
export interface SupportedUnit extends TextSpan {
  /** Combined score in [0, 1] against the best passage. */
  score: number;
  /** Lexical overlap with the best passage. */
  lexical: number;
  /** Cosine similarity with the best passage (undefined without an embedder). */
  semantic?: number;
  /** Index of the best supporting passage, -1 if there are none. */
  passage: number;
  supported: boolean;
}

/**
 * Score each sentence (or claim) of `answer` against the context passages.
 *
 * @example
 * ```ts
 * const units = await scoreSupport('Paris is the capital of France. It has 90 million people.', ['Paris is the capital and largest city of France.']);
 * units.filter((u) => !u.supported); // the second sentence
 * ```
 */
export async function scoreSupport(answer: string, passages: readonly string[], options: SupportOptions = {}): Promise<SupportedUnit[]> {
  const units = options.claims ? splitClaims(answer) : splitSentences(answer);
  const threshold = options.threshold ?? 0.5;
  const w = options.lexicalWeight ?? (options.embedder ? 0.5 : 1);
  if (w < 0 || w > 1) throw new ConfigError(`lexicalWeight must be in [0, 1], got ${w}`, { field: 'lexicalWeight' });
  let unitVecs: Float32Array[] = [];
  let passageVecs: Float32Array[] = [];
  if (options.embedder && passages.length > 0 && units.length > 0) {
    unitVecs = await options.embedder.embed(units.map((u) => u.text), { signal: options.signal, kind: 'query' });
    passageVecs = await options.embedder.embed(passages, { signal: options.signal, kind: 'passage' });
  }
  return units.map((u, ui) => {
    throwIfAborted(options.signal);
    let best: SupportedUnit = { ...u, score: 0, lexical: 0, passage: -1, supported: false };
    passages.forEach((p, pi) => {
      const lexical = lexicalSupport(u.text, p);
      const semantic = unitVecs.length ? Math.max(0, cosine(unitVecs[ui]!, passageVecs[pi]!)) : undefined;
      const score = semantic === undefined ? lexical : w * lexical + (1 - w) * semantic;
      if (best.passage === -1 || score > best.score) best = { ...u, score, lexical, semantic, passage: pi, supported: score >= threshold };
    });
    return best;
  });
}
