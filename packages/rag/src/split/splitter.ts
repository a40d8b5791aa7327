import { ConfigError } from '@llm/core';
import type { Chunk, LoadedDocument } from '../types.js';

/** Options for {@link splitText} and {@link splitDocument}. */
export interface SplitOptions {
  /** Largest chunk, in units of `length` (characters by default). Default 1000. */
  chunkSize?: number;
  /** How much consecutive chunks share, in the same units. Default 150. */
  chunkOverlap?: number;
  /**
   * Length of a piece of text. Characters by default; pass a tokenizer's count
   * (`(s) => tokenizer.encode(s, undefined, { addSpecialTokens: false }).ids.length`) for token-aware chunks.
   */
  length?: (text: string) => number;
  /** Separators tried in order, coarsest first. Default: paragraphs, lines, sentences, words, characters. */
  separators?: readonly string[];
  /** Split into sentences first and never cut inside one (unless a sentence alone is too long). */
  sentenceAware?: boolean;
}

const DEFAULT_SEPARATORS = ['\n\n', '\n', '. ', '? ', '! ', '; ', ', ', ' ', ''];

/**
 * Split text into sentences: a sentence ends at `.`, `!` or `?` followed by white space, or at a
 * line break. Every character of the input lands in some sentence (URLs, e-mail addresses and
 * version numbers with inner dots are not ends), and common abbreviations ("e.g.", "Mr.") do not end one.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  let start = 0;
  const flush = (end: number) => {
    pending += text.slice(start, end);
    start = end;
    const trimmed = pending.trim();
    if (!trimmed) { pending = ''; return; }
    if (/\b(?:e\.g|i\.e|etc|vs|Mr|Mrs|Ms|Dr|St|No|cf|approx|Fig|Vol|pp)\.$/i.test(trimmed) || /(?:^|\s)[A-Z]\.$/.test(trimmed)) return;
    out.push(trimmed);
    pending = '';
  };
  for (const m of text.matchAll(/[.!?]+["'\u201d\u2019)\]]*(?=\s|$)|\n+/g)) flush(m.index! + m[0].length);
  flush(text.length);
  if (pending.trim()) out.push(pending.trim());
  return out;
}

function splitKeep(text: string, sep: string): string[] {
  if (sep === '') return [...text];
  const parts = text.split(sep);
  return parts.map((p, i) => (i < parts.length - 1 ? p + sep : p)).filter((p) => p !== '');
}

/** Pack small pieces into chunks of at most `size`, with `overlap` carried between chunks. */
function merge(pieces: string[], size: number, overlap: number, len: (s: string) => number): string[] {
  const chunks: string[] = [];
  let cur: string[] = [];
  let curLen = 0;
  for (const p of pieces) {
    const pl = len(p);
    if (curLen + pl > size && cur.length > 0) {
      chunks.push(cur.join('').trim());
      // Drop pieces from the front until what is left fits in the overlap.
      while (cur.length > 0 && (curLen > overlap || curLen + pl > size)) {
        curLen -= len(cur[0]!);
        cur.shift();
      }
    }
    cur.push(p);
    curLen += pl;
  }
  if (cur.length) chunks.push(cur.join('').trim());
  return chunks.filter(Boolean);
}

function recursive(text: string, seps: readonly string[], size: number, overlap: number, len: (s: string) => number): string[] {
  if (len(text) <= size) return [text];
  const idx = seps.findIndex((s) => s === '' || text.includes(s));
  const sep = seps[idx] ?? '';
  const rest = seps.slice(idx + 1);
  const pieces: string[] = [];
  for (const p of splitKeep(text, sep)) {
    if (len(p) <= size) pieces.push(p);
    else pieces.push(...recursive(p, rest, size, overlap, len));
  }
  return merge(pieces, size, overlap, len);
}

/** Split text into chunks of at most `chunkSize` with `chunkOverlap` shared between neighbours. */
export function splitText(text: string, options: SplitOptions = {}): string[] {
  const size = options.chunkSize ?? 1000;
  const overlap = options.chunkOverlap ?? 150;
  if (!(size > 0)) throw new ConfigError(`chunkSize must be positive, got ${size}`);
  if (!(overlap >= 0 && overlap < size)) throw new ConfigError(`chunkOverlap must be in [0, chunkSize), got ${overlap}`);
  const len = options.length ?? ((s: string) => s.length);
  if (!text.trim()) return [];
  if (options.sentenceAware) {
    const sentences = splitSentences(text).flatMap((s) => (len(s) <= size ? [`${s} `] : recursive(s, options.separators ?? DEFAULT_SEPARATORS, size, overlap, len).map((x) => `${x} `)));
    return merge(sentences, size, overlap, len);
  }
  return recursive(text, options.separators ?? DEFAULT_SEPARATORS, size, overlap, len);
}

/** Split a loaded document into chunks; a chunk never spans two pages, so citations name one page. */
export function splitDocument(doc: LoadedDocument, options: SplitOptions = {}): Chunk[] {
  const chunks: Chunk[] = [];
  for (const page of doc.pages) {
    for (const text of splitText(page.text, options)) {
      const ordinal = chunks.length;
      chunks.push({ id: `${doc.source}#${ordinal}`, source: doc.source, ordinal, text, page: page.page, title: doc.title, metadata: { ...doc.metadata } });
    }
  }
  return chunks;
}
