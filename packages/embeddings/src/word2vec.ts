import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { ConfigError, Rng, createProgress, throwIfAborted, type Seed } from '@llm/core';
import { word2vecKernel, type KernelArgs } from './kernel.js';
import { KERNEL_WASM_BASE64 } from './kernel-wasm.js';
import { buildVocab, encodeCorpus, type Sentences, type Vocab } from './text.js';
import { KeyedVectors } from './vectors.js';

/** Options shared by Word2Vec and fastText training. */
export interface Word2VecOptions {
  /** Vector length (default 100). */
  dim?: number;
  /** Maximum context distance; the actual window is drawn per word in 1..window (default 5). */
  window?: number;
  /** Passes over the corpus (default 5). */
  epochs?: number;
  /** Words seen fewer times are dropped (default 5). */
  minCount?: number;
  /** Skip-gram (`'sg'`, default) or CBOW (`'cbow'`). */
  model?: 'sg' | 'cbow';
  /** Negative samples per positive (default 5; 0 turns negative sampling off). */
  negative?: number;
  /** Hierarchical softmax over a Huffman tree (default false). */
  hs?: boolean;
  /** Sub-sampling threshold for frequent words (default 1e-3; 0 turns it off). */
  sample?: number;
  /** Starting learning rate (default 0.025 for skip-gram, 0.05 for CBOW, as word2vec.c). */
  alpha?: number;
  /** Final learning rate (default alpha × 1e-4). */
  minAlpha?: number;
  /** Exponent of the negative-sampling distribution (default 0.75). */
  nsExponent?: number;
  /** Average (true, default) or sum the CBOW context. */
  cbowMean?: boolean;
  /**
   * Worker threads (default: available cores). With 1 the result is a pure function of the seed;
   * with more, threads update shared vectors without locks (Hogwild, as word2vec.c) and the
   * result varies from run to run.
   */
  threads?: number;
  /** Seed of the initial vectors and of every random draw (default 1). */
  seed?: Seed;
  /** Keep at most this many most frequent words (default: no limit). */
  maxVocab?: number;
  signal?: AbortSignal;
  /** Show a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
}

/** Timing of a training run. */
export interface TrainStats {
  /** Corpus words (in vocabulary) × epochs. */
  words: number;
  seconds: number;
  wordsPerSecond: number;
  threads: number;
}

/** A trained Word2Vec model. */
export interface Word2VecModel {
  vectors: KeyedVectors;
  vocab: Vocab;
  stats: TrainStats;
}

/** The part of the WebAssembly JS API used here (the workspace's TypeScript lib has no DOM types). */
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { readonly buffer: SharedArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Huffman codes and paths of a vocabulary sorted by descending count (word2vec.c's `CreateBinaryTree`). */
export function buildHuffman(counts: Float64Array, maxCodeLength = 40): { codes: Uint8Array; points: Int32Array; codelen: Uint8Array } {
  const V = counts.length;
  const codes = new Uint8Array(V * maxCodeLength);
  const points = new Int32Array(V * maxCodeLength);
  const codelen = new Uint8Array(V);
  if (V < 2) return { codes, points, codelen };
  const count = new Float64Array(V * 2 + 1);
  const binary = new Uint8Array(V * 2 + 1);
  const parent = new Int32Array(V * 2 + 1);
  for (let i = 0; i < V; i++) { count[i] = counts[i]!; count[V + i] = 1e15; }
  let pos1 = V - 1, pos2 = V;
  for (let a = 0; a < V - 1; a++) {
    let min1: number, min2: number;
    if (pos1 >= 0 && count[pos1]! < count[pos2]!) min1 = pos1--; else min1 = pos2++;
    if (pos1 >= 0 && count[pos1]! < count[pos2]!) min2 = pos1--; else min2 = pos2++;
    count[V + a] = count[min1]! + count[min2]!;
    parent[min1] = V + a;
    parent[min2] = V + a;
    binary[min2] = 1;
  }
  const code = new Uint8Array(maxCodeLength);
  const point = new Int32Array(maxCodeLength);
  for (let a = 0; a < V; a++) {
    let b = a, i = 0;
    for (;;) {
      if (i >= maxCodeLength) throw new ConfigError(`Huffman code longer than ${maxCodeLength} for word ${a}`);
      code[i] = binary[b]!;
      point[i] = b;
      i++;
      b = parent[b]!;
      if (b === V * 2 - 2) break;
    }
    codelen[a] = i;
    points[a * maxCodeLength] = V - 2;
    for (let k = 0; k < i; k++) {
      codes[a * maxCodeLength + i - k - 1] = code[k]!;
      if (k > 0) points[a * maxCodeLength + i - k] = point[k]! - V;
    }
  }
  return { codes, points, codelen };
}

/** The negative-sampling table: word ids repeated in proportion to `count^power` (word2vec.c's `InitUnigramTable`). */
export function unigramTable(counts: Float64Array, power = 0.75, size?: number): Int32Array {
  const V = counts.length;
  const n = size ?? Math.min(100_000_000, Math.max(1_000_000, V * 50));
  const table = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < V; i++) total += Math.pow(counts[i]!, power);
  let i = 0;
  let d1 = Math.pow(counts[0]!, power) / total;
  for (let a = 0; a < n; a++) {
    table[a] = i;
    if (a / n > d1) { i++; if (i < V) d1 += Math.pow(counts[i]!, power) / total; }
    if (i >= V) i = V - 1;
  }
  return table;
}

/** Per-word keep thresholds (× 2^32) for sub-sampling: `(sqrt(f/(s·N)) + 1)·(s·N)/f`, as word2vec.c. */
export function keepThresholds(counts: Float64Array, sample: number, totalWords: number): Float64Array {
  const keep = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    if (sample <= 0) { keep[i] = 4294967296; continue; }
    const f = counts[i]!;
    const t = sample * totalWords;
    const p = (Math.sqrt(f / t) + 1) * t / f;
    keep[i] = p >= 1 ? 4294967296 : p * 4294967296;
  }
  return keep;
}

/** The sigmoid table of word2vec.c (1000 entries over [-6, 6]). */
export function expTable(): Float32Array {
  const t = new Float32Array(1000);
  for (let i = 0; i < 1000; i++) {
    const e = Math.exp((i / 1000 * 2 - 1) * 6);
    t[i] = e / (e + 1);
  }
  return t;
}

function shared<T extends Int32Array | BigInt64Array>(make: (buf: SharedArrayBuffer, n: number) => T, bytesPer: number, n: number): T {
  return make(new SharedArrayBuffer(Math.max(1, n) * bytesPer), n);
}

function toShared<T extends Float32Array | Int32Array | Uint8Array | Float64Array>(a: T): T {
  const Ctor = a.constructor as { new(buf: SharedArrayBuffer, off: number, n: number): T; BYTES_PER_ELEMENT: number };
  const out = new Ctor(new SharedArrayBuffer(Math.max(1, a.length) * Ctor.BYTES_PER_ELEMENT), 0, a.length);
  out.set(a);
  return out;
}

/** What {@link runKernel} needs beyond the options. */
export interface KernelJob {
  vocab: Vocab;
  tokens: Int32Array;
  /** Rows of the input matrix (vocabulary size, plus fastText buckets). */
  inputRows: number;
  subOff?: Int32Array;
  subIds?: Int32Array;
  /** Scale of the uniform initialisation of input rows: `(u − 0.5) / dim` (word2vec.c) when 'w2v', `U(−1/dim, 1/dim)` (fastText) when 'ft'. */
  init: 'w2v' | 'ft';
  label: string;
}

/** Run the training kernel over worker threads; returns the input matrix and statistics. @internal */
export async function runKernel(job: KernelJob, o: Word2VecOptions): Promise<{ syn0: Float32Array; stats: TrainStats }> {
  const dim = o.dim ?? 100;
  const window = o.window ?? 5;
  const epochs = o.epochs ?? 5;
  const negative = o.negative ?? 5;
  const hs = o.hs ?? false;
  const sg = (o.model ?? 'sg') === 'sg';
  const threads = Math.max(1, Math.floor(o.threads ?? availableParallelism()));
  if (!Number.isInteger(dim) || dim <= 0) throw new ConfigError(`dim must be a positive integer, got ${dim}`, { field: 'dim' });
  if (!Number.isInteger(window) || window <= 0) throw new ConfigError(`window must be a positive integer, got ${window}`, { field: 'window' });
  if (!Number.isInteger(epochs) || epochs <= 0) throw new ConfigError(`epochs must be a positive integer, got ${epochs}`, { field: 'epochs' });
  if (!hs && negative <= 0) throw new ConfigError('either negative > 0 or hs must be set', { field: 'negative' });
  const alpha = o.alpha ?? (sg ? 0.025 : 0.05);
  const V = job.vocab.words.length;
  const rng = new Rng(o.seed ?? 1);
  const initRng = rng.split('init');

  // The model lives in one shared WebAssembly.Memory so that the SIMD primitives
  // (wasm/kernel.wat) and the JavaScript loops see the same floats.
  const nIn = job.inputRows * dim, n1 = hs ? V * dim : 0, nNeg = negative > 0 ? V * dim : 0;
  const table0 = negative > 0 ? unigramTable(job.vocab.counts, o.nsExponent ?? 0.75) : new Int32Array(0);
  // Each thread's scratch (neu1, neu1e, drawn targets, hidden-layer row ids) starts on its own
  // 128-byte boundary so that the two threads never write to the same cache line.
  const subOff = job.subOff ?? new Int32Array(0);
  let maxSub = 1;
  for (let w = 0; w + 1 < subOff.length; w++) maxSub = Math.max(maxSub, subOff[w + 1]! - subOff[w]!);
  const maxRows = (sg ? 1 : 2 * window) * maxSub;
  const align = (n: number) => Math.ceil(n / 128) * 128;
  const scratchBytes = align(2 * dim * 4 + (negative + 2) * 4 + maxRows * 4);
  const floats = nIn + n1 + nNeg + (threads * scratchBytes + 128) / 4 + table0.length + 1000;
  const pages = Math.ceil((floats * 4) / 65536) + 1;
  if (pages > 65535) throw new ConfigError(`model too large: ${(floats * 4 / 2 ** 30).toFixed(1)} GiB of vectors exceeds WebAssembly's 4 GiB (lower dim or bucket)`, { field: 'dim' });
  const memory = new WA.Memory({ initial: pages, maximum: pages, shared: true });
  const wasmModule = new WA.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
  const syn0Off = 0, syn1Off = nIn * 4, syn1negOff = (nIn + n1) * 4, scratch0 = align((nIn + n1 + nNeg) * 4);
  const tableOff = scratch0 + threads * scratchBytes, expOff = tableOff + table0.length * 4;
  const table = new Int32Array(memory.buffer, tableOff, table0.length);
  table.set(table0);
  const exps = new Float32Array(memory.buffer, expOff, 1000);
  exps.set(expTable());
  const syn0 = new Float32Array(memory.buffer, syn0Off, nIn);
  if (job.init === 'w2v') for (let i = 0; i < V * dim; i++) syn0[i] = (initRng.next() - 0.5) / dim;
  else for (let i = 0; i < job.inputRows * dim; i++) syn0[i] = (initRng.next() * 2 - 1) / dim;
  const syn1 = new Float32Array(memory.buffer, syn1Off, n1);
  const syn1neg = new Float32Array(memory.buffer, syn1negOff, nNeg);
  const huff = hs ? buildHuffman(job.vocab.counts) : { codes: new Uint8Array(0), points: new Int32Array(0), codelen: new Uint8Array(0) };
  const progress = shared((b, n) => new BigInt64Array(b, 0, n), 8, 1);
  const control = shared((b, n) => new Int32Array(b, 0, n), 4, 1);
  let corpusWords = 0;
  for (const t of job.tokens) if (t >= 0) corpusWords++;
  const base = {
    syn0, syn1, syn1neg, dim, window, negative, hs: hs ? 1 : 0, sg: sg ? 1 : 0, cbowMean: o.cbowMean === false ? 0 : 1,
    table, tableOff, expOff, codes: toShared(huff.codes), points: toShared(huff.points), codelen: toShared(huff.codelen),
    keep: toShared(keepThresholds(job.vocab.counts, o.sample ?? 1e-3, job.vocab.totalWords)),
    tokens: toShared(job.tokens), epochs, alpha, minAlpha: o.minAlpha ?? alpha * 1e-4, totalWords: epochs * corpusWords,
    progress, control, memory, wasmModule, syn0Off, syn1Off, syn1negOff, expTable: exps, subOff: toShared(subOff), maxRows, subIds: toShared(job.subIds ?? new Int32Array(0)),
  };
  // Split the corpus at sentence ends into one slice per thread.
  const bounds = [0];
  for (let t = 1; t < threads; t++) {
    let p = Math.floor((job.tokens.length * t) / threads);
    while (p < job.tokens.length && job.tokens[p - 1] !== -1) p++;
    bounds.push(Math.max(p, bounds[t - 1]!));
  }
  bounds.push(job.tokens.length);

  throwIfAborted(o.signal);
  const bar = createProgress({ label: job.label, total: epochs * corpusWords, unit: 'words', enabled: o.progress });
  const onAbort = () => { Atomics.store(control, 0, 1); };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setInterval(() => bar.update(Number(progress[0])), 250);
  const t0 = performance.now();
  const src = [
    "const { parentPort, workerData } = require('node:worker_threads');",
    `const kernel = ${word2vecKernel.toString()};`,
    'const a = workerData;',
    "if (a.wasmModule && a.memory) a.wasm = new WebAssembly.Instance(a.wasmModule, { env: { memory: a.memory } }).exports;",
    'parentPort.postMessage(kernel(a));',
  ].join('\n');
  try {
    await Promise.all(bounds.slice(0, -1).map((start, t) => {
      const args: KernelArgs = { ...base, start, end: bounds[t + 1]!, seed: rng.split(`thread-${t}`).nextUint32() | 0, scratchOff: scratch0 + t * scratchBytes,
        targetsOff: scratch0 + t * scratchBytes + 2 * dim * 4, rowsOff: scratch0 + t * scratchBytes + 2 * dim * 4 + (negative + 2) * 4 };
      return new Promise<number>((resolve, reject) => {
        const w = new Worker(src, { eval: true, workerData: args });
        w.once('message', (n: number) => resolve(n));
        w.once('error', reject);
        w.once('exit', (code) => { if (code !== 0) reject(new Error(`word2vec worker exited with code ${code}`)); });
      });
    }));
  } finally {
    clearInterval(timer);
    o.signal?.removeEventListener('abort', onAbort);
    bar.update(Number(progress[0]));
    bar.done();
  }
  throwIfAborted(o.signal);
  const seconds = (performance.now() - t0) / 1000;
  const words = epochs * corpusWords;
  return { syn0, stats: { words, seconds, wordsPerSecond: words / seconds, threads } };
}

/**
 * Train Word2Vec (skip-gram or CBOW, negative sampling and/or hierarchical softmax) on
 * tokenised sentences. The vocabulary is sorted by descending count.
 *
 * @example
 * ```ts
 * const model = await trainWord2Vec(sentencesFromText(text), { dim: 50, epochs: 5, threads: 1, seed: 7 });
 * model.vectors.mostSimilar('elizabeth', 5);
 * ```
 */
export async function trainWord2Vec(sentences: Sentences, options: Word2VecOptions = {}): Promise<Word2VecModel> {
  const vocab = buildVocab(sentences, options.minCount ?? 5, options.maxVocab ?? 0);
  const tokens = encodeCorpus(sentences, vocab);
  const dim = options.dim ?? 100;
  const { syn0, stats } = await runKernel({ vocab, tokens, inputRows: vocab.words.length, init: 'w2v', label: `word2vec ${options.model ?? 'sg'}` }, options);
  const data = new Float32Array(vocab.words.length * dim);
  data.set(syn0.subarray(0, data.length));
  return { vectors: new KeyedVectors(vocab.words, dim, data, vocab.counts), vocab, stats };
}
