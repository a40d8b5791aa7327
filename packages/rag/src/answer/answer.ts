import { basename } from 'node:path';
import type { ChatMessage, Embedder, GenerateOptions, LanguageModel } from '@llm/core';
import { scoreSupport } from '@llm/eval';
import { bm25Tokens } from '../retrieve/bm25.js';
import { splitSentences } from '../split/splitter.js';
import type { RetrievedChunk } from '../types.js';

/** A cited passage in an answer. */
export interface Citation {
  /** The number used in the answer text: `[n]`. */
  n: number;
  source: string;
  page?: number;
  chunkId: string;
  /** The supporting text quoted from the passage. */
  quote: string;
}

/** One sentence of an answer with its support. */
export interface AnswerSentence {
  text: string;
  /** Passage numbers the sentence cites. */
  cites: number[];
  /** Support in [0, 1] from the cited passages (all passages when it cites none). */
  support: number;
  supported: boolean;
}

/** A grounded answer. */
export interface Answer {
  question: string;
  answer: string;
  citations: Citation[];
  sentences: AnswerSentence[];
  /** True when nothing relevant was retrieved and the answer says so. */
  abstained: boolean;
  mode: 'extractive' | 'generative';
}

/** Scores how well the passages support `claim`, in [0, 1]. */
export type SupportScorer = (claim: string, passages: readonly string[]) => number | Promise<number>;

/**
 * `@llm/eval`'s support score of a claim against its best passage: lexical overlap of content
 * words (Porter-stemmed), combined with embedding similarity when an `Embedder` is given.
 */
export function evalSupport(embedder?: Embedder): SupportScorer {
  return async (claim, passages) => {
    const units = await scoreSupport(claim, passages, { embedder });
    return units.length ? Math.min(...units.map((u) => u.score)) : 1;
  };
}

/** The answer used when retrieval found nothing relevant. */
export const DONT_KNOW = "I don't know: the documents I searched do not answer that.";

function label(c: RetrievedChunk): string {
  return `${c.title ?? basename(c.source)}${c.page !== undefined ? `, p. ${c.page}` : ''}`;
}

/** The prompt: numbered passages, then the question, with instructions to cite and to abstain. */
export function buildRagMessages(question: string, chunks: readonly RetrievedChunk[]): ChatMessage[] {
  const context = chunks.map((c, i) => `[${i + 1}] (${label(c)})\n${c.text}`).join('\n\n');
  return [
    { role: 'system', content: 'Answer the question using only the numbered passages. After each sentence, cite the passages it uses as [n]. If the passages do not contain the answer, say you do not know.' },
    { role: 'user', content: `Passages:\n\n${context}\n\nQuestion: ${question}` },
  ];
}

/**
 * Extractive answer: the passage sentence that best matches the question, quoted with its citation.
 * A sentence scores the idf-weighted share of the question's terms it holds (idf over the sentences
 * of the given passages, so a term every passage repeats counts little), less 0.2 per rank of its
 * passage; the sentence after it is quoted too when it is short (≤ 20 terms: often the command or
 * value the sentence introduces). Abstains when no sentence shares enough content words with the
 * question (`minOverlap` on `overlap / √|question terms|`).
 */
export function extractiveAnswer(question: string, chunks: readonly RetrievedChunk[], options: { minOverlap?: number } = {}): Answer {
  const q = new Set(bm25Tokens(question));
  const sentences = chunks.flatMap((c, i) => splitSentences(c.text).map((text, j, all) => ({ text, next: all[j + 1], n: i + 1, toks: bm25Tokens(text) })));
  const df = new Map<string, number>();
  for (const s of sentences) for (const t of new Set(s.toks)) df.set(t, (df.get(t) ?? 0) + 1);
  const weight = (t: string) => Math.log(1 + sentences.length / (df.get(t) ?? 1));
  const total = [...q].reduce((a, t) => a + weight(t), 0) || 1;
  let best: { text: string; next: string | undefined; n: number; score: number } | undefined;
  let bestOverlap = 0;
  for (const s of sentences) {
    if (s.toks.length < 3) continue;
    const shared = [...new Set(s.toks.filter((t) => q.has(t)))];
    bestOverlap = Math.max(bestOverlap, shared.length / Math.sqrt(q.size || 1) - 0.05 * (s.n - 1) - 0.002 * Math.max(0, s.toks.length - 40));
    const score = shared.reduce((a, t) => a + weight(t), 0) / total - 0.2 * (s.n - 1) - 0.002 * Math.max(0, s.toks.length - 40);
    if (!best || score > best.score) best = { text: s.text, next: s.next, n: s.n, score };
  }
  const minOverlap = options.minOverlap ?? 0.5;
  if (!best || bestOverlap < minOverlap) {
    return { question, answer: DONT_KNOW, citations: [], sentences: [], abstained: true, mode: 'extractive' };
  }
  const quote = best.next !== undefined && bm25Tokens(best.next).length <= 20 ? `${best.text} ${best.next}` : best.text;
  const c = chunks[best.n - 1]!;
  return {
    question,
    answer: `${quote} [${best.n}]`,
    citations: [{ n: best.n, source: c.source, page: c.page, chunkId: c.id, quote }],
    sentences: [{ text: quote, cites: [best.n], support: 1, supported: true }],
    abstained: false,
    mode: 'extractive',
  };
}

/** Options for {@link generateAnswer}. */
export interface GenerateAnswerOptions extends GenerateOptions {
  /** Scores each sentence's support. Default {@link evalSupport} without an embedder (lexical). */
  support?: SupportScorer;
  /** A sentence below this support is flagged (or removed). Default 0.5. */
  minSupport?: number;
  /** Remove unsupported sentences instead of flagging them. */
  removeUnsupported?: boolean;
  /** Receives the text as it streams. */
  onText?: (text: string) => void;
}

/**
 * Generate an answer with any `LanguageModel` from numbered passages, then check each sentence's
 * support in the passages it cites; abstain when no passage was retrieved.
 */
export async function generateAnswer(question: string, chunks: readonly RetrievedChunk[], model: LanguageModel, options: GenerateAnswerOptions = {}): Promise<Answer> {
  if (chunks.length === 0) return { question, answer: DONT_KNOW, citations: [], sentences: [], abstained: true, mode: 'generative' };
  const prompt = model.applyChatTemplate(buildRagMessages(question, chunks), { addGenerationPrompt: true });
  let text = '';
  for await (const piece of model.stream(prompt, { maxTokens: 256, temperature: 0, ...options })) {
    text += piece.text;
    options.onText?.(piece.text);
  }
  const scorer = options.support ?? evalSupport();
  const minSupport = options.minSupport ?? 0.5;
  const sentences: AnswerSentence[] = [];
  for (const s of splitSentences(text.trim())) {
    const cites = [...s.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])).filter((n) => n >= 1 && n <= chunks.length);
    const passages = (cites.length ? cites : chunks.map((_, i) => i + 1)).map((n) => chunks[n - 1]!.text);
    const claim = s.replace(/\[\d+\]/g, '');
    // A fragment without a single content word of two or more characters ("t/.", "[2].") states nothing: it cannot be
    // supported, and must not count as an answer.
    const support = bm25Tokens(claim).some((t) => t.length >= 2) ? await scorer(claim, passages) : 0;
    sentences.push({ text: s, cites, support, supported: support >= minSupport });
  }
  const kept = options.removeUnsupported ? sentences.filter((s) => s.supported) : sentences;
  const used = [...new Set(kept.flatMap((s) => s.cites))].sort((a, b) => a - b);
  return {
    question,
    answer: kept.length ? kept.map((s) => (s.supported || options.removeUnsupported ? s.text : `${s.text} (unsupported)`)).join(' ') : DONT_KNOW,
    citations: used.map((n) => ({ n, source: chunks[n - 1]!.source, page: chunks[n - 1]!.page, chunkId: chunks[n - 1]!.id, quote: chunks[n - 1]!.text.slice(0, 300) })),
    sentences,
    abstained: kept.length === 0,
    mode: 'generative',
  };
}
