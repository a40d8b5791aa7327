import { tf } from './tf.js';
import { loadNativeAddon, NATIVE_BACKEND, type NativeAddon } from './native.js';

/**
 * Fused training ops: LayerNorm, GELU, sparse softmax-cross-entropy, causal self-attention, a
 * whole-sequence LSTM, the global sum of squares and an AdamW step. On the `native` backend each
 * runs as one or two addon calls (forward, and a backward written out in C++) in place of a
 * chain of tfjs kernels; on every other backend (or
 * when the addon is absent) the same function runs a pure-tfjs composition with the same
 * semantics, so callers need no branch. `native.test.ts`-style tests compare both paths.
 */

type Tensor = tf.Tensor;
type Saved = tf.Tensor[];

/** The addon, when the active backend is `native`; otherwise undefined (use the tfjs path). */
function nativeAddon(): NativeAddon | undefined {
  if (tf.getBackend() !== NATIVE_BACKEND) return undefined;
  try {
    return loadNativeAddon().addon;
  } catch {
    return undefined;
  }
}

/**
 * The Float32Array behind a float32 tensor: on the native (cpu-storage) backend its own storage,
 * no copy (`dataSync` also reads a tensor still held by another backend). Read-only here.
 */
function f32(t: Tensor): Float32Array {
  const v = t.dataSync();
  if (!(v instanceof Float32Array)) throw new Error(`fused op: expected float32 storage, got ${t.dtype}`);
  return v;
}

/** Whether the active (cpu-storage) backend holds t's data itself. */
function onActiveBackend(t: Tensor): boolean {
  const backend = tf.engine().backend as unknown as { data?: { has(dataId: object): boolean } };
  return backend.data?.has(t.dataId) === true;
}

function allF32(...ts: Array<Tensor | undefined>): boolean {
  return ts.every((t) => t === undefined || t.dtype === 'float32');
}

type Grad = (...args: Array<Tensor | tf.GradSaveFunc>) => { value: Tensor; gradFunc: (dy: Tensor, saved: Saved) => Tensor | Tensor[] };
function custom(f: Grad): (...inputs: Tensor[]) => Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: Tensor[]) => Tensor;
}

// --- LayerNorm -----------------------------------------------------------------------------------

/**
 * LayerNorm over the last axis, `(x − mean) / √(var + eps) · weight + bias` (biased variance, as
 * torch's `nn.LayerNorm`). Differentiable in `x`, `weight` and `bias`.
 */
export function fusedLayerNorm(x: Tensor, weight: Tensor, bias: Tensor | undefined, eps: number): Tensor {
  const addon = nativeAddon();
  const cols = x.shape[x.shape.length - 1] ?? 1;
  if (!addon || x.rank === 0 || !allF32(x, weight, bias) || weight.size !== cols || (bias && bias.size !== cols)) {
    const { mean, variance } = tf.moments(x, x.rank - 1, true);
    const y = tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), weight);
    return bias ? tf.add(y, bias) : y;
  }
  const rows = x.size / Math.max(cols, 1);
  const run = (xs: Tensor, g: Tensor, b: Tensor | undefined, save: tf.GradSaveFunc) => {
    const y = new Float32Array(x.size);
    const mean = new Float32Array(rows);
    const rstd = new Float32Array(rows);
    addon.layerNorm(f32(xs), f32(g), b ? f32(b) : null, y, mean, rstd, rows, cols, eps);
    const meanT = tf.tensor1d(mean);
    const rstdT = tf.tensor1d(rstd);
    save([xs, g, meanT, rstdT]);
    return {
      value: tf.tensor(y, xs.shape, 'float32'),
      gradFunc: (dy: Tensor, saved: Saved) => {
        const [sx, sg, sm, sr] = saved as [Tensor, Tensor, Tensor, Tensor];
        const dx = new Float32Array(sx.size);
        const dg = new Float32Array(cols);
        const db = b ? new Float32Array(cols) : null;
        addon.layerNormGrad(f32(dy), f32(sx), f32(sg), f32(sm), f32(sr), dx, dg, db, rows, cols);
        const grads = [tf.tensor(dx, sx.shape, 'float32'), tf.tensor(dg, sg.shape, 'float32')];
        if (b && db) grads.push(tf.tensor(db, b.shape, 'float32'));
        return grads;
      },
    };
  };
  if (bias) return custom((a, g, b, save) => run(a as Tensor, g as Tensor, b as Tensor, save as tf.GradSaveFunc))(x, weight, bias);
  return custom((a, g, save) => run(a as Tensor, g as Tensor, undefined, save as tf.GradSaveFunc))(x, weight);
}

// --- GELU -----------------------------------------------------------------------------------------

/**
 * GELU: exact `0.5·x·(1 + erf(x/√2))` (BERT's `"gelu"`), or with `approximate` the tanh form
 * `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (GPT-2's `"gelu_new"`).
 */
export function fusedGelu(x: Tensor, approximate = false): Tensor {
  const addon = nativeAddon();
  if (!addon || !allF32(x)) {
    if (approximate) {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
    }
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  }
  return custom((a, save) => {
    const xs = a as Tensor;
    const y = new Float32Array(xs.size);
    addon.gelu(f32(xs), y, approximate);
    (save as tf.GradSaveFunc)([xs]);
    return {
      value: tf.tensor(y, xs.shape, 'float32'),
      gradFunc: (dy: Tensor, saved: Saved) => {
        const sx = saved[0]!;
        const dx = new Float32Array(sx.size);
        addon.geluGrad(f32(sx), f32(dy), dx, approximate);
        return tf.tensor(dx, sx.shape, 'float32');
      },
    };
  })(x);
}

// --- attention softmax ------------------------------------------------------------------------------

/**
 * `softmax(scores · scale + mask)` over the last axis (attention probabilities). `mask` is
 * additive (0 or a large negative number), shaped like `scores` or like its last two axes
 * broadcast over the leading ones (e.g. a causal `[T, S]` or `[1, 1, T, S]` mask). Differentiable
 * in `scores`; the mask is a constant. On the native backend one pass forward and one backward.
 */
export function fusedMaskedSoftmax(scores: Tensor, scale: number, mask?: Tensor): Tensor {
  const addon = nativeAddon();
  const rank = scores.rank;
  const cols = scores.shape[rank - 1] ?? 0;
  const lastTwo = rank >= 2 ? scores.size / (scores.shape[rank - 2]! * Math.max(cols, 1)) : 0;
  const maskOk = !mask || ((mask.rank === rank && mask.shape.every((d, i) => d === scores.shape[i])) || (rank >= 2 && mask.size === scores.shape[rank - 2]! * cols && mask.shape[mask.rank - 1] === cols && mask.shape.slice(0, -2).every((d) => d === 1)));
  if (!addon || rank < 1 || cols === 0 || !allF32(scores, mask) || !maskOk || lastTwo === 0) {
    let z = scale === 1 ? scores : tf.mul(scores, scale);
    if (mask) z = tf.add(z, mask);
    return tf.softmax(z, -1);
  }
  const rows = scores.size / cols;
  const maskRows = mask ? mask.size / cols : 1;
  const maskValues = mask ? f32(mask) : null;
  return custom((a, save) => {
    const xs = a as Tensor;
    const y = new Float32Array(xs.size);
    addon.maskedSoftmax(f32(xs), maskValues, y, rows, cols, maskRows, scale);
    const yT = tf.tensor(y, xs.shape, 'float32');
    (save as tf.GradSaveFunc)([yT]);
    return {
      value: yT,
      gradFunc: (dy: Tensor, saved: Saved) => {
        const sy = saved[0]!;
        const dx = new Float32Array(sy.size);
        addon.maskedSoftmaxGrad(f32(sy), f32(dy), dx, rows, cols, scale);
        return tf.tensor(dx, sy.shape, 'float32');
      },
    };
  })(scores);
}

// --- causal self-attention --------------------------------------------------------------------------

/**
 * Causal multi-head self-attention from the packed projection, as GPT-2 computes it: `qkv`
 * `[B, T, 3d]` holds queries, keys and values side by side (each `d = heads·hd` wide, head h in
 * columns `h·hd … (h+1)·hd`); returns `[B, T, d]` = `softmax(q·kᵀ·scale + causal mask)·v` with
 * the heads merged back. `scale` defaults to `1/√hd`. Differentiable in `qkv`.
 * On the native backend one addon call each way (no split, head transposes or merge; the masked
 * upper triangle is mostly skipped); elsewhere the same math in tfjs ops.
 */
export function causalSelfAttention(qkv: Tensor, heads: number, scale?: number): Tensor {
  if (qkv.rank !== 3) throw new RangeError(`causalSelfAttention: qkv must be [B, T, 3d], got ${JSON.stringify(qkv.shape)}`);
  const [b, t, d3] = qkv.shape as [number, number, number];
  const d = d3 / 3;
  const hd = d / heads;
  if (!Number.isInteger(d) || !Number.isInteger(hd) || hd < 1) {
    throw new RangeError(`causalSelfAttention: last axis ${d3} is not 3 × ${heads} heads × an integer head size`);
  }
  const s = scale ?? 1 / Math.sqrt(hd);
  const addon = nativeAddon();
  if (!addon || !allF32(qkv) || b * t === 0) {
    const mask = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) mask[i * t + j] = -1e9;
    const split = (x: Tensor) => tf.transpose(tf.reshape(x, [b, t, heads, hd]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(qkv, 3, -1) as [Tensor, Tensor, Tensor];
    const p = fusedMaskedSoftmax(tf.matMul(split(q), split(k), false, true), s, tf.tensor(mask, [t, t]));
    return tf.reshape(tf.transpose(tf.matMul(p, split(v)), [0, 2, 1, 3]), [b, t, d]);
  }
  return custom((a, save) => {
    const xs = a as Tensor;
    const y = new Float32Array(b * t * d);
    const probs = new Float32Array(b * heads * t * t);
    addon.causalAttention(f32(xs), y, probs, b, t, heads, hd, s);
    (save as tf.GradSaveFunc)([xs, tf.tensor(probs, [b, heads, t, t], 'float32')]);
    return {
      value: tf.tensor(y, [b, t, d], 'float32'),
      gradFunc: (dy: Tensor, saved: Saved) => {
        const [sx, sp] = saved as [Tensor, Tensor];
        const dqkv = new Float32Array(sx.size);
        addon.causalAttentionGrad(f32(sx), f32(sp), f32(dy), dqkv, b, t, heads, hd, s);
        return tf.tensor(dqkv, sx.shape, 'float32');
      },
    };
  })(qkv);
}

// --- global sum of squares (gradient norm) ----------------------------------------------------------

/**
 * `Σ x²` over every element of every tensor (the squared global L2 norm that gradient clipping
 * needs), as a number. On the native backend one multi-threaded pass in a single addon call (in
 * place of a square, a sum and an add per tensor); elsewhere tfjs ops.
 */
export function sumOfSquares(tensors: readonly Tensor[]): number {
  if (tensors.length === 0) return 0;
  const addon = nativeAddon();
  if (!addon || !allF32(...tensors)) {
    const sq = tf.tidy(() => tf.addN(tensors.map((g) => tf.sum(tf.square(tf.cast(g, 'float32'))))));
    const v = sq.dataSync()[0]!;
    sq.dispose();
    return v;
  }
  return addon.sumSquares(tensors.map(f32));
}

// --- softmax cross-entropy with integer targets ------------------------------------------------

/** Options of {@link softmaxCrossEntropyRows}. */
export interface SoftmaxCrossEntropyOptions {
  /** ε: the target gets 1−ε, every class ε/C (torch's `label_smoothing`). Default 0. */
  labelSmoothing?: number;
}

/**
 * Per-row softmax cross-entropy of `logits` `[N, C]` against integer `targets` (length N):
 * `logsumexp(x) − (1−ε)·x[t] − ε·mean(x)` (torch's `F.cross_entropy(..., reduction='none',
 * label_smoothing=ε)`). A target outside `[0, C)` (e.g. an ignore index) gives loss 0 and no
 * gradient. Returns `[N]`; differentiable in `logits`. On the native backend neither the
 * softmax nor a one-hot matrix is materialised in the forward pass.
 */
export function softmaxCrossEntropyRows(logits: Tensor, targets: ArrayLike<number>, options: SoftmaxCrossEntropyOptions = {}): Tensor {
  if (logits.rank !== 2) throw new RangeError(`softmaxCrossEntropyRows: logits must be [N, C], got ${JSON.stringify(logits.shape)}`);
  const [n, c] = logits.shape as [number, number];
  if (targets.length !== n) throw new RangeError(`softmaxCrossEntropyRows: ${targets.length} targets for ${n} rows`);
  const eps = options.labelSmoothing ?? 0;
  const t = Int32Array.from(targets, (v) => (Number.isInteger(v) && v >= 0 && v < c ? v : -1));
  const addon = nativeAddon();
  if (!addon || !allF32(logits) || c === 0) {
    const valid = Float32Array.from(t, (v) => (v >= 0 ? 1 : 0));
    const logp = tf.logSoftmax(logits, -1);
    const onehot = tf.oneHot(tf.tensor1d(Int32Array.from(t, (v) => Math.max(v, 0)), 'int32'), c);
    const nll = tf.neg(tf.sum(tf.mul(logp, onehot), -1));
    const perRow = eps > 0 ? tf.add(tf.mul(nll, 1 - eps), tf.mul(tf.neg(tf.mean(logp, -1)), eps)) : nll;
    return tf.mul(perRow, tf.tensor1d(valid, 'float32'));
  }
  return custom((a, save) => {
    const xs = a as Tensor;
    const loss = new Float32Array(n);
    const lse = new Float32Array(n);
    addon.xent(f32(xs), t, loss, lse, n, c, eps);
    const lseT = tf.tensor1d(lse);
    (save as tf.GradSaveFunc)([xs, lseT]);
    return {
      value: tf.tensor1d(loss),
      gradFunc: (dy: Tensor, saved: Saved) => {
        const [sx, sl] = saved as [Tensor, Tensor];
        const dx = new Float32Array(n * c);
        addon.xentGrad(f32(sx), t, f32(sl), f32(dy), dx, n, c, eps);
        return tf.tensor(dx, [n, c], 'float32');
      },
    };
  })(logits);
}

// --- LSTM over a whole sequence -----------------------------------------------------------------

/** Options of {@link lstmSequence}. */
export interface LstmSequenceOptions {
  /** Each batch row's length; steps at or past it keep the state and output zeros (packed-sequence semantics). */
  lengths?: ArrayLike<number>;
  /** Run from the last step to the first. */
  reverse?: boolean;
  /**
   * A `[4H]` vector added to every step's gates (e.g. `b_ih + b_hh`), differentiable: on the
   * native backend it is added inside the kernel and its gradient comes out of the backward call.
   */
  bias?: Tensor;
  /**
   * Batch-major layout: `xProj` is `[B, T, 4H]` (what `x·W_ihᵀ` of a batch-first `[B, T, F]`
   * input gives without a transpose) and the result is `[B, T + 2, H]`: each row's `T` outputs,
   * then its final `h`, then its final `c`. Default false (step-major, see {@link lstmSequence}).
   */
  batchFirst?: boolean;
}

/**
 * An LSTM layer-direction over a whole sequence (PyTorch's gates i, f, g, o):
 * `xProj` `[T, B, 4H]` = `x·W_ihᵀ + b_ih + b_hh` for every step (or without the biases, passed as
 * `options.bias`), `h0`/`c0` `[B, H]`, `whhT` = `W_hhᵀ` `[H, 4H]`. Returns `[T + 2, B, H]`: the
 * output at each step (zeros past a row's length), then the final `h`, then the final `c`
 * (with `options.batchFirst`, `[B, T, 4H]` in and `[B, T + 2, H]` out). Differentiable in all
 * inputs. On the native backend the whole recurrence (and its backward) is one addon call.
 */
export function lstmSequence(xProj: Tensor, h0: Tensor, c0: Tensor, whhT: Tensor, options: LstmSequenceOptions = {}): Tensor {
  const batchFirst = options.batchFirst ?? false;
  if (xProj.rank !== 3) throw new RangeError(`lstmSequence: xProj must be ${batchFirst ? '[B, T, 4H]' : '[T, B, 4H]'}, got ${JSON.stringify(xProj.shape)}`);
  const [T, B, G] = (batchFirst ? [xProj.shape[1], xProj.shape[0], xProj.shape[2]] : xProj.shape) as [number, number, number];
  const H = G / 4;
  const bias = options.bias;
  if (!Number.isInteger(H) || whhT.shape[0] !== H || whhT.shape[1] !== G || h0.shape[0] !== B || h0.shape[1] !== H || c0.shape[0] !== B || c0.shape[1] !== H || (bias && (bias.rank !== 1 || bias.size !== G))) {
    throw new RangeError(`lstmSequence: shapes do not agree: xProj ${JSON.stringify(xProj.shape)}${batchFirst ? ' (batch first)' : ''}, h0 ${JSON.stringify(h0.shape)}, c0 ${JSON.stringify(c0.shape)}, whhT ${JSON.stringify(whhT.shape)}${bias ? `, bias ${JSON.stringify(bias.shape)}` : ''}`);
  }
  const reverse = options.reverse ?? false;
  const lengths = options.lengths ? Int32Array.from(options.lengths) : null;
  if (lengths && lengths.length !== B) throw new RangeError(`lstmSequence: ${lengths.length} lengths for a batch of ${B}`);
  const masked = lengths !== null && lengths.some((l) => l < T);
  const addon = nativeAddon();
  const len = masked ? lengths : null;
  if (!addon || !allF32(xProj, h0, c0, whhT, bias) || T === 0) {
    let xs = batchFirst ? tf.transpose(xProj, [1, 0, 2]) : xProj;
    if (bias) xs = tf.add(xs, bias);
    const all = lstmSequenceTf(xs, h0, c0, whhT, T, B, H, reverse, len);
    return batchFirst ? tf.transpose(all, [1, 0, 2]) : all;
  }
  return lstmNative(addon, { xProj, h0, c0, whh: whhT, whhTransposed: true, bias }, T, B, H, reverse, batchFirst, len, true);
}

/** Options of {@link lstmLayer}. */
export interface LstmLayerOptions extends Omit<LstmSequenceOptions, 'bias'> {
  /** The gates' bias `[4H]` (PyTorch's `b_ih + b_hh`); none when absent. */
  bias?: Tensor;
  /**
   * false: return only the final state, `[B, 2, H]` with `batchFirst` or `[2, B, H]` (final `h`,
   * then final `c`); the per-step outputs are then neither stored nor differentiated. Default true.
   */
  sequence?: boolean;
}

/**
 * An LSTM layer-direction from its input (PyTorch's `nn.LSTM` equations, gates i, f, g, o):
 * `x` `[T, B, F]` (or `[B, T, F]` with `batchFirst`), `weightIh` `[4H, F]` and `weightHh`
 * `[4H, H]` in PyTorch's layout, `h0`/`c0` `[B, H]`, `bias` `[4H]`. Returns what
 * {@link lstmSequence} returns (`[T + 2, B, H]`, or `[B, T + 2, H]` with `batchFirst`), or only the
 * final state with `sequence: false`.
 * Differentiable in every tensor input. On the native backend the input projection is part of
 * each step's product (`[x_t | h_{t−1}]·[W_ih | W_hh]ᵀ`), so no `[T, B, 4H]` projection is
 * materialised, and the backward computes `dx`, `dW_ih`, `dW_hh` and `dbias` in the same call;
 * elsewhere it is a `matMul` followed by {@link lstmSequence}.
 */
export function lstmLayer(x: Tensor, weightIh: Tensor, weightHh: Tensor, h0: Tensor, c0: Tensor, options: LstmLayerOptions = {}): Tensor {
  const batchFirst = options.batchFirst ?? false;
  if (x.rank !== 3) throw new RangeError(`lstmLayer: x must be ${batchFirst ? '[B, T, F]' : '[T, B, F]'}, got ${JSON.stringify(x.shape)}`);
  const [T, B, F] = (batchFirst ? [x.shape[1], x.shape[0], x.shape[2]] : x.shape) as [number, number, number];
  const G = weightHh.shape[0] ?? 0;
  const H = G / 4;
  const bias = options.bias;
  if (!Number.isInteger(H) || H < 1 || weightHh.rank !== 2 || weightHh.shape[1] !== H || weightIh.rank !== 2 || weightIh.shape[0] !== G || weightIh.shape[1] !== F ||
      h0.shape[0] !== B || h0.shape[1] !== H || c0.shape[0] !== B || c0.shape[1] !== H || (bias && (bias.rank !== 1 || bias.size !== G))) {
    throw new RangeError(`lstmLayer: shapes do not agree: x ${JSON.stringify(x.shape)}${batchFirst ? ' (batch first)' : ''}, weightIh ${JSON.stringify(weightIh.shape)}, weightHh ${JSON.stringify(weightHh.shape)}, h0 ${JSON.stringify(h0.shape)}, c0 ${JSON.stringify(c0.shape)}${bias ? `, bias ${JSON.stringify(bias.shape)}` : ''}`);
  }
  const reverse = options.reverse ?? false;
  const sequence = options.sequence ?? true;
  const lengths = options.lengths ? Int32Array.from(options.lengths) : null;
  if (lengths && lengths.length !== B) throw new RangeError(`lstmLayer: ${lengths.length} lengths for a batch of ${B}`);
  const len = lengths !== null && lengths.some((l) => l < T) ? lengths : null;
  const addon = nativeAddon();
  if (!addon || !allF32(x, weightIh, weightHh, h0, c0, bias) || T === 0 || F === 0) {
    const proj = tf.reshape(linearPlain(tf.reshape(x, [-1, F]), weightIh), [x.shape[0]!, x.shape[1]!, G]);
    const all = lstmSequence(proj, h0, c0, tf.transpose(weightHh), { lengths: options.lengths, reverse, bias, batchFirst });
    if (sequence) return all;
    return batchFirst ? tf.slice(all, [0, T, 0], [B, 2, H]) : tf.slice(all, [T, 0, 0], [2, B, H]);
  }
  return lstmNative(addon, { x, wih: weightIh, h0, c0, whh: weightHh, whhTransposed: false, bias }, T, B, H, reverse, batchFirst, len, sequence);
}

/**
 * `x·Wᵀ` (W `[out, in]`) whose forward and gradients are untransposed products with explicit
 * transposes: on the wasm backend tfjs's `BatchMatMul` with a transpose flag is several times
 * slower than a transpose plus a plain product.
 */
const linearPlain = tf.customGrad(((x: Tensor, w: Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, tf.transpose(w) as tf.Tensor2D),
    gradFunc: (dy: Tensor, saved: Saved) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, sw), tf.matMul(tf.transpose(dy) as tf.Tensor2D, sx)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: Tensor, w: Tensor) => Tensor;

// Scratch arrays the LSTM keeps from its forward to its backward (gate activations, states) and
// the backward's gate gradients: tens of MB per call, recycled once the backward has used them,
// so a training step does not hand that much fresh memory to the allocator and the GC each time.
// At most 4 arrays of a size and 256 MB in all are kept.
const lstmScratch = new Map<number, Float32Array[]>();
let lstmScratchBytes = 0;
function takeScratch(n: number): Float32Array {
  const a = lstmScratch.get(n)?.pop();
  if (!a) return new Float32Array(n);
  lstmScratchBytes -= a.byteLength;
  return a;
}
function giveScratch(arrays: Float32Array[]): void {
  for (const a of arrays) {
    const list = lstmScratch.get(a.length) ?? [];
    if (list.length >= 4 || lstmScratchBytes + a.byteLength > 256 * 2 ** 20) continue;
    list.push(a);
    lstmScratchBytes += a.byteLength;
    lstmScratch.set(a.length, list);
  }
}

interface LstmInputs {
  xProj?: Tensor;
  x?: Tensor;
  wih?: Tensor;
  whh: Tensor;
  whhTransposed: boolean;
  h0: Tensor;
  c0: Tensor;
  bias?: Tensor;
}

/** lstmSequence / lstmLayer on the addon: one call forward, one backward. */
function lstmNative(addon: NativeAddon, inp: LstmInputs, T: number, B: number, H: number, reverse: boolean, batchFirst: boolean, len: Int32Array | null, sequence: boolean): Tensor {
  const G = 4 * H;
  const F = inp.x ? inp.x.shape[2]! : 0;
  const rows = sequence ? T + 2 : 2;
  const outShape = batchFirst ? [B, rows, H] : [rows, B, H];
  // The differentiable inputs, in this order: (xProj | x, wih), whh, h0, c0, [bias].
  const order: Tensor[] = [...(inp.xProj ? [inp.xProj] : [inp.x!, inp.wih!]), inp.whh, inp.h0, inp.c0, ...(inp.bias ? [inp.bias] : [])];
  const f = (...args: Array<Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const ts = args.slice(0, -1) as Tensor[];
    let at = 0;
    const xp = inp.xProj ? ts[at++]! : undefined;
    const xs = inp.xProj ? undefined : ts[at++]!;
    const wih = inp.xProj ? undefined : ts[at++]!;
    const whh = ts[at++]!;
    const hs = ts[at++]!;
    const cs = ts[at++]!;
    const bs = inp.bias ? ts[at++]! : undefined;
    const out = new Float32Array(rows * B * H);
    let scratch: Float32Array[] | null = [takeScratch(T * B * G), takeScratch(T * B * H), takeScratch(T * B * H), takeScratch(T * B * H)];
    const [acts, hprev, cprev, tc] = scratch as [Float32Array, Float32Array, Float32Array, Float32Array];
    addon.lstm(xs ? f32(xs) : null, F, xp ? f32(xp) : null, bs ? f32(bs) : null, wih ? f32(wih) : null, f32(whh), inp.whhTransposed, f32(hs), f32(cs), len, out, acts, hprev, cprev, tc, T, B, H, reverse, batchFirst, sequence);
    save(xs && wih ? [xs, wih, whh] : [whh]);
    return {
      value: tf.tensor(out, outShape, 'float32'),
      gradFunc: (dy: Tensor, saved: Saved) => {
        if (!scratch) throw new Error('lstm: the backward of one forward call ran twice');
        const [sx, swih, swhh] = (saved.length === 3 ? saved : [undefined, undefined, saved[0]]) as [Tensor | undefined, Tensor | undefined, Tensor];
        const dgates = xp ? new Float32Array(T * B * G) : takeScratch(T * B * G);
        const dx = sx ? new Float32Array(T * B * F) : null;
        const dwih = sx ? new Float32Array(G * F) : null;
        const dwhh = new Float32Array(G * H);
        const db = bs ? new Float32Array(G) : null;
        const dh0 = new Float32Array(B * H);
        const dc0 = new Float32Array(B * H);
        addon.lstmGrad(f32(dy), acts, hprev, cprev, tc, sx ? f32(sx) : null, F, swih ? f32(swih) : null, f32(swhh), inp.whhTransposed, len, dgates, dx, dwih, dwhh, db, dh0, dc0, T, B, H, reverse, batchFirst, sequence);
        giveScratch(xp ? scratch : [...scratch, dgates]);
        scratch = null;
        const grads: Tensor[] = xp ? [tf.tensor(dgates, xp.shape, 'float32')] : [tf.tensor(dx!, sx!.shape, 'float32'), tf.tensor(dwih!, swih!.shape, 'float32')];
        grads.push(tf.tensor(dwhh, swhh.shape, 'float32'), tf.tensor(dh0, [B, H], 'float32'), tf.tensor(dc0, [B, H], 'float32'));
        if (bs && db) grads.push(tf.tensor(db, bs.shape, 'float32'));
        return grads;
      },
    };
  };
  return custom(f as Grad)(...order);
}

/**
 * Unstack along axis 0 by splitting in halves: on wasm every output of `Unpack`/`SplitV` costs
 * time in proportion to the whole input, so a plain unstack of T steps is O(T²).
 */
function unstackHalving(x: Tensor): Tensor[] {
  const n = x.shape[0]!;
  if (n === 1) return [tf.reshape(x, x.shape.slice(1))];
  const h = n >> 1;
  const [a, b] = tf.split(x, [h, n - h], 0) as [Tensor, Tensor];
  return [...unstackHalving(a), ...unstackHalving(b)];
}

/** Stack along axis 0 whose gradient unstacks by halving (see {@link unstackHalving}). */
function stackHalving(xs: Tensor[]): Tensor {
  const f = tf.customGrad(((...args: unknown[]) => ({
    value: tf.stack(args.slice(0, -1) as Tensor[]),
    gradFunc: (dy: Tensor) => unstackHalving(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...t: Tensor[]) => Tensor;
  return f(...xs);
}

/** The tfjs composition of {@link lstmSequence} (same equations, autodiff backward). */
function lstmSequenceTf(xProj: Tensor, h0: Tensor, c0: Tensor, whhT: Tensor, T: number, B: number, H: number, reverse: boolean, lengths: Int32Array | null): Tensor {
  const steps = unstackHalving(xProj);
  let h = h0;
  let c = c0;
  const outs: Tensor[] = new Array<Tensor>(T);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const gates = tf.add(steps[t]!, tf.matMul(h as tf.Tensor2D, whhT as tf.Tensor2D));
    const [gi, gf, gg, go] = tf.split(gates, 4, 1) as [Tensor, Tensor, Tensor, Tensor];
    const cNew = tf.add(tf.mul(tf.sigmoid(gf), c), tf.mul(tf.sigmoid(gi), tf.tanh(gg)));
    const hNew = tf.mul(tf.sigmoid(go), tf.tanh(cNew));
    if (lengths && lengths.some((l) => t >= l)) {
      const keep = tf.tensor2d(Float32Array.from(lengths, (l) => (t < l ? 1 : 0)), [B, 1]);
      const hold = tf.sub(1, keep);
      outs[t] = tf.mul(hNew, keep);
      h = tf.add(outs[t]!, tf.mul(h, hold));
      c = tf.add(tf.mul(cNew, keep), tf.mul(c, hold));
    } else {
      outs[t] = hNew;
      h = hNew;
      c = cNew;
    }
  }
  return stackHalving([...outs, h, c]);
}

// --- AdamW ----------------------------------------------------------------------------------------

/** Hyper-parameters of one {@link adamwStep}. */
export interface AdamWStepOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay for this parameter (0 for none). */
  weightDecay: number;
  /** The step number, from 1 (bias corrections `1 − βᵗ`). */
  step: number;
  /** Multiply the gradient by this first (e.g. a clipping coefficient); default 1. */
  gradScale?: number;
  /**
   * `m` and `v` belong to the caller alone (no other tensor shares their storage): on the native
   * backend they are updated in place instead of being assigned fresh copies. Default false.
   */
  inPlaceMoments?: boolean;
}

/**
 * One AdamW update of `param` with gradient `grad`, moments `m` and `v` (variables of the
 * parameter's shape), as torch's `AdamW`: `p ← p·(1 − lr·wd) − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)`.
 * On the native backend one fused pass; elsewhere tfjs ops. Assigns the three variables.
 */
export function adamwStep(param: tf.Variable, m: tf.Variable, v: tf.Variable, grad: Tensor, o: AdamWStepOptions): void {
  const bc1 = 1 - Math.pow(o.beta1, o.step);
  const bc2 = 1 - Math.pow(o.beta2, o.step);
  const gs = o.gradScale ?? 1;
  const addon = nativeAddon();
  if (!addon || !allF32(param, m, v, grad) || grad.size !== param.size) {
    tf.tidy(() => {
      const g = gs === 1 ? grad : tf.mul(grad, gs);
      const decayed = o.weightDecay > 0 ? tf.mul(param, 1 - o.lr * o.weightDecay) : param;
      const m1 = tf.add(tf.mul(m, o.beta1), tf.mul(g, 1 - o.beta1));
      const v1 = tf.add(tf.mul(v, o.beta2), tf.mul(tf.square(g), 1 - o.beta2));
      m.assign(m1);
      v.assign(v1);
      const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(bc2)), o.eps);
      param.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), o.lr / bc1)));
    });
    return;
  }
  // Tensors are immutable and may share storage, so the step writes fresh copies and assigns them.
  // (With inPlaceMoments the caller vouches that m and v share their storage with nothing else;
  // they must also live on this backend, so that dataSync returns their storage, not a copy.)
  const inPlace = o.inPlaceMoments === true && onActiveBackend(m) && onActiveBackend(v);
  const p = f32(param).slice();
  const mm = inPlace ? f32(m) : f32(m).slice();
  const vv = inPlace ? f32(v) : f32(v).slice();
  addon.adamw(p, mm, vv, f32(grad), o.lr, o.beta1, o.beta2, o.eps, bc1, bc2, o.weightDecay, gs);
  const assigned: Array<readonly [tf.Variable, Float32Array]> = inPlace ? [[param, p]] : [[param, p], [m, mm], [v, vv]];
  for (const [variable, values] of assigned) {
    const t = tf.tensor(values, variable.shape, 'float32');
    variable.assign(t);
    t.dispose();
  }
}

/** Whether the fused ops above run natively right now (the `native` backend is active). */
export function fusedOpsNative(): boolean {
  return nativeAddon() !== undefined;
}
