/**
 * Pre-tokenisation patterns of the byte-level BPE encodings (as published with tiktoken and
 * the HF tokenizers), written for JavaScript's `u` flag: the inline `(?i:…)` groups of the
 * originals are spelled out, possessive quantifiers are not needed.
 *
 * @packageDocumentation
 */

const CONTRACTIONS_CI = "'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])";

/** GPT-2 / r50k_base / p50k_base. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** cl100k_base (also LLaMA 3's pre-tokeniser). */
export const CL100K_PATTERN = `${CONTRACTIONS_CI}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;

/** Qwen2: cl100k_base with single digits. */
export const QWEN2_PATTERN = `${CONTRACTIONS_CI}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;

/** o200k_base. */
export const O200K_PATTERN = [
  `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?:${CONTRACTIONS_CI})?`,
  `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?:${CONTRACTIONS_CI})?`,
  '\\p{N}{1,3}',
  ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*',
  '\\s*[\\r\\n]+',
  '\\s+(?!\\S)',
  '\\s+',
].join('|');

/**
 * Convert a pattern written for Rust/Python/Oniguruma (as stored in tokenizer.json and GGUF) to
 * one JavaScript accepts: `(?i:…)` groups are expanded for ASCII letters, and possessive
 * quantifiers (`?+`, `*+`, `++`) become greedy ones (equivalent for these patterns, whose
 * alternatives never need to backtrack into them).
 */
export function toJsPattern(pattern: string): string {
  let out = pattern.replace(/\(\?i:([^()]*)\)/g, (_m, body: string) => {
    const ci = body.replace(/[a-zA-Z]/g, (ch) => `[${ch.toLowerCase()}${ch.toUpperCase()}]`);
    return `(?:${ci})`;
  });
  out = out.replace(/(?<!\\)([?*+]|\{\d+(?:,\d*)?\})\+/g, '$1');
  return out;
}
