/** The result of encoding one text (or a pair of texts). */
export interface Encoding {
  /** Token ids. */
  ids: number[];
  /** Token strings as the vocabulary spells them. */
  tokens: string[];
  /** For each token, the `[start, end)` span in UTF-16 code units of the original text (of its own sequence in a pair). */
  offsets: Array<[number, number]>;
  /** 0 for the first sequence, 1 for the second (BERT's token_type_ids). */
  typeIds: number[];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[];
  /** 1 where the token is a special token added by post-processing. */
  specialTokensMask: number[];
}

/** Options for {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /** Add the model's special tokens ([CLS]/[SEP], BOS/EOS) through the post-processor. Default true. */
  addSpecialTokens?: boolean;
  /** Special tokens allowed to appear in the text; `'all'` allows every one. Default: none (tiktoken semantics). */
  allowedSpecial?: ReadonlySet<string> | 'all';
}

/** A tokenizer: text ↔ ids, with offsets and special tokens. */
export interface Tokenizer {
  /** Number of ids, special tokens included. */
  readonly vocabSize: number;
  /** Special tokens and their ids (e.g. `{ '<|endoftext|>': 50256 }`). */
  readonly specialTokens: Readonly<Record<string, number>>;
  /** Encode one text (or a pair, for BERT-style models). */
  encode(text: string, pair?: string, options?: EncodeOptions): Encoding;
  /** Decode ids to a string; invalid UTF-8 is replaced with U+FFFD. */
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
  /** Id of a token string, or undefined. */
  tokenToId(token: string): number | undefined;
  /** Token string of an id, or undefined. */
  idToToken(id: number): string | undefined;
}
