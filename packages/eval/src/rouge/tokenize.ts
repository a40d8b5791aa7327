/**
 * rouge-score's tokenizer: lowercase, replace every run of characters outside `[a-z0-9]` with a
 * space, split on whitespace, Porter-stem tokens longer than 3 characters (when stemming), and
 * keep only tokens matching `^[a-z0-9]+$`.
 *
 * Non-ASCII behaviour (reproduced on purpose): every letter outside a–z and digit outside 0–9
 * is a separator, so `café` → `caf`, `naïve` → `na ve`, `Straße` → `stra e`, and text in
 * Cyrillic, Greek, CJK, Arabic … produces no tokens at all (ROUGE 0 for such text). Pass
 * `unicode: true` for a Unicode-aware variant that keeps letters and digits of every script
 * (`\p{L}\p{N}` and combining marks `\p{M}`), with NFC normalization; its scores are NOT those of
 * rouge-score.
 *
 * @packageDocumentation
 */
import { PorterStemmer } from './porter.js';

/** Options of {@link rougeTokenize}. */
export interface RougeTokenizeOptions {
  /** Porter-stem tokens longer than 3 characters. */
  stemmer?: PorterStemmer | null;
  /** Unicode-aware tokenization (letters/digits of every script); not rouge-score compatible. */
  unicode?: boolean;
}

const NON_ALNUM = /[^a-z0-9]+/g;
const SPACES = /\s+/;
const VALID = /^[a-z0-9]+$/;
const NON_ALNUM_UNICODE = /[^\p{L}\p{N}\p{M}]+/gu;
const VALID_UNICODE = /^[\p{L}\p{N}\p{M}]+$/u;

/** Tokenize text the way rouge-score does (or Unicode-aware with `unicode: true`). */
export function rougeTokenize(text: string, options: RougeTokenizeOptions = {}): string[] {
  const unicode = options.unicode ?? false;
  let t = text.toLowerCase();
  if (unicode) t = t.normalize('NFC');
  t = t.replace(unicode ? NON_ALNUM_UNICODE : NON_ALNUM, ' ');
  let tokens = t.split(SPACES);
  const stemmer = options.stemmer;
  if (stemmer) tokens = tokens.map((x) => (x.length > 3 ? stemmer.stem(x) : x));
  const valid = unicode ? VALID_UNICODE : VALID;
  return tokens.filter((x) => valid.test(x));
}
