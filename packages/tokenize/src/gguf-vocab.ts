import { FormatError, ggufNumberArray, ggufStringArray, ggufValue, readGgufHeader, type GgufFile } from '@llm/core';
import { CL100K_PATTERN, GPT2_PATTERN, QWEN2_PATTERN } from './patterns.js';
import type { NormalizerConfig, PreTokenizerConfig } from './hf/components.js';
import { BpeModel, WordPieceModel } from './hf/models.js';
import { HfTokenizer, type AddedToken } from './hf/tokenizer.js';

/**
 * Tokenizers from the vocabulary stored in a llama.cpp GGUF file (`tokenizer.ggml.*` metadata):
 * byte-level BPE (`gpt2` model with the `gpt-2`, `llama-bpe`, `qwen2` pre-tokenisers) and
 * WordPiece (`bert`). The result is an {@link HfTokenizer}, so it can be saved as tokenizer.json.
 *
 * @packageDocumentation
 */

/** Pre-tokenisation regexes for llama.cpp's `tokenizer.ggml.pre` names (BPE vocabularies). */
export const GGUF_PRE_PATTERNS: Readonly<Record<string, string>> = {
  'gpt-2': GPT2_PATTERN,
  'llama-bpe': CL100K_PATTERN,
  'llama3': CL100K_PATTERN,
  'qwen2': QWEN2_PATTERN,
};

const TOKEN_CONTROL = 3;
const TOKEN_USER_DEFINED = 4;

/**
 * Build a tokenizer from a parsed GGUF header (or a path to a GGUF file).
 * @throws FormatError for a missing or unsupported tokenizer model / pre-tokeniser.
 */
export function tokenizerFromGguf(source: GgufFile | string): HfTokenizer {
  const f = typeof source === 'string' ? readGgufHeader(source) : source;
  const file = typeof source === 'string' ? source : undefined;
  const model = ggufValue(f, 'tokenizer.ggml.model');
  const pre = ggufValue(f, 'tokenizer.ggml.pre');
  const tokens = ggufStringArray(f, 'tokenizer.ggml.tokens', true);
  const types = ggufNumberArray(f, 'tokenizer.ggml.token_type') ?? [];
  const vocab = new Map<string, number>();
  tokens.forEach((t, i) => { if (!vocab.has(t)) vocab.set(t, i); });
  const added: AddedToken[] = [];
  types.forEach((ty, id) => {
    if (ty === TOKEN_CONTROL || ty === TOKEN_USER_DEFINED) {
      added.push({ id, content: tokens[id]!, single_word: false, lstrip: false, rstrip: false, normalized: ty === TOKEN_USER_DEFINED, special: ty === TOKEN_CONTROL });
    }
  });
  if (model === 'gpt2') {
    const merges = ggufStringArray(f, 'tokenizer.ggml.merges', true).map((m, i): [string, string] => {
      const sp = m.indexOf(' ', 1);
      if (sp <= 0) throw new FormatError('gguf', `merge ${i} ${JSON.stringify(m)} is not "a b"`, { file, field: `tokenizer.ggml.merges[${i}]` });
      return [m.slice(0, sp), m.slice(sp + 1)];
    });
    const preName = typeof pre === 'string' ? pre : 'gpt-2';
    const pattern = GGUF_PRE_PATTERNS[preName];
    if (!pattern) throw new FormatError('gguf', `tokenizer.ggml.pre ${JSON.stringify(preName)} is not supported (${Object.keys(GGUF_PRE_PATTERNS).join(', ')})`, { file, field: 'tokenizer.ggml.pre' });
    const preTokenizer: PreTokenizerConfig = preName === 'gpt-2'
      ? { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }
      : { type: 'Sequence', pretokenizers: [
        { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ] };
    // Control tokens only match when special parsing is on in llama.cpp; keep them as special added tokens.
    return new HfTokenizer({
      model: new BpeModel(vocab, merges, { ignoreMerges: preName === 'llama-bpe' || preName === 'llama3' }),
      preTokenizer,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      addedTokens: added.filter((a) => !a.special || preName !== 'gpt-2'),
    });
  }
  if (model === 'bert') {
    // llama.cpp's converter spells word-initial pieces with a leading U+2581 and strips the "##"
    // of continuations (bracketed tokens unchanged); undo that to get the WordPiece vocabulary.
    const wp = tokens.map((t) => (t.startsWith('[') && t.endsWith(']') ? t : t.startsWith('\u2581') ? t.slice(1) : `##${t}`));
    vocab.clear();
    wp.forEach((t, i) => { if (!vocab.has(t)) vocab.set(t, i); });
    for (const a of added) a.content = wp[a.id]!;
    const unkId = Number(ggufValue(f, 'tokenizer.ggml.unknown_token_id') ?? vocab.get('[UNK]') ?? 100);
    const cls = Number(ggufValue(f, 'tokenizer.ggml.cls_token_id') ?? vocab.get('[CLS]'));
    const sep = Number(ggufValue(f, 'tokenizer.ggml.seperator_token_id') ?? vocab.get('[SEP]'));
    const normalizer: NormalizerConfig = { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true };
    return new HfTokenizer({
      model: new WordPieceModel(vocab, { unkToken: wp[unkId], continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }),
      normalizer,
      preTokenizer: { type: 'BertPreTokenizer' },
      postProcessor: { type: 'BertProcessing', cls: [wp[cls]!, cls], sep: [wp[sep]!, sep] },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      addedTokens: added.map((a) => ({ ...a, special: true })),
    });
  }
  throw new FormatError('gguf', `tokenizer.ggml.model ${JSON.stringify(model)} is not supported (gpt2, bert)`, { file, field: 'tokenizer.ggml.model' });
}
