import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Rng, createProgress, throwIfAborted, type Seed } from '@llm/core';
import { buildVocab, encodeCorpus, type Sentences, type Vocab } from './text.js';
import { KeyedVectors } from './vectors.js';
import type { TrainStats } from './word2vec.js';

/** Sparse co-occurrence counts, sorted by (row, col). */
export interface Cooccurrences {
  rows: Int32Array;
  cols: Int32Array;
  values: Float32Array;
  /** How many sorted runs were spilled to disk while counting (0 when everything fit in memory). */
  spills: number;
}

/** Options for {@link countCooccurrences}. */
export interface CooccurOptions {
  /** Context distance on each side (default 10, GloVe's default). */
  window?: number;
  /** Count both directions (default true); false counts only left context, like GloVe's `-symmetric 0`. */
  symmetric?: boolean;
  /** Weight a pair at distance d by 1/d (default true). */
  distanceWeighting?: boolean;
  /**
   * Distinct pairs held in memory before a sorted run is spilled to a temporary file
   * (default 4,000,000 ≈ 100 MB of hash table); runs are merged at the end.
   */
  maxEntries?: number;
  signal?: AbortSignal;
}

/**
 * Count windowed co-occurrences (pairs within `window` words in the same sentence, weighted
 * 1/distance) in a fixed-size open-addressing hash table; when it fills, its entries are sorted and
 * spilled to a temporary file, and the runs are merged (summing equal pairs) at the end, so memory
 * stays bounded whatever the corpus size, as GloVe's `cooccur` does with its overflow files.
 */
export function countCooccurrences(tokens: Int32Array, vocabSize: number, options: CooccurOptions = {}): Cooccurrences {
  const window = options.window ?? 10;
  const symmetric = options.symmetric ?? true;
  const weighting = options.distanceWeighting ?? true;
  const maxEntries = Math.max(1024, options.maxEntries ?? 4_000_000);
  if (!Number.isInteger(window) || window <= 0) throw new ConfigError(`window must be a positive integer, got ${window}`, { field: 'window' });
  let cap = 1;
  while (cap < maxEntries * 1.5) cap *= 2;
  const mask = cap - 1;
  const keys = new Float64Array(cap).fill(-1);
  const vals = new Float32Array(cap);
  let used = 0;
  const V = vocabSize;
  let dir: string | undefined;
  const runs: string[] = [];
  const spill = () => {
    const { k, v } = drain();
    dir ??= mkdtempSync(join(tmpdir(), 'llm-glove-'));
    const f = join(dir, `run-${runs.length}.bin`);
    writeFileSync(f, Buffer.concat([Buffer.from(k.buffer, k.byteOffset, k.byteLength), Buffer.from(v.buffer, v.byteOffset, v.byteLength)]));
    runs.push(f);
  };
  const drain = (): { k: Float64Array; v: Float32Array } => {
    const idx: number[] = [];
    for (let s = 0; s < cap; s++) if (keys[s] !== -1) idx.push(s);
    idx.sort((a, b) => keys[a]! - keys[b]!);
    const k = new Float64Array(idx.length), v = new Float32Array(idx.length);
    for (let n = 0; n < idx.length; n++) { k[n] = keys[idx[n]!]!; v[n] = vals[idx[n]!]!; }
    keys.fill(-1); vals.fill(0); used = 0;
    return { k, v };
  };
  const add = (key: number, w: number) => {
    let s = (Math.imul(key % 4294967296 | 0, 0x9e3779b1) ^ Math.floor(key / 4294967296)) & mask;
    for (;;) {
      const k = keys[s]!;
      if (k === key) { vals[s] += w; return; }
      if (k === -1) {
        keys[s] = key; vals[s] = w;
        if (++used >= maxEntries) spill();
        return;
      }
      s = (s + 1) & mask;
    }
  };
  let sentStart = 0;
  for (let p = 0; p < tokens.length; p++) {
    const w = tokens[p]!;
    if (w < 0) { sentStart = p + 1; if ((p & 0xffff) === 0) throwIfAborted(options.signal); continue; }
    for (let d = 1; d <= window && p - d >= sentStart; d++) {
      const c = tokens[p - d]!;
      const wt = weighting ? 1 / d : 1;
      add(w * V + c, wt);
      if (symmetric) add(c * V + w, wt);
    }
    if ((p & 0xfffff) === 0) throwIfAborted(options.signal);
  }
  // Merge the in-memory table with the spilled runs.
  const last = drain();
  const parts: Array<{ k: Float64Array; v: Float32Array }> = [last];
  for (const f of runs) {
    const b = readFileSync(f);
    const n = b.byteLength / 12;
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    parts.push({ k: new Float64Array(ab, 0, n), v: new Float32Array(ab, n * 8, n) });
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (parts.length === 1) {
    const rows = new Int32Array(last.k.length), cols = new Int32Array(last.k.length);
    for (let i = 0; i < last.k.length; i++) { rows[i] = Math.floor(last.k[i]! / V); cols[i] = last.k[i]! - rows[i]! * V; }
    return { rows, cols, values: last.v, spills: 0 };
  }
  const pos = parts.map(() => 0);
  const outK: number[] = [];
  const outV: number[] = [];
  for (;;) {
    let best = -1, bestKey = Infinity;
    for (let i = 0; i < parts.length; i++) if (pos[i]! < parts[i]!.k.length && parts[i]!.k[pos[i]!]! < bestKey) { bestKey = parts[i]!.k[pos[i]!]!; best = i; }
    if (best < 0) break;
    const v = parts[best]!.v[pos[best]!]!;
    pos[best]!++;
    if (outK.length > 0 && outK[outK.length - 1] === bestKey) outV[outV.length - 1] += v;
    else { outK.push(bestKey); outV.push(v); }
  }
  const rows = new Int32Array(outK.length), cols = new Int32Array(outK.length);
  for (let i = 0; i < outK.length; i++) { rows[i] = Math.floor(outK[i]! / V); cols[i] = outK[i]! - rows[i]! * V; }
  return { rows, cols, values: Float32Array.from(outV), spills: runs.length };
}

/** Options for {@link trainGloVe}. */
export interface GloVeOptions extends CooccurOptions {
  /** Vector length (default 100). */
  dim?: number;
  /** Passes over the co-occurrences (default 15). */
  epochs?: number;
  /** AdaGrad learning rate (default 0.05). */
  eta?: number;
  /** Weighting cut-off (default 100). */
  xMax?: number;
  /** Weighting exponent (default 0.75). */
  alpha?: number;
  /** Minimum word count (default 5). */
  minCount?: number;
  maxVocab?: number;
  seed?: Seed;
  progress?: boolean;
}

/** A trained GloVe model. */
export interface GloVeModel {
  /** Word + context vectors (GloVe's default `-model 2` output). */
  vectors: KeyedVectors;
  vocab: Vocab;
  /** Mean weighted squared error of the last epoch. */
  cost: number;
  /** Number of non-zero co-occurrences. */
  pairs: number;
  /** Temporary runs spilled while counting. */
  spills: number;
  stats: TrainStats;
}

/**
 * Train GloVe: weighted least squares `f(X_ij)(w_i·w̃_j + b_i + b̃_j − log X_ij)²` with
 * `f(x) = min(1, (x/xMax)^alpha)`, optimised with AdaGrad over shuffled co-occurrences.
 */
export async function trainGloVe(sentences: Sentences, options: GloVeOptions = {}): Promise<GloVeModel> {
  const dim = options.dim ?? 100;
  const epochs = options.epochs ?? 15;
  const eta = options.eta ?? 0.05;
  const xMax = options.xMax ?? 100;
  const alpha = options.alpha ?? 0.75;
  if (!Number.isInteger(dim) || dim <= 0) throw new ConfigError(`dim must be a positive integer, got ${dim}`, { field: 'dim' });
  if (!(xMax > 0)) throw new ConfigError(`xMax must be positive, got ${xMax}`, { field: 'xMax' });
  const vocab = buildVocab(sentences, options.minCount ?? 5, options.maxVocab ?? 0);
  const V = vocab.words.length;
  const tokens = encodeCorpus(sentences, vocab);
  const t0 = performance.now();
  const co = countCooccurrences(tokens, V, options);
  const rng = new Rng(options.seed ?? 1);
  const init = rng.split('init');
  const W = new Float32Array(V * dim), C = new Float32Array(V * dim);
  for (let i = 0; i < W.length; i++) { W[i] = (init.next() - 0.5) / dim; C[i] = (init.next() - 0.5) / dim; }
  const bw = new Float32Array(V), bc = new Float32Array(V);
  for (let i = 0; i < V; i++) { bw[i] = (init.next() - 0.5) / dim; bc[i] = (init.next() - 0.5) / dim; }
  const gW = new Float32Array(V * dim).fill(1), gC = new Float32Array(V * dim).fill(1);
  const gbw = new Float32Array(V).fill(1), gbc = new Float32Array(V).fill(1);
  const n = co.values.length;
  const logX = new Float32Array(n), weight = new Float32Array(n);
  for (let e = 0; e < n; e++) { const x = co.values[e]!; logX[e] = Math.log(x); weight[e] = x > xMax ? 1 : Math.pow(x / xMax, alpha); }
  const bar = createProgress({ label: 'glove', total: epochs, unit: 'epochs', enabled: options.progress });
  let cost = 0;
  for (let ep = 0; ep < epochs; ep++) {
    const order = rng.split(`epoch-${ep}`).permutation(n);
    cost = 0;
    for (let t = 0; t < n; t++) {
      if ((t & 0xffff) === 0) throwIfAborted(options.signal);
      const e = order[t]!;
      const i = co.rows[e]!, j = co.cols[e]!;
      const l1 = i * dim, l2 = j * dim;
      let diff = 0;
      for (let c = 0; c < dim; c++) diff += W[l1 + c]! * C[l2 + c]!;
      diff += bw[i]! + bc[j]! - logX[e]!;
      let fdiff = weight[e]! * diff;
      if (!Number.isFinite(fdiff)) continue;
      cost += 0.5 * fdiff * diff;
      fdiff *= eta;
      for (let c = 0; c < dim; c++) {
        const t1 = fdiff * C[l2 + c]!, t2 = fdiff * W[l1 + c]!;
        W[l1 + c] -= t1 / Math.sqrt(gW[l1 + c]!);
        C[l2 + c] -= t2 / Math.sqrt(gC[l2 + c]!);
        gW[l1 + c] += t1 * t1;
        gC[l2 + c] += t2 * t2;
      }
      bw[i] -= fdiff / Math.sqrt(gbw[i]!);
      bc[j] -= fdiff / Math.sqrt(gbc[j]!);
      gbw[i] += fdiff * fdiff;
      gbc[j] += fdiff * fdiff;
    }
    cost /= Math.max(1, n);
    bar.update(ep + 1, { cost });
    await new Promise<void>((r) => setImmediate(r));
    throwIfAborted(options.signal);
  }
  bar.done();
  const out = new Float32Array(V * dim);
  for (let i = 0; i < out.length; i++) out[i] = W[i]! + C[i]!;
  const seconds = (performance.now() - t0) / 1000;
  let corpusWords = 0;
  for (const t of tokens) if (t >= 0) corpusWords++;
  return {
    vectors: new KeyedVectors(vocab.words, dim, out, vocab.counts), vocab, cost, pairs: n, spills: co.spills,
    stats: { words: corpusWords, seconds, wordsPerSecond: corpusWords / seconds, threads: 1 },
  };
}
