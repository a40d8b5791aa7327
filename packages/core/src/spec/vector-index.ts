/** Metadata stored beside a vector: JSON-serialisable values. */
export type Metadata = Record<string, string | number | boolean | null>;

/** One search result. */
export interface SearchHit {
  id: string;
  /** Similarity: higher is closer (cosine similarity or negative distance, per the index's metric). */
  score: number;
  metadata: Metadata;
}

/** Options for {@link VectorIndex.search}. */
export interface SearchOptions {
  /** Keep only hits whose metadata passes this test. */
  filter?: (metadata: Metadata, id: string) => boolean;
  /** HNSW search breadth (ignored by exact indexes). */
  ef?: number;
}

/** A store of vectors with string ids and metadata. */
export interface VectorIndex {
  /** Vector length. */
  readonly dimension: number;
  /** Distance used. */
  readonly metric: 'cosine' | 'l2' | 'ip';
  /** Number of live vectors. */
  readonly size: number;
  /** Add or replace vectors. */
  add(items: ReadonlyArray<{ id: string; vector: ArrayLike<number>; metadata?: Metadata }>): Promise<void>;
  /** Delete by id; unknown ids are ignored. Returns how many were deleted. */
  delete(ids: readonly string[]): Promise<number>;
  /** The k nearest vectors to `query`. */
  search(query: ArrayLike<number>, k: number, options?: SearchOptions): Promise<SearchHit[]>;
  /** Persist to a folder (atomically). */
  save(dir: string): Promise<void>;
}
