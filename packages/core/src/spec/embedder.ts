/** Options for {@link Embedder.embed}. */
export interface EmbedOptions {
  /** Cancel a long batch. */
  signal?: AbortSignal;
  /** How the texts will be used; some models embed queries and passages differently. */
  kind?: 'query' | 'passage';
}

/** Turns texts into fixed-size vectors. */
export interface Embedder {
  /** Identifier, e.g. `word2vec-austen-sif` or `bert-mini-mean`. */
  readonly id: string;
  /** Vector length. */
  readonly dimension: number;
  /** Largest batch the implementation processes at once; callers may pass more, it batches internally. */
  readonly maxBatchSize: number;
  /** Whether returned vectors have unit L2 norm. */
  readonly normalized: boolean;
  /** Embed texts, one vector per text, in order. */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
}
