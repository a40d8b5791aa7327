import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createProgress, throwIfAborted, type Embedder, type Metadata, type SearchOptions } from '@llm/core';
import { loadPaths, listLoadable } from './loaders/index.js';
import { splitDocument, type SplitOptions } from './split/splitter.js';
import { DocumentStore } from './store/sqlite.js';
import { HnswIndex, type HnswOptions } from './index/hnsw.js';
import { Bm25Index } from './retrieve/bm25.js';
import { maximalMarginalRelevance, reciprocalRankFusion } from './retrieve/fusion.js';
import { rerankBySentenceWindows, type WindowRerankOptions } from './retrieve/window-rerank.js';
import type { Chunk, IngestFailure, LoadedDocument, RetrievedChunk } from './types.js';

/** Options for {@link KnowledgeBase.open}. */
export interface KnowledgeBaseOptions {
  /** Embeds chunks and questions for dense and hybrid retrieval; without one, retrieval is BM25. */
  embedder?: Embedder;
  /** How documents are split. Default: 1000 characters with 150 overlap, sentence-aware. */
  split?: SplitOptions;
  /** HNSW parameters of the vector index. */
  hnsw?: HnswOptions;
}

/** What an ingest did. */
export interface IngestReport {
  added: string[];
  updated: string[];
  unchanged: string[];
  failed: IngestFailure[];
  chunks: number;
  seconds: number;
}

/** Retrieval modes. */
export type RetrievalMode = 'bm25' | 'dense' | 'hybrid';

/** Options for {@link KnowledgeBase.retrieve}. */
export interface RetrieveOptions {
  /** How many chunks. Default 5. */
  k?: number;
  /** Default: hybrid when an embedder is configured, else bm25. */
  mode?: RetrievalMode;
  /** Keep only chunks whose metadata (plus `source`, `page`, `title`) passes. */
  filter?: (chunk: Chunk) => boolean;
  /** Drop results scoring below this (the mode's own score scale). */
  minScore?: number;
  /** Diversify with maximal marginal relevance (needs an embedder); λ in [0, 1], 1 = pure relevance. */
  mmrLambda?: number;
  /** Hybrid: reciprocal-rank-fusion weights of the BM25 and dense rankings. Default [1, 1]. */
  fusionWeights?: readonly [number, number];
  /** Candidates taken from each retriever before fusion. Default max(50, 5k). */
  candidates?: number;
  /**
   * Lexical reranking of the first `candidates` results by their best sentence window
   * ({@link rerankBySentenceWindows}); on by default, `false` turns it off (plain BM25 / dense / RRF order).
   */
  windowRerank?: false | (WindowRerankOptions & { candidates?: number });
  /** Re-order the final candidates (e.g. a cross-encoder). */
  rerank?: (question: string, chunks: RetrievedChunk[]) => Promise<RetrievedChunk[]>;
  signal?: AbortSignal;
}

function hashDocument(doc: LoadedDocument): string {
  const h = createHash('sha256');
  h.update(doc.title ?? '');
  for (const p of doc.pages) h.update(`\u0000${p.page ?? ''}\u0000${p.text}`);
  return h.digest('hex');
}

/**
 * A folder holding a RAG knowledge base: `store.sqlite` (documents, chunks, metadata, vectors) and
 * `hnsw/` (the vector index). Ingesting a changed file replaces only that file's chunks.
 */
export class KnowledgeBase {
  private bm25: Bm25Index | undefined;
  private chunkCache: Map<string, Chunk & { vector?: Float32Array }> | undefined;

  private constructor(
    readonly dir: string,
    readonly store: DocumentStore,
    readonly embedder: Embedder | undefined,
    private index: HnswIndex | undefined,
    readonly split: SplitOptions,
    private readonly hnswOptions: HnswOptions,
  ) {}

  /** Open (or create) the knowledge base in `dir`. */
  static async open(dir: string, options: KnowledgeBaseOptions = {}): Promise<KnowledgeBase> {
    const store = new DocumentStore(join(dir, 'store.sqlite'));
    const emb = options.embedder;
    const storedEmbedder = store.getMeta('embedder');
    if (emb) {
      if (storedEmbedder && storedEmbedder !== `${emb.id}:${emb.dimension}`) {
        store.close();
        throw new ConfigError(`${dir} was built with embedder ${storedEmbedder}; re-ingest into a new folder to use ${emb.id}:${emb.dimension}`);
      }
    }
    const split = options.split ?? (store.getMeta('split') ? (JSON.parse(store.getMeta('split')!) as SplitOptions) : { chunkSize: 1000, chunkOverlap: 150, sentenceAware: true });
    let index: HnswIndex | undefined;
    if (emb) index = existsSync(join(dir, 'hnsw', 'hnsw.json')) ? await HnswIndex.load(join(dir, 'hnsw')) : new HnswIndex(emb.dimension, options.hnsw);
    return new KnowledgeBase(dir, store, emb, index, split, options.hnsw ?? {});
  }

  /** Load, split, embed and store every file under `paths`; unchanged files are skipped. */
  async ingest(paths: readonly string[], options: { signal?: AbortSignal } = {}): Promise<IngestReport> {
    const t0 = performance.now();
    const report: IngestReport = { added: [], updated: [], unchanged: [], failed: [], chunks: 0, seconds: 0 };
    const files = await listLoadable(paths);
    const progress = createProgress({ label: 'ingest', total: files.length, unit: 'files' });
    if (this.embedder) this.store.setMeta('embedder', `${this.embedder.id}:${this.embedder.dimension}`);
    if (!('length' in this.split) || this.split.length === undefined) this.store.setMeta('split', JSON.stringify(this.split));
    let lastFile = '';
    try {
      for await (const doc of loadPaths(paths, { signal: options.signal, onError: (f) => report.failed.push(f) })) {
        throwIfAborted(options.signal);
        const file = doc.metadata.dump !== undefined ? String(doc.metadata.dump) : doc.source;
        if (file !== lastFile) { if (lastFile) progress.tick(1); lastFile = file; }
        const hash = hashDocument(doc);
        const old = this.store.documentHash(doc.source);
        if (old === hash) { report.unchanged.push(doc.source); continue; }
        const chunks: Array<Chunk & { vector?: Float32Array }> = splitDocument(doc, this.split);
        if (this.embedder && chunks.length) {
          const vectors = await this.embedder.embed(chunks.map((c) => c.text), { signal: options.signal, kind: 'passage' });
          chunks.forEach((c, i) => { c.vector = vectors[i]; });
        }
        const oldIds = old === undefined ? [] : this.store.chunkIds(doc.source);
        this.store.replaceDocument({ source: doc.source, hash, title: doc.title, metadata: doc.metadata }, chunks);
        if (this.index) {
          await this.index.delete(oldIds);
          await this.index.add(chunks.map((c) => ({ id: c.id, vector: c.vector!, metadata: { source: c.source, page: c.page ?? null } as Metadata })));
        }
        (old === undefined ? report.added : report.updated).push(doc.source);
        report.chunks += chunks.length;
      }
      if (lastFile) progress.tick(1);
    } finally {
      progress.done();
    }
    report.failed.forEach(() => progress.tick(1));
    if (this.index) await this.index.save(join(this.dir, 'hnsw'));
    this.bm25 = undefined;
    this.chunkCache = undefined;
    report.seconds = (performance.now() - t0) / 1000;
    return report;
  }

  /** Remove a source and its chunks. */
  async remove(source: string): Promise<number> {
    const ids = this.store.removeDocument(source);
    if (this.index) {
      await this.index.delete(ids);
      await this.index.save(join(this.dir, 'hnsw'));
    }
    this.bm25 = undefined;
    this.chunkCache = undefined;
    return ids.length;
  }

  private chunks(): Map<string, Chunk & { vector?: Float32Array }> {
    if (!this.chunkCache) this.chunkCache = new Map(this.store.allChunks(Boolean(this.embedder)).map((c) => [c.id, c]));
    return this.chunkCache;
  }

  private lexical(): Bm25Index {
    if (!this.bm25) {
      const idx = new Bm25Index();
      for (const c of this.chunks().values()) idx.add(c.id, `${c.title ?? ''}\n${c.text}`);
      this.bm25 = idx;
    }
    return this.bm25;
  }

  /** Number of stored chunks. */
  get size(): number {
    return this.chunks().size;
  }

  /** The chunks most relevant to `question`, best first. */
  async retrieve(question: string, options: RetrieveOptions = {}): Promise<RetrievedChunk[]> {
    const k = options.k ?? 5;
    const mode = options.mode ?? (this.embedder ? 'hybrid' : 'bm25');
    if (mode !== 'bm25' && (!this.embedder || !this.index)) throw new ConfigError(`retrieval mode '${mode}' needs an embedder`);
    const n = options.candidates ?? Math.max(50, 5 * k);
    const all = this.chunks();
    const passes = (id: string) => !options.filter || options.filter(all.get(id)!);
    let ranked: Array<{ id: string; score: number }> = [];
    let qv: Float32Array | undefined;
    const dense = async () => {
      qv = (await this.embedder!.embed([question], { signal: options.signal, kind: 'query' }))[0]!;
      const filter: SearchOptions['filter'] | undefined = options.filter ? (_m, id) => passes(id) : undefined;
      return this.index!.search(qv, n, { filter });
    };
    if (mode === 'bm25') ranked = this.lexical().search(question, options.filter ? n * 4 : n).filter((h) => passes(h.id));
    else if (mode === 'dense') ranked = await dense();
    else ranked = reciprocalRankFusion([this.lexical().search(question, options.filter ? n * 4 : n).filter((h) => passes(h.id)).slice(0, n), await dense()], { weights: options.fusionWeights });
    if (options.minScore !== undefined) ranked = ranked.filter((r) => r.score >= options.minScore!);
    if (options.windowRerank !== false && ranked.length > 1) {
      const wr = options.windowRerank ?? {};
      const m = Math.max(k, wr.candidates ?? 40);
      const lex = this.lexical();
      const head = rerankBySentenceWindows(question, ranked.slice(0, m).map((r) => ({ ...r, text: all.get(r.id)!.text })), (t) => lex.idf(t), wr);
      ranked = [...head.map(({ id, score }) => ({ id, score })), ...ranked.slice(m).map((r) => ({ id: r.id, score: 0 }))];
    }
    let picked = ranked.slice(0, options.mmrLambda !== undefined ? n : k);
    if (options.mmrLambda !== undefined) {
      if (!qv) qv = (await this.embedder!.embed([question], { kind: 'query' }))[0]!;
      const withVec = picked.map((r) => ({ ...r, vector: all.get(r.id)!.vector! })).filter((r) => r.vector);
      picked = maximalMarginalRelevance(qv, withVec, k, options.mmrLambda);
    }
    let out: RetrievedChunk[] = picked.map((r, i) => {
      const c = all.get(r.id)!;
      const { vector: _v, ...chunk } = c;
      return { ...chunk, score: r.score, rank: i + 1 };
    });
    if (options.rerank) out = (await options.rerank(question, out)).map((c, i) => ({ ...c, rank: i + 1 }));
    return out;
  }

  close(): void {
    this.store.close();
  }
}
