/**
 * sacreBLEU's tokenizers, re-implemented: `13a` (mteval-v13a, the default), `intl`
 * (mteval-v14 international), `char`, `none` and `zh`.
 *
 * @packageDocumentation
 */
import { ConfigError } from '@llm/core';
import { codePoints, pyNormalizeSpaces, pyStrip } from '../text.js';
import { preprocess13a, RegexpPasses } from './scan.js';

/** Names of the BLEU tokenizers available here. */
export type BleuTokenizerName = '13a' | 'intl' | 'char' | 'none' | 'zh';

/** All BLEU tokenizer names. */
export const BLEU_TOKENIZERS: readonly BleuTokenizerName[] = ['13a', 'intl', 'char', 'none', 'zh'];

/** A tokenizer: a function from a line to a space-separated token string, with its signature name. */
export interface BleuTokenizer {
  /** The name printed in the signature (`tok:13a`). */
  readonly name: BleuTokenizerName;
  /** Tokenize one line. */
  tokenize(line: string): string;
}

const PASSES = new RegexpPasses();

/** The post-tokenizer shared by `13a` and `zh` (sacreBLEU's `TokenizerRegexp`). */
export function tokenizeRegexp(line: string): string {
  PASSES.run(line);
  return PASSES.joined();
}

/** mteval-v13a tokenization, sacreBLEU's default. */
export function tokenize13a(line: string): string {
  PASSES.run(preprocess13a(line), true);
  return PASSES.joined();
}

const RE_INTL_1 = /(\P{N})(\p{P})/gu;
const RE_INTL_2 = /(\p{P})(\P{N})/gu;
const RE_INTL_3 = /(\p{S})/gu;

/** mteval-v14 international tokenization (`intl`): split Unicode punctuation and symbols. */
export function tokenizeIntl(line: string): string {
  let s = line.replace(RE_INTL_1, '$1 $2 ');
  s = s.replace(RE_INTL_2, ' $1 $2');
  s = s.replace(RE_INTL_3, ' $1 ');
  return pyNormalizeSpaces(s);
}

/** Character tokenization: every code point becomes a token. */
export function tokenizeChar(line: string): string {
  return codePoints(line).join(' ');
}

/** No tokenization. */
export function tokenizeNone(line: string): string {
  return line;
}

// sacreBLEU's zh ranges, compared the way its Python code compares them: the bounds are
// Python string literals, and two of them (`'\u20000'`, `'\u2f800'`, …) are two-character
// strings, so those ranges are effectively (U+2000, U+2A6D] and (U+2F80, U+2FA1].
const ZH_RANGES: ReadonlyArray<readonly [number, number, boolean]> = [
  [0x3400, 0x4db5, true], [0x4e00, 0x9fa5, true], [0x9fa6, 0x9fbb, true], [0xf900, 0xfa2d, true],
  [0xfa30, 0xfa6a, true], [0xfa70, 0xfad9, true],
  [0x2000, 0x2a6d, false], // u'\u20000' .. u'\u2a6d6'
  [0x2f80, 0x2fa1, false], // u'\u2f800' .. u'\u2fa1d'
  [0xff00, 0xffef, true], [0x2e80, 0x2eff, true], [0x3000, 0x303f, true], [0x31c0, 0x31ef, true],
  [0x2f00, 0x2fdf, true], [0x2ff0, 0x2fff, true], [0x3100, 0x312f, true], [0x31a0, 0x31bf, true],
  [0xfe10, 0xfe1f, true], [0xfe30, 0xfe4f, true], [0x2600, 0x26ff, true], [0x2700, 0x27bf, true],
  [0x3200, 0x32ff, true], [0x3300, 0x33ff, true],
];

/** Whether sacreBLEU's `zh` tokenizer treats this code point as a Chinese character. */
export function isChineseChar(cp: number): boolean {
  for (const [lo, hi, inclusiveLo] of ZH_RANGES) {
    if ((inclusiveLo ? cp >= lo : cp > lo) && cp <= hi) return true;
  }
  return false;
}

/** sacreBLEU's `zh` tokenizer: Chinese characters become tokens, the rest is tokenized like 13a. */
export function tokenizeZh(line: string): string {
  const s = pyStrip(line);
  let out = '';
  for (const ch of s) {
    if (isChineseChar(ch.codePointAt(0)!)) out += ` ${ch} `;
    else out += ch;
  }
  return tokenizeRegexp(out);
}

/** Get a BLEU tokenizer by name; throws {@link ConfigError} for an unknown name. */
export function getBleuTokenizer(name: string): BleuTokenizer {
  const fns: Record<BleuTokenizerName, (line: string) => string> = {
    '13a': tokenize13a, intl: tokenizeIntl, char: tokenizeChar, none: tokenizeNone, zh: tokenizeZh,
  };
  if (!(name in fns)) throw new ConfigError(`unknown BLEU tokenizer '${name}' (choose from ${BLEU_TOKENIZERS.join(', ')})`, { field: 'tokenize' });
  const fn = fns[name as BleuTokenizerName];
  return { name: name as BleuTokenizerName, tokenize: fn };
}
