import { InputError, readLines, throwIfAborted } from '@llm/core';

/**
 * A small word tokenizer for training word vectors: lower-cased runs of letters, digits and
 * inner apostrophes/hyphens (Unicode-aware). `@llm/tokenize` is the workspace's real tokenizer
 * package; word vectors only need whitespace-like words, so this package keeps its own.
 */
export function tokenizeWords(text: string, lowercase = true): string[] {
  const s = lowercase ? text.toLowerCase() : text;
  return s.match(WORD_RE) ?? [];
}

const WORD_RE = /[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*/gu;

/** A corpus split into sentences of words (one sentence per non-empty line). */
export type Sentences = string[][];

/** Options for {@link readCorpus}. */
export interface ReadCorpusOptions {
  /** Lower-case words (default true). */
  lowercase?: boolean;
  /** Treat each line as whitespace-separated tokens as they are (like the C tools), instead of {@link tokenizeWords}. */
  raw?: boolean;
  signal?: AbortSignal;
}

/** Read text files (`.gz` allowed) into sentences, one per non-empty line. */
export async function readCorpus(files: readonly string[], options: ReadCorpusOptions = {}): Promise<Sentences> {
  const out: Sentences = [];
  for (const f of files) {
    for await (const { line } of readLines(f, { signal: options.signal })) {
      const words = options.raw ? line.split(/\s+/).filter(Boolean) : tokenizeWords(line, options.lowercase ?? true);
      if (words.length > 0) out.push(words);
    }
    throwIfAborted(options.signal);
  }
  if (out.length === 0) throw new InputError(`corpus is empty: no words in ${files.join(', ')}`, { file: files[0] });
  return out;
}

/** Split a text into sentences of words, one per non-empty line. */
export function sentencesFromText(text: string, lowercase = true): Sentences {
  const out: Sentences = [];
  for (const line of text.split(/\r?\n/)) {
    const w = tokenizeWords(line, lowercase);
    if (w.length > 0) out.push(w);
  }
  return out;
}

/** A vocabulary sorted by descending count (ties in first-seen order). */
export interface Vocab {
  words: string[];
  counts: Float64Array;
  index: Map<string, number>;
  /** Total count of in-vocabulary words in the corpus. */
  totalWords: number;
}

/** Count words and keep those seen at least `minCount` times. */
export function buildVocab(sentences: Sentences, minCount: number, maxVocab = 0): Vocab {
  if (sentences.length === 0) throw new InputError('corpus is empty');
  const counts = new Map<string, number>();
  for (const s of sentences) for (const w of s) counts.set(w, (counts.get(w) ?? 0) + 1);
  let entries = [...counts].filter(([, c]) => c >= minCount);
  if (entries.length === 0) {
    throw new InputError(`vocabulary is empty: no word occurs at least min-count=${minCount} times (${counts.size} distinct words, most frequent seen ${Math.max(0, ...counts.values())} times)`, { field: 'minCount' });
  }
  entries.sort((x, y) => y[1] - x[1]);
  if (maxVocab > 0 && entries.length > maxVocab) entries = entries.slice(0, maxVocab);
  const words = entries.map((e) => e[0]);
  const c = new Float64Array(entries.map((e) => e[1]));
  let total = 0;
  for (const v of c) total += v;
  return { words, counts: c, index: new Map(words.map((w, i) => [w, i])), totalWords: total };
}

/** The corpus as ids (out-of-vocabulary words dropped), `-1` after each sentence. */
export function encodeCorpus(sentences: Sentences, vocab: Vocab): Int32Array {
  let n = 0;
  for (const s of sentences) n += s.length + 1;
  const out = new Int32Array(n);
  let p = 0;
  for (const s of sentences) {
    for (const w of s) {
      const id = vocab.index.get(w);
      if (id !== undefined) out[p++] = id;
    }
    out[p++] = -1;
  }
  return out.slice(0, p);
}
