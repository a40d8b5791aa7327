export type { Encoding, EncodeOptions, Tokenizer } from './tokenizer.js';
export type { EmbedOptions, Embedder } from './embedder.js';
export type {
  ChatMessage,
  GenerateOptions,
  FinishReason,
  GenerateResult,
  StreamChunk,
  NextTokenLogits,
  LanguageModel,
} from './language-model.js';
export type { Metadata, SearchHit, SearchOptions, VectorIndex } from './vector-index.js';
