import { existsSync } from 'node:fs';
import { NotFoundError, type Tokenizer } from '@llm/core';
import { tokenizerFromGguf } from './gguf-vocab.js';
import { HfTokenizer } from './hf/tokenizer.js';
import { getEncoding, type TiktokenEncodingName, TiktokenTokenizer } from './tiktoken.js';

const NAMES = new Set(['r50k_base', 'p50k_base', 'cl100k_base', 'o200k_base', 'gpt2']);

/** A tokenizer this package can load: a public tiktoken encoding, a tokenizer.json, or a GGUF vocabulary. */
export type AnyTokenizer = TiktokenTokenizer | HfTokenizer;

/**
 * Load a tokenizer by name (`cl100k_base`, `o200k_base`, `r50k_base`, `p50k_base`, `gpt2`) or path
 * (`tokenizer.json`, or a `.gguf` file's vocabulary).
 * @throws NotFoundError if it is neither a known name nor an existing file.
 */
export function loadTokenizer(spec: string): AnyTokenizer {
  if (NAMES.has(spec)) return getEncoding(spec as TiktokenEncodingName);
  if (!existsSync(spec)) throw new NotFoundError(`no tokenizer "${spec}": not a file, nor one of ${[...NAMES].join(', ')}`, { file: spec });
  if (spec.endsWith('.gguf')) return tokenizerFromGguf(spec);
  return HfTokenizer.load(spec);
}

/** Ids of a text with either kind of tokenizer (tiktoken: allowed specials per options; HF: post-processing on). */
export function encodeWith(t: Tokenizer, text: string, allowSpecial: boolean): number[] {
  if (t instanceof TiktokenTokenizer) return t.encodeIds(text, { allowedSpecial: allowSpecial ? 'all' : undefined });
  return t.encode(text).ids;
}
