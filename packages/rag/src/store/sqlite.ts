import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, type Metadata } from '@llm/core';
import type { Chunk } from '../types.js';

/** The parts of better-sqlite3 used here. */
interface Statement { run(...params: unknown[]): { changes: number }; get(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] }
interface Database { prepare(sql: string): Statement; exec(sql: string): void; pragma(s: string): unknown; transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void; close(): void }
type DatabaseCtor = new (path: string) => Database;
const require_ = createRequire(import.meta.url);

/** A document row. */
export interface StoredDocument {
  source: string;
  hash: string;
  title: string | null;
  metadata: Metadata;
  ingestedAt: string;
  chunks: number;
}

interface ChunkRow { id: string; source: string; ordinal: number; page: number | null; title: string | null; text: string; metadata: string; vector: Buffer | null }

function rowToChunk(r: ChunkRow): Chunk & { vector?: Float32Array } {
  const c: Chunk & { vector?: Float32Array } = { id: r.id, source: r.source, ordinal: r.ordinal, text: r.text, metadata: JSON.parse(r.metadata) as Metadata };
  if (r.page !== null) c.page = r.page;
  if (r.title !== null) c.title = r.title;
  if (r.vector) c.vector = new Float32Array(r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + r.vector.byteLength));
  return c;
}

/**
 * The document store: documents, their chunks, metadata and vectors together in one SQLite file
 * (WAL mode; every change is one transaction, so a crash never leaves half a document).
 */
export class DocumentStore {
  private readonly db: Database;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    const Ctor = require_('better-sqlite3') as DatabaseCtor;
    this.db = new Ctor(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS documents(source TEXT PRIMARY KEY, hash TEXT NOT NULL, title TEXT, metadata TEXT NOT NULL, ingested_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS chunks(
        id TEXT PRIMARY KEY, source TEXT NOT NULL REFERENCES documents(source) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL, page INTEGER, title TEXT, text TEXT NOT NULL, metadata TEXT NOT NULL, vector BLOB);
      CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source, ordinal);
    `);
  }

  /** A stored setting (embedder id, dimension, splitter options…). */
  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** The content hash stored for a source, if it was ingested. */
  documentHash(source: string): string | undefined {
    return (this.db.prepare('SELECT hash FROM documents WHERE source = ?').get(source) as { hash: string } | undefined)?.hash;
  }

  /** Ids of a source's chunks. */
  chunkIds(source: string): string[] {
    return (this.db.prepare('SELECT id FROM chunks WHERE source = ? ORDER BY ordinal').all(source) as Array<{ id: string }>).map((r) => r.id);
  }

  /** Replace a document and all its chunks in one transaction. */
  replaceDocument(doc: { source: string; hash: string; title?: string; metadata: Metadata }, chunks: ReadonlyArray<Chunk & { vector?: Float32Array }>): void {
    const del = this.db.prepare('DELETE FROM documents WHERE source = ?');
    const insDoc = this.db.prepare('INSERT INTO documents(source, hash, title, metadata, ingested_at) VALUES(?, ?, ?, ?, ?)');
    const insChunk = this.db.prepare('INSERT INTO chunks(id, source, ordinal, page, title, text, metadata, vector) VALUES(?, ?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      del.run(doc.source);
      insDoc.run(doc.source, doc.hash, doc.title ?? null, JSON.stringify(doc.metadata), new Date().toISOString());
      for (const c of chunks) {
        if (c.source !== doc.source) throw new ConfigError(`chunk ${c.id} belongs to ${c.source}, not ${doc.source}`);
        insChunk.run(c.id, c.source, c.ordinal, c.page ?? null, c.title ?? null, c.text, JSON.stringify(c.metadata), c.vector ? Buffer.from(c.vector.buffer, c.vector.byteOffset, c.vector.byteLength) : null);
      }
    })();
  }

  /** Remove a document and its chunks; returns the removed chunk ids. */
  removeDocument(source: string): string[] {
    const ids = this.chunkIds(source);
    this.db.prepare('DELETE FROM documents WHERE source = ?').run(source);
    return ids;
  }

  /** Every chunk, in document order (vectors included when `withVectors`). */
  allChunks(withVectors = false): Array<Chunk & { vector?: Float32Array }> {
    const cols = withVectors ? '*' : 'id, source, ordinal, page, title, text, metadata, NULL AS vector';
    return (this.db.prepare(`SELECT ${cols} FROM chunks ORDER BY source, ordinal`).all() as ChunkRow[]).map(rowToChunk);
  }

  /** One chunk by id. */
  getChunk(id: string): (Chunk & { vector?: Float32Array }) | undefined {
    const r = this.db.prepare('SELECT * FROM chunks WHERE id = ?').get(id) as ChunkRow | undefined;
    return r ? rowToChunk(r) : undefined;
  }

  /** Every document with its chunk count. */
  documents(): StoredDocument[] {
    return (this.db.prepare('SELECT d.source, d.hash, d.title, d.metadata, d.ingested_at, COUNT(c.id) AS n FROM documents d LEFT JOIN chunks c ON c.source = d.source GROUP BY d.source ORDER BY d.source').all() as Array<{ source: string; hash: string; title: string | null; metadata: string; ingested_at: string; n: number }>)
      .map((r) => ({ source: r.source, hash: r.hash, title: r.title, metadata: JSON.parse(r.metadata) as Metadata, ingestedAt: r.ingested_at, chunks: r.n }));
  }

  close(): void {
    this.db.close();
  }
}
