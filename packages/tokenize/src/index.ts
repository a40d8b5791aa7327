/**
 * `@llm/tokenize`: byte-level BPE (tiktoken / GPT-2 style), WordPiece (BERT), HF
 * `tokenizer.json` load and save, llama.cpp GGUF vocabularies, and trainers.
 *
 * @packageDocumentation
 */
export * from './bytes.js';
export * from './patterns.js';
export { bpeWork } from './bpe-core.js';
export * from './tiktoken.js';
export * from './special.js';
export * from './hf/normalized.js';
export * from './hf/components.js';
export * from './hf/models.js';
export * from './hf/tokenizer.js';
export * from './gguf-vocab.js';
export * from './train/common.js';
export * from './train/bpe.js';
export * from './train/wordpiece.js';
export * from './load.js';
export * from './bench.js';
