/** One message of a chat. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
}

/** Sampling and stopping options shared by every {@link LanguageModel}. */
export interface GenerateOptions {
  /** Upper bound on new tokens. */
  maxTokens?: number;
  /** 0 means greedy. Default 1. */
  temperature?: number;
  /** Nucleus sampling mass. Default 1 (off). */
  topP?: number;
  /** Keep only the k most likely tokens. Default 0 (off). */
  topK?: number;
  /** Penalise repeated tokens (>1 discourages). Default 1 (off). */
  repetitionPenalty?: number;
  /** Strings that end generation; the stop string is not included in the text. */
  stop?: readonly string[];
  /** Seed for sampling: the same seed, prompt and options give the same text. */
  seed?: number;
  /** Cancel generation; the promise rejects / the stream ends with a CancelledError. */
  signal?: AbortSignal;
}

/** Why generation ended (OpenAI's names). */
export type FinishReason = 'stop' | 'length' | 'cancelled' | 'error';

/** The result of {@link LanguageModel.generate}. */
export interface GenerateResult {
  text: string;
  /** Generated token ids. */
  tokens: number[];
  finishReason: FinishReason;
  usage: { promptTokens: number; completionTokens: number };
}

/** One piece of a streamed generation. */
export interface StreamChunk {
  /** New text since the previous chunk (may be empty while a multi-byte character is incomplete). */
  text: string;
  /** Token id that produced this chunk. */
  token: number;
  /** Set on the last chunk. */
  finishReason?: FinishReason;
}

/** Next-token distribution for a prefix. */
export interface NextTokenLogits {
  /** Unnormalised scores over the vocabulary. */
  logits: Float32Array;
}

/** A causal (or seq2seq) language model. */
export interface LanguageModel {
  /** Identifier, e.g. `gpt-austen`. */
  readonly id: string;
  /** Vocabulary size of the logits. */
  readonly vocabSize: number;
  /** Maximum context length in tokens. */
  readonly contextLength: number;
  /** Scores for the token after `ids`. */
  nextTokenLogits(ids: readonly number[]): Promise<NextTokenLogits>;
  /** Tokenize text with the model's tokenizer. */
  tokenize(text: string): number[];
  /** Render chat messages with the model's chat template into a prompt string. */
  applyChatTemplate(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string;
  /** Generate a completion of `prompt`. */
  generate(prompt: string, options?: GenerateOptions): Promise<GenerateResult>;
  /** Stream a completion of `prompt` chunk by chunk. */
  stream(prompt: string, options?: GenerateOptions): AsyncIterable<StreamChunk>;
}
