import { join } from 'node:path';
import { ConfigError, FormatError, readJson, readSafetensors, writeJsonAtomic, writeSafetensors, type Metadata, type SearchHit, type SearchOptions, type VectorIndex } from '@llm/core';

/** Distance a vector index uses. */
export type Metric = 'cosine' | 'l2' | 'ip';

/** Score of `a` against `b` under a metric (higher is closer). */
export function similarity(metric: Metric, a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let l2 = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
    l2 += (x - y) * (x - y);
  }
  if (metric === 'ip') return dot;
  if (metric === 'l2') return -l2;
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** An exact (brute-force) vector index: the reference that approximate indexes are measured against. */
export class FlatIndex implements VectorIndex {
  private readonly vectors = new Map<string, { vector: Float32Array; metadata: Metadata }>();

  constructor(readonly dimension: number, readonly metric: Metric = 'cosine') {
    if (!(dimension > 0)) throw new ConfigError(`dimension must be positive, got ${dimension}`);
  }

  get size(): number {
    return this.vectors.size;
  }

  async add(items: ReadonlyArray<{ id: string; vector: ArrayLike<number>; metadata?: Metadata }>): Promise<void> {
    for (const it of items) {
      if (it.vector.length !== this.dimension) throw new ConfigError(`vector for '${it.id}' has ${it.vector.length} dimensions, index has ${this.dimension}`);
      this.vectors.set(it.id, { vector: Float32Array.from(it.vector), metadata: it.metadata ?? {} });
    }
  }

  async delete(ids: readonly string[]): Promise<number> {
    let n = 0;
    for (const id of ids) if (this.vectors.delete(id)) n++;
    return n;
  }

  async search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): Promise<SearchHit[]> {
    if (query.length !== this.dimension) throw new ConfigError(`query has ${query.length} dimensions, index has ${this.dimension}`);
    const hits: SearchHit[] = [];
    for (const [id, v] of this.vectors) {
      if (options.filter && !options.filter(v.metadata, id)) continue;
      hits.push({ id, score: similarity(this.metric, query, v.vector), metadata: v.metadata });
    }
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return hits.slice(0, k);
  }

  /** The stored vector of `id`, if any. */
  vector(id: string): Float32Array | undefined {
    return this.vectors.get(id)?.vector;
  }

  async save(dir: string): Promise<void> {
    const ids = [...this.vectors.keys()];
    const data = new Float32Array(ids.length * this.dimension);
    ids.forEach((id, i) => data.set(this.vectors.get(id)!.vector, i * this.dimension));
    await writeSafetensors(join(dir, 'flat.safetensors'), { vectors: { dtype: 'F32', shape: [ids.length, this.dimension], data } });
    await writeJsonAtomic(join(dir, 'flat.json'), { kind: 'flat', dimension: this.dimension, metric: this.metric, ids, metadata: ids.map((id) => this.vectors.get(id)!.metadata) });
  }

  /** Load an index saved by {@link FlatIndex.save}. */
  static async load(dir: string): Promise<FlatIndex> {
    const file = join(dir, 'flat.json');
    const meta = (await readJson(file)) as { kind?: string; dimension: number; metric: Metric; ids: string[]; metadata: Metadata[] };
    if (meta.kind !== 'flat') throw new FormatError('flat-index', `expected kind 'flat', got '${meta.kind}'`, { file, field: 'kind' });
    const { tensors } = await readSafetensors(join(dir, 'flat.safetensors'));
    const v = tensors.get('vectors');
    if (!v || v.shape[0] !== meta.ids.length || v.shape[1] !== meta.dimension) throw new FormatError('flat-index', 'vectors do not match flat.json', { file: join(dir, 'flat.safetensors') });
    const idx = new FlatIndex(meta.dimension, meta.metric);
    const data = v.data as Float32Array;
    await idx.add(meta.ids.map((id, i) => ({ id, vector: data.subarray(i * meta.dimension, (i + 1) * meta.dimension), metadata: meta.metadata[i] })));
    return idx;
  }
}
