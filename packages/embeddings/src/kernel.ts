/**
 * The Word2Vec / fastText training kernel: plain loops over Float32Arrays, the way the C tools
 * work. The same function runs on the main thread (deterministic mode) and inside every
 * worker_thread (Hogwild over SharedArrayBuffer): workers receive its source through
 * `Function.prototype.toString`, so it must stay self-contained — no imports, no closures, no
 * helper functions, only the fields of its argument.
 *
 * @internal
 */

/** Everything the kernel reads and writes. Typed arrays may be backed by SharedArrayBuffer. */
export interface KernelArgs {
  /** Input vectors, `rows × dim` (words, then fastText n-gram buckets). */
  syn0: Float32Array;
  /** Hierarchical-softmax inner-node vectors, `vocab × dim` (empty when `hs` is 0). */
  syn1: Float32Array;
  /** Negative-sampling output vectors, `vocab × dim` (empty when `negative` is 0). */
  syn1neg: Float32Array;
  dim: number;
  window: number;
  negative: number;
  /** 1 to use hierarchical softmax. */
  hs: number;
  /** 1 for skip-gram, 0 for CBOW. */
  sg: number;
  /** 1 to average the context in CBOW (the C tool's default), 0 to sum. */
  cbowMean: number;
  /** Negative-sampling table of word ids. */
  table: Int32Array;
  /** Huffman codes, `vocab × 40` bits. */
  codes: Uint8Array;
  /** Huffman inner-node ids, `vocab × 40`. */
  points: Int32Array;
  codelen: Uint8Array;
  /** Per word: keep when `uint32 random < keep[w]` (subsampling); 2^32-1 keeps always. */
  keep: Float64Array;
  /** The corpus as word ids, `-1` ends a sentence. */
  tokens: Int32Array;
  /** This thread's slice of `tokens`. */
  start: number;
  end: number;
  epochs: number;
  alpha: number;
  minAlpha: number;
  /** Words the learning rate decays over: `epochs × words in the corpus`. */
  totalWords: number;
  /** `[words processed so far (all threads)]`, updated with Atomics every 10,000 words. */
  progress: BigInt64Array;
  /** `[abort flag]`: a non-zero value stops the kernel at its next check. */
  control: Int32Array;
  /** Seed of this thread's xorshift generator. */
  seed: number;
  /** Sigmoid lookup table (1000 entries over [-6, 6]). */
  expTable: Float32Array;
  /** fastText subwords: rows of word `w` are `subIds[subOff[w] .. subOff[w+1])`; empty for plain Word2Vec. */
  subOff: Int32Array;
  subIds: Int32Array;
  /** The SIMD primitives' module and the shared memory holding syn0/syn1/syn1neg and scratch (optional). */
  wasmModule?: object;
  memory?: { readonly buffer: ArrayBufferLike };
  /** The instantiated primitives; set by the worker from `wasmModule` and `memory`. */
  wasm?: KernelWasm;
  /** Byte offsets in `memory` of syn0, syn1, syn1neg and this thread's scratch (neu1, then neu1e). */
  syn0Off: number;
  syn1Off: number;
  syn1negOff: number;
  scratchOff: number;
  /** Byte offset of this thread's int32 scratch for the drawn targets (`negative + 2` slots). */
  targetsOff: number;
  /** Byte offset and length of this thread's int32 list of hidden-layer input rows. */
  rowsOff: number;
  maxRows: number;
  /** Byte offsets in `memory` of `table` and `expTable` (used by the SIMD path). */
  tableOff: number;
  expOff: number;
}

/** The exports of wasm/kernel.wat (pointers are byte offsets, `n` a multiple of 4). */
export interface KernelWasm {
  dot(a: number, b: number, n: number): number;
  update(err: number, out: number, inp: number, g: number, n: number): void;
  axpy(y: number, x: number, a: number, n: number): void;
  scale(y: number, a: number, n: number): void;
  /** Negative-sampling updates of one input vector; returns the new random state. */
  negative(l1: number, word: number, neg: number, alpha: number, table: number, tableSize: number, exp: number, err: number, out: number, dim: number, rnd: number, flags: number, targets: number): number;
  /** CBOW / fastText step: hidden = mean or sum of `nrows` input rows, negative sampling, error added back to the rows. */
  hidden(rows: number, nrows: number, mean: number, hid: number, err: number, syn0: number, word: number, neg: number, alpha: number, table: number, tableSize: number, exp: number, out: number, dim: number, rnd: number, targets: number): number;
}

/** The kernel. Returns the loss-free count of words this thread processed. */
export function word2vecKernel(a: KernelArgs): number {
  const syn0 = a.syn0, syn1 = a.syn1, syn1neg = a.syn1neg;
  const dim = a.dim | 0, window = a.window | 0, negative = a.negative | 0, hs = a.hs | 0, sg = a.sg | 0;
  const table = a.table, tableSize = a.table.length, codes = a.codes, points = a.points, codelen = a.codelen;
  const keep = a.keep, tokens = a.tokens, expTable = a.expTable;
  const subOff = a.subOff, subIds = a.subIds, useSub = a.subOff.length > 0 ? 1 : 0;
  const start = a.start | 0, end = a.end | 0;
  const progress = a.progress, control = a.control;
  const dim4 = dim & ~3;
  const MAX_SENT = 1000, MAX_EXP = 6, EXP_SIZE = 1000, EXP_SCALE = EXP_SIZE / MAX_EXP / 2;
  const W = a.wasm;
  const useW = W !== undefined && a.memory !== undefined && (dim & 3) === 0 ? 1 : 0;
  const neu1 = a.memory ? new Float32Array(a.memory.buffer, a.scratchOff, dim) : new Float32Array(dim);
  const neu1e = a.memory ? new Float32Array(a.memory.buffer, a.scratchOff + dim * 4, dim) : new Float32Array(dim);
  const s0b = a.syn0Off, s1b = a.syn1Off, snb = a.syn1negOff, n1b = a.scratchOff, n1eb = a.scratchOff + dim * 4, dimB = dim * 4;
  const sen = new Int32Array(MAX_SENT);
  const tgb = a.targetsOff, rowsB = a.rowsOff;
  let rows = useW === 1 ? new Int32Array(a.memory!.buffer, a.rowsOff, a.maxRows) : new Int32Array(256);
  const mean = useSub === 1 || a.cbowMean !== 0 ? 1 : 0;
  let rnd = a.seed | 0;
  if (rnd === 0) rnd = 0x2545f491;
  let alpha = a.alpha;
  let localCount = 0, lastCount = 0, total = 0;
  for (let epoch = 0; epoch < a.epochs; epoch++) {
    let pos = start;
    while (pos < end) {
      if (localCount - lastCount > 10000) {
        const done = Atomics.add(progress, 0, BigInt(localCount - lastCount)) + BigInt(localCount - lastCount);
        lastCount = localCount;
        alpha = a.alpha * (1 - Number(done) / (a.totalWords + 1));
        if (alpha < a.minAlpha) alpha = a.minAlpha;
        if (Atomics.load(control, 0) !== 0) return total;
      }
      // Read one sentence (at most MAX_SENT kept words), subsampling frequent words.
      let len = 0;
      while (pos < end) {
        const w = tokens[pos++]!;
        if (w < 0) break;
        localCount++;
        rnd ^= rnd << 13; rnd ^= rnd >>> 17; rnd ^= rnd << 5;
        if ((rnd >>> 0) >= keep[w]!) continue;
        sen[len++] = w;
        if (len >= MAX_SENT) break;
      }
      for (let si = 0; si < len; si++) {
        const word = sen[si]!;
        rnd ^= rnd << 13; rnd ^= rnd >>> 17; rnd ^= rnd << 5;
        const b = (rnd >>> 0) % window;
        const lo = si - window + b, hi = si + window - b;
        if (useSub === 0 && sg === 1) {
          // Skip-gram as in word2vec.c: each context word's input vector predicts the centre word.
          for (let j = lo; j <= hi; j++) {
            if (j === si || j < 0 || j >= len) continue;
            const l1 = sen[j]! * dim;
            if (useW === 1 && hs === 0) {
              rnd = W!.negative(s0b + l1 * 4, word, negative, alpha, a.tableOff, tableSize, a.expOff, n1eb, snb, dim, rnd, 3, tgb);
              continue;
            }
            for (let c = 0; c < dim; c++) neu1e[c] = 0;
            if (hs !== 0) {
              const cl = codelen[word]!, cb = word * 40;
              for (let d = 0; d < cl; d++) {
                const l2 = points[cb + d]! * dim;
                let f = 0;
                if (useW === 1) f = W!.dot(s0b + l1 * 4, s1b + l2 * 4, dim);
                else for (let c = 0; c < dim; c++) f += syn0[l1 + c]! * syn1[l2 + c]!;
                if (f <= -MAX_EXP || f >= MAX_EXP) continue;
                f = expTable[((f + MAX_EXP) * EXP_SCALE) | 0]!;
                const g = (1 - codes[cb + d]! - f) * alpha;
                if (useW === 1) { W!.update(n1eb, s1b + l2 * 4, s0b + l1 * 4, g, dim); continue; }
                for (let c = 0; c < dim; c++) neu1e[c] += g * syn1[l2 + c]!;
                for (let c = 0; c < dim; c++) syn1[l2 + c] += g * syn0[l1 + c]!;
              }
            }
            for (let d = 0; d <= negative && negative > 0; d++) {
              let target = word, label = 1;
              if (d > 0) {
                rnd ^= rnd << 13; rnd ^= rnd >>> 17; rnd ^= rnd << 5;
                target = table[Math.floor(((rnd >>> 0) * tableSize) / 4294967296)]!;
                if (target === word) continue;
                label = 0;
              }
              const l2 = target * dim;
              if (useW === 1) {
                const l1b = s0b + l1 * 4, l2b = snb + l2 * 4;
                const f = W!.dot(l1b, l2b, dim);
                let g: number;
                if (f > MAX_EXP) g = (label - 1) * alpha;
                else if (f < -MAX_EXP) g = label * alpha;
                else g = (label - expTable[((f + MAX_EXP) * EXP_SCALE) | 0]!) * alpha;
                W!.update(n1eb, l2b, l1b, g, dim);
                continue;
              }
              let f0 = 0, f1 = 0, f2 = 0, f3 = 0, c = 0;
              for (; c < dim4; c += 4) {
                f0 += syn0[l1 + c]! * syn1neg[l2 + c]!;
                f1 += syn0[l1 + c + 1]! * syn1neg[l2 + c + 1]!;
                f2 += syn0[l1 + c + 2]! * syn1neg[l2 + c + 2]!;
                f3 += syn0[l1 + c + 3]! * syn1neg[l2 + c + 3]!;
              }
              for (; c < dim; c++) f0 += syn0[l1 + c]! * syn1neg[l2 + c]!;
              const f = f0 + f1 + f2 + f3;
              let g: number;
              if (f > MAX_EXP) g = (label - 1) * alpha;
              else if (f < -MAX_EXP) g = label * alpha;
              else g = (label - expTable[((f + MAX_EXP) * EXP_SCALE) | 0]!) * alpha;
              let k = 0;
              for (; k < dim4; k += 4) {
                const o0 = syn1neg[l2 + k]!, o1 = syn1neg[l2 + k + 1]!, o2 = syn1neg[l2 + k + 2]!, o3 = syn1neg[l2 + k + 3]!;
                neu1e[k] += g * o0; neu1e[k + 1] += g * o1; neu1e[k + 2] += g * o2; neu1e[k + 3] += g * o3;
                syn1neg[l2 + k] = o0 + g * syn0[l1 + k]!;
                syn1neg[l2 + k + 1] = o1 + g * syn0[l1 + k + 1]!;
                syn1neg[l2 + k + 2] = o2 + g * syn0[l1 + k + 2]!;
                syn1neg[l2 + k + 3] = o3 + g * syn0[l1 + k + 3]!;
              }
              for (; k < dim; k++) {
                const o = syn1neg[l2 + k]!;
                neu1e[k] += g * o;
                syn1neg[l2 + k] = o + g * syn0[l1 + k]!;
              }
            }
            if (useW === 1) W!.axpy(s0b + l1 * 4, n1eb, 1, dim);
            else for (let c = 0; c < dim; c++) syn0[l1 + c] += neu1e[c]!;
          }
          continue;
        }
        // CBOW, or fastText with subwords: the hidden layer is the mean (or sum) of input rows.
        // For skip-gram with subwords the inputs are the centre word's rows and each context
        // word is a target (fastText's orientation); for CBOW the inputs are the context words'.
        const nTargets = sg === 1 ? hi - lo + 1 : 1;
        for (let t = 0; t < nTargets; t++) {
          let target0 = word;
          let nrows = 0;
          if (sg === 1) {
            const j = lo + t;
            if (j === si || j < 0 || j >= len) continue;
            target0 = sen[j]!;
            const s0 = subOff[word]!, s1 = subOff[word + 1]!;
            if (rows.length < s1 - s0 && useW === 0) rows = new Int32Array((s1 - s0) * 2);
            for (let k = s0; k < s1; k++) rows[nrows++] = subIds[k]!;
          } else {
            for (let j = lo; j <= hi; j++) {
              if (j === si || j < 0 || j >= len) continue;
              const cw = sen[j]!;
              if (useSub === 1) {
                const s0 = subOff[cw]!, s1 = subOff[cw + 1]!;
                if (rows.length < nrows + s1 - s0 && useW === 0) { const r2 = new Int32Array((nrows + s1 - s0) * 2); r2.set(rows); rows = r2; }
                for (let k = s0; k < s1; k++) rows[nrows++] = subIds[k]!;
              } else {
                if (rows.length <= nrows && useW === 0) { const r2 = new Int32Array(rows.length * 2); r2.set(rows); rows = r2; }
                rows[nrows++] = cw;
              }
            }
          }
          if (nrows === 0) continue;
          if (useW === 1 && hs === 0) {
            rnd = W!.hidden(rowsB, nrows, mean, n1b, n1eb, s0b, target0, negative, alpha, a.tableOff, tableSize, a.expOff, snb, dim, rnd, tgb);
            continue;
          }
          neu1.fill(0);
          neu1e.fill(0);
          if (useW === 1) {
            for (let r = 0; r < nrows; r++) W!.axpy(n1b, s0b + rows[r]! * dimB, 1, dim);
            if (mean === 1) W!.scale(n1b, 1 / nrows, dim);
          } else {
            for (let r = 0; r < nrows; r++) {
              const l1 = rows[r]! * dim;
              for (let c = 0; c < dim; c++) neu1[c] += syn0[l1 + c]!;
            }
            if (mean === 1) {
              const inv = 1 / nrows;
              for (let c = 0; c < dim; c++) neu1[c] *= inv;
            }
          }
          if (hs !== 0) {
            const cl = codelen[target0]!, cb = target0 * 40;
            for (let d = 0; d < cl; d++) {
              const l2 = points[cb + d]! * dim;
              let f = 0;
              if (useW === 1) f = W!.dot(n1b, s1b + l2 * 4, dim);
              else for (let c = 0; c < dim; c++) f += neu1[c]! * syn1[l2 + c]!;
              if (f <= -MAX_EXP || f >= MAX_EXP) continue;
              f = expTable[((f + MAX_EXP) * EXP_SCALE) | 0]!;
              const g = (1 - codes[cb + d]! - f) * alpha;
              if (useW === 1) { W!.update(n1eb, s1b + l2 * 4, n1b, g, dim); continue; }
              for (let c = 0; c < dim; c++) neu1e[c] += g * syn1[l2 + c]!;
              for (let c = 0; c < dim; c++) syn1[l2 + c] += g * neu1[c]!;
            }
          }
          if (useW === 1 && negative > 0) {
            rnd = W!.negative(n1b, target0, negative, alpha, a.tableOff, tableSize, a.expOff, n1eb, snb, dim, rnd, 0, tgb);
          }
          for (let d = 0; d <= negative && negative > 0 && useW === 0; d++) {
            let target = target0, label = 1;
            if (d > 0) {
              rnd ^= rnd << 13; rnd ^= rnd >>> 17; rnd ^= rnd << 5;
              target = table[Math.floor(((rnd >>> 0) * tableSize) / 4294967296)]!;
              if (target === target0) continue;
              label = 0;
            }
            const l2 = target * dim;
            let f = 0;
            for (let c = 0; c < dim; c++) f += neu1[c]! * syn1neg[l2 + c]!;
            let g: number;
            if (f > MAX_EXP) g = (label - 1) * alpha;
            else if (f < -MAX_EXP) g = label * alpha;
            else g = (label - expTable[((f + MAX_EXP) * EXP_SCALE) | 0]!) * alpha;
            for (let c = 0; c < dim; c++) neu1e[c] += g * syn1neg[l2 + c]!;
            for (let c = 0; c < dim; c++) syn1neg[l2 + c] += g * neu1[c]!;
          }
          if (useW === 1) for (let r = 0; r < nrows; r++) W!.axpy(s0b + rows[r]! * dimB, n1eb, 1, dim);
          else {
            for (let r = 0; r < nrows; r++) {
              const l1 = rows[r]! * dim;
              for (let c = 0; c < dim; c++) syn0[l1 + c] += neu1e[c]!;
            }
          }
        }
      }
      total += len;
    }
  }
  Atomics.add(progress, 0, BigInt(localCount - lastCount));
  return total;
}
