import type { Metadata } from '@llm/core';

/** A loaded document: its text by page (one page for formats without pages). */
export interface LoadedDocument {
  /** File path or URL-like name the text came from. */
  source: string;
  title?: string;
  /** Text per page; `page` is 1-based where the format has pages (PDF). */
  pages: Array<{ page?: number; text: string }>;
  metadata: Metadata;
}

/** A piece of a document small enough to embed and to quote. */
export interface Chunk {
  /** Stable id: `<source>#<ordinal>`. */
  id: string;
  source: string;
  /** Position of the chunk within its document. */
  ordinal: number;
  text: string;
  page?: number;
  title?: string;
  metadata: Metadata;
}

/** A retrieved chunk with its score and rank (1-based). */
export interface RetrievedChunk extends Chunk {
  score: number;
  rank: number;
}

/** A file that could not be loaded while the rest of an ingest went on. */
export interface IngestFailure {
  source: string;
  error: string;
  code: string;
}
