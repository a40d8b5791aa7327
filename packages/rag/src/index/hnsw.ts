import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, FormatError, readJson, writeJsonAtomic, type Metadata, type SearchHit, type SearchOptions, type VectorIndex } from '@llm/core';
import type { Metric } from './flat.js';

/** The parts of hnswlib-node's HierarchicalNSW this wrapper uses. */
interface Hnsw {
  initIndex(maxElements: number, m?: number, efConstruction?: number, randomSeed?: number, allowReplaceDeleted?: boolean): void;
  readIndexSync(path: string, allowReplaceDeleted?: boolean): void;
  writeIndexSync(path: string): void;
  resizeIndex(n: number): void;
  addPoint(point: number[], label: number, replaceDeleted?: boolean): void;
  markDelete(label: number): void;
  searchKnn(query: number[], k: number, filter?: (label: number) => boolean): { distances: number[]; neighbors: number[] };
  setEf(ef: number): void;
  getMaxElements(): number;
  getCurrentCount(): number;
}
type HnswCtor = new (space: Metric, dim: number) => Hnsw;

const require_ = createRequire(import.meta.url);
function hnswCtor(): HnswCtor {
  return (require_('hnswlib-node') as { HierarchicalNSW: HnswCtor }).HierarchicalNSW;
}

/** HNSW parameters. */
export interface HnswOptions {
  metric?: Metric;
  /** Links per node. Default 16. */
  M?: number;
  /** Breadth while building. Default 200. */
  efConstruction?: number;
  /** Breadth while searching (raised to k when smaller). Default 64. */
  ef?: number;
  /** Seed of the level generator, for reproducible graphs. Default 100. */
  seed?: number;
  /** Initial capacity; the index grows by doubling. Default 1024. */
  capacity?: number;
}

/**
 * An approximate nearest-neighbour index on hnswlib-node (HNSW), with string ids and metadata,
 * incremental adds, deletion by marking (slots are reused), and atomic saves.
 */
export class HnswIndex implements VectorIndex {
  readonly metric: Metric;
  readonly M: number;
  readonly efConstruction: number;
  readonly seed: number;
  ef: number;
  private index: Hnsw;
  private readonly labelOf = new Map<string, number>();
  private idOf: Array<string | undefined> = [];
  private meta: Array<Metadata | undefined> = [];
  private free: number[] = [];
  /** Reused query buffer: hnswlib-node wants a plain array, so a typed-array query is copied into this one (no allocation per query). */
  private queryBuf: number[] = [];
  private currentEf = -1;

  constructor(readonly dimension: number, options: HnswOptions = {}) {
    if (!(dimension > 0)) throw new ConfigError(`dimension must be positive, got ${dimension}`);
    this.metric = options.metric ?? 'cosine';
    this.M = options.M ?? 16;
    this.efConstruction = options.efConstruction ?? 200;
    this.ef = options.ef ?? 64;
    this.seed = options.seed ?? 100;
    const Ctor = hnswCtor();
    this.index = new Ctor(this.metric, dimension);
    this.index.initIndex(Math.max(16, options.capacity ?? 1024), this.M, this.efConstruction, this.seed, true);
  }

  get size(): number {
    return this.labelOf.size;
  }

  async add(items: ReadonlyArray<{ id: string; vector: ArrayLike<number>; metadata?: Metadata }>): Promise<void> {
    for (const it of items) {
      if (it.vector.length !== this.dimension) throw new ConfigError(`vector for '${it.id}' has ${it.vector.length} dimensions, index has ${this.dimension}`);
      const existing = this.labelOf.get(it.id);
      if (existing !== undefined) {
        this.index.markDelete(existing);
        this.free.push(existing);
        this.labelOf.delete(it.id);
      }
      const reuse = this.free.pop();
      const label = reuse ?? this.idOf.length;
      if (reuse === undefined && label >= this.index.getMaxElements()) this.index.resizeIndex(this.index.getMaxElements() * 2);
      // hnswlib-node takes plain arrays (and copies them): typed arrays go through one reused buffer.
      let v: number[];
      if (Array.isArray(it.vector)) v = it.vector as number[];
      else {
        v = this.queryBuf;
        if (v.length !== this.dimension) v = this.queryBuf = new Array<number>(this.dimension).fill(0);
        for (let i = 0; i < this.dimension; i++) v[i] = it.vector[i]!;
      }
      this.index.addPoint(v, label, reuse !== undefined);
      this.labelOf.set(it.id, label);
      this.idOf[label] = it.id;
      this.meta[label] = it.metadata ?? {};
    }
  }

  async delete(ids: readonly string[]): Promise<number> {
    let n = 0;
    for (const id of ids) {
      const label = this.labelOf.get(id);
      if (label === undefined) continue;
      this.index.markDelete(label);
      this.labelOf.delete(id);
      this.idOf[label] = undefined;
      this.meta[label] = undefined;
      this.free.push(label);
      n++;
    }
    return n;
  }

  async search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): Promise<SearchHit[]> {
    if (query.length !== this.dimension) throw new ConfigError(`query has ${query.length} dimensions, index has ${this.dimension}`);
    const n = Math.min(k, this.size);
    if (n === 0) return [];
    const ef = Math.max(options.ef ?? this.ef, n);
    if (ef !== this.currentEf) { this.index.setEf(ef); this.currentEf = ef; }
    let q: number[];
    if (Array.isArray(query)) q = query as number[];
    else {
      q = this.queryBuf;
      if (q.length !== this.dimension) q = this.queryBuf = new Array<number>(this.dimension).fill(0);
      for (let i = 0; i < this.dimension; i++) q[i] = query[i]!;
    }
    const filter = options.filter;
    const res = this.index.searchKnn(q, n, filter ? (label: number) => {
      const id = this.idOf[label];
      return id !== undefined && filter(this.meta[label]!, id);
    } : undefined);
    const l2 = this.metric === 'l2';
    const hits: SearchHit[] = new Array<SearchHit>(res.neighbors.length);
    for (let i = 0; i < hits.length; i++) {
      const label = res.neighbors[i]!;
      hits[i] = { id: this.idOf[label]!, score: l2 ? -res.distances[i]! : 1 - res.distances[i]!, metadata: this.meta[label]! };
    }
    return hits;
  }

  /**
   * Save atomically: the graph goes to `hnsw-<generation>.bin`, then `hnsw.json` (ids, metadata,
   * parameters and the generation) is renamed into place; only then are older graphs removed.
   */
  async save(dir: string): Promise<void> {
    const prev = existsSync(join(dir, 'hnsw.json')) ? ((await readJson(join(dir, 'hnsw.json'))) as { generation?: number }).generation ?? 0 : 0;
    const generation = prev + 1;
    const bin = `hnsw-${generation}.bin`;
    const tmp = join(dir, `.${bin}.${process.pid}.tmp`);
    await writeJsonAtomic(join(dir, '.probe.json'), {}); // creates the folder
    await rm(join(dir, '.probe.json'), { force: true });
    this.index.writeIndexSync(tmp);
    await rename(tmp, join(dir, bin));
    await writeJsonAtomic(join(dir, 'hnsw.json'), {
      kind: 'hnsw', generation, file: bin, dimension: this.dimension, metric: this.metric, M: this.M, efConstruction: this.efConstruction, ef: this.ef, seed: this.seed,
      labels: this.idOf.map((id) => id ?? null), metadata: this.meta.map((m) => m ?? null), free: this.free,
    });
    for (const f of await readdir(dir)) if (/^hnsw-\d+\.bin$/.test(f) && f !== bin) await rm(join(dir, f), { force: true });
  }

  /** Load an index saved by {@link HnswIndex.save}. */
  static async load(dir: string): Promise<HnswIndex> {
    const file = join(dir, 'hnsw.json');
    const m = (await readJson(file)) as { kind?: string; file: string; dimension: number; metric: Metric; M: number; efConstruction: number; ef: number; seed: number; labels: Array<string | null>; metadata: Array<Metadata | null>; free: number[] };
    if (m.kind !== 'hnsw') throw new FormatError('hnsw-index', `expected kind 'hnsw', got '${m.kind}'`, { file, field: 'kind' });
    const idx = new HnswIndex(m.dimension, { metric: m.metric, M: m.M, efConstruction: m.efConstruction, ef: m.ef, seed: m.seed, capacity: 16 });
    const Ctor = hnswCtor();
    idx.index = new Ctor(m.metric, m.dimension);
    try {
      idx.index.readIndexSync(join(dir, m.file), true);
    } catch (err) {
      throw new FormatError('hnsw-index', `cannot read ${m.file}: ${(err as Error).message}`, { file: join(dir, m.file) }, { cause: err });
    }
    idx.idOf = m.labels.map((x) => x ?? undefined);
    idx.meta = m.metadata.map((x) => x ?? undefined);
    idx.free = [...m.free];
    idx.idOf.forEach((id, label) => { if (id !== undefined) idx.labelOf.set(id, label); });
    return idx;
  }
}
