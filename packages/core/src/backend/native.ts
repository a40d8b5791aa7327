import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from './tf.js';

/**
 * The native kernel pack: an N-API addon (C++, `packages/core/native/`, compiled by node-gyp when
 * `@llm/core` is installed or built) with a packed, blocked SGEMM (AVX-512/AVX2+FMA microkernels
 * picked at run time, a small thread pool over every core), softmax, gather, its gradient
 * (UnsortedSegmentSum) and an Adam update.
 *
 * It runs as the tfjs backend `native`: a {@link MathBackendCPU} instance (tensors live in
 * ordinary JS TypedArrays) carrying every kernel of the `cpu` backend, with the hot ones of the
 * training path replaced by the addon, which reads and writes those TypedArrays in place
 * (zero-copy). Where the addon cannot be built or loaded the backend is not offered, and the
 * selection in `select.ts` falls back to `wasm` with the reason.
 */

/** The functions the compiled addon exports (see `native/src/addon.cc`). */
export interface NativeAddon {
  matmul(
    a: Float32Array, b: Float32Array, out: Float32Array,
    batch: number, batchA: number, batchB: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, bias: Float32Array | null, activation: number, alpha: number,
  ): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  gather(x: Float32Array | Int32Array, indices: Int32Array, out: Float32Array | Int32Array, outer: number, dim: number, inner: number): number;
  unsortedSegmentSum(x: Float32Array, ids: Int32Array, out: Float32Array, rows: number, inner: number, numSegments: number): void;
  stridedCopy(src: Float32Array | Int32Array, dst: Float32Array | Int32Array, shape: number[], srcStrides: number[], srcOffset: number, dstStrides: number[], dstOffset: number): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, red: number, inner: number): void;
  binary(op: number, a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[], out: Float32Array, shape: number[]): void;
  adam(variable: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, lr: number, beta1: number, beta2: number, epsilon: number, beta1Power: number, beta2Power: number): void;
  layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array | null, y: Float32Array, mean: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number): void;
  layerNormGrad(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array | null, rows: number, cols: number): void;
  gelu(x: Float32Array, y: Float32Array, approximate: boolean): void;
  geluGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, approximate: boolean): void;
  xent(x: Float32Array, targets: Int32Array, loss: Float32Array, lse: Float32Array, rows: number, cols: number, smoothing: number): void;
  xentGrad(x: Float32Array, targets: Int32Array, lse: Float32Array, dloss: Float32Array, dx: Float32Array, rows: number, cols: number, smoothing: number): void;
  maskedSoftmax(x: Float32Array, mask: Float32Array | null, y: Float32Array, rows: number, cols: number, maskRows: number, scale: number): void;
  maskedSoftmaxGrad(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number, scale: number): void;
  adamw(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, decay: number, gradScale?: number): void;
  causalAttention(qkv: Float32Array, y: Float32Array, probs: Float32Array, B: number, T: number, H: number, hd: number, scale: number): void;
  causalAttentionGrad(qkv: Float32Array, probs: Float32Array, dy: Float32Array, dqkv: Float32Array, B: number, T: number, H: number, hd: number, scale: number): void;
  sumSquares(arrays: Float32Array[]): number;
  lstm(x: Float32Array | null, F: number, xproj: Float32Array | null, bias: Float32Array | null, wih: Float32Array | null, whh: Float32Array, whhTransposed: boolean, h0: Float32Array, c0: Float32Array, lengths: Int32Array | null, out: Float32Array, acts: Float32Array, hprev: Float32Array, cprev: Float32Array, tc: Float32Array, T: number, B: number, H: number, reverse: boolean, batchFirst: boolean, sequence: boolean): void;
  lstmGrad(dout: Float32Array, acts: Float32Array, hprev: Float32Array, cprev: Float32Array, tc: Float32Array, x: Float32Array | null, F: number, wih: Float32Array | null, whh: Float32Array, whhTransposed: boolean, lengths: Int32Array | null, dgates: Float32Array, dx: Float32Array | null, dwih: Float32Array | null, dwhh: Float32Array, dbias: Float32Array | null, dh0: Float32Array, dc0: Float32Array, T: number, B: number, H: number, reverse: boolean, batchFirst: boolean, sequence: boolean): void;
  info(): { isa: NativeIsa; threads: number; avx2: boolean; avx512: boolean };
  setIsa(isa: NativeIsa): boolean;
  setThreads(n: number): void;
}

/** Instruction sets of the SGEMM microkernels. */
export type NativeIsa = 'scalar' | 'avx2' | 'avx512';

/** What {@link nativeStatus} reports. */
export interface NativeStatus {
  available: boolean;
  /** The addon file loaded, when available. */
  path?: string;
  /** Microkernel in use and what the CPU offers. */
  isa?: NativeIsa;
  avx2?: boolean;
  avx512?: boolean;
  threads?: number;
  /** Why the pack is not available. */
  reason?: string;
}

const ADDON_FILE = 'llm_kernels.node';

/** Where the compiled addon may be, relative to this module (src/backend or dist). */
export function nativeAddonCandidates(): string[] {
  if (process.env.LLM_NATIVE_ADDON) return [process.env.LLM_NATIVE_ADDON];
  const here = dirname(fileURLToPath(import.meta.url));
  const out: string[] = [];
  for (const up of ['..', join('..', '..')]) {
    for (const cfg of ['Release', 'Debug']) out.push(join(here, up, 'native', 'build', cfg, ADDON_FILE));
  }
  return out;
}

let loaded: { addon: NativeAddon; path: string } | undefined;
let loadError: string | undefined;

/**
 * Load the addon (once). Throws an Error saying why when it is absent (no compiler at install),
 * fails to load, or is disabled with `LLM_NATIVE=0`.
 */
export function loadNativeAddon(): { addon: NativeAddon; path: string } {
  if (loaded) return loaded;
  if (process.env.LLM_NATIVE === '0') throw new Error('disabled by LLM_NATIVE=0');
  if (loadError !== undefined) throw new Error(loadError);
  const candidates = nativeAddonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    loadError = `addon not built (no ${ADDON_FILE} under packages/core/native/build; run \`pnpm --filter @llm/core run build:native\`, needs g++ and make)`;
    throw new Error(loadError);
  }
  try {
    const req = createRequire(import.meta.url);
    const addon = req(path) as NativeAddon;
    if (typeof addon.matmul !== 'function') throw new Error('not the @llm/core kernel addon');
    loaded = { addon, path };
    return loaded;
  } catch (err) {
    loadError = `addon failed to load (${path}): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    throw new Error(loadError);
  }
}

/** Whether the native pack can run here, and if not, why. Never throws. */
export function nativeStatus(): NativeStatus {
  try {
    const { addon, path } = loadNativeAddon();
    const info = addon.info();
    return { available: true, path, isa: info.isa, avx2: info.avx2, avx512: info.avx512, threads: info.threads };
  } catch (err) {
    return { available: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

// ---------------------------------------------------------------------------------------------
// Kernels

type TensorInfo = tf.TensorInfo;
interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}
/** The parts of MathBackendCPU the kernels touch. */
interface CpuStorage {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array): TensorInfo;
  incRef(dataId: object): void;
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, sigmoid: 3, elu: 4, leakyrelu: 5 };

function values(backend: CpuStorage, t: TensorInfo): unknown {
  return backend.data.get(t.dataId).values;
}

function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function cpuKernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, 'cpu');
  if (!k) throw new Error(`tfjs cpu backend has no kernel ${name}`);
  return k.kernelFunc;
}

function broadcastBatch(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`Operands could not be broadcast together with shapes ${a} and ${b}.`);
    out.push(Math.max(x, y));
  }
  return out;
}

/** BatchMatMul and the product part of _FusedMatMul (same shape rules as tfjs's cpu kernel). */
function nativeMatMul(
  addon: NativeAddon, backend: CpuStorage, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean,
  bias: Float32Array | null, activation: number, alpha: number,
): TensorInfo {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  }
  const outer = broadcastBatch(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  const out = new Float32Array(batch * m * n);
  addon.matmul(values(backend, a) as Float32Array, values(backend, b) as Float32Array, out, batch, batchA, batchB, m, n, k, transposeA, transposeB, bias, activation, alpha);
  return backend.makeTensorInfo([...outer, m, n], 'float32', out);
}

function isF32(backend: CpuStorage, ...ts: TensorInfo[]): boolean {
  return ts.every((t) => t.dtype === 'float32' && values(backend, t) instanceof Float32Array);
}

function batchMatMulKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('BatchMatMul');
  return (args) => {
    const { inputs, attrs } = args as unknown as KernelArgs;
    const backend = args.backend as unknown as CpuStorage;
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    if (!isF32(backend, a, b)) return fallback(args);
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    return nativeMatMul(addon, backend, a, b, transposeA, transposeB, null, 0, 0);
  };
}

function fusedMatMulKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('_FusedMatMul');
  return (args) => {
    const { inputs, attrs } = args as unknown as KernelArgs;
    const backend = args.backend as unknown as CpuStorage;
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const bias = inputs.bias as TensorInfo | undefined;
    const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as {
      transposeA: boolean; transposeB: boolean; activation: string; leakyreluAlpha?: number;
    };
    const act = ACTIVATIONS[activation];
    const n = transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    // Native when the bias is one value per output column (or a scalar) and the activation
    // is one the epilogue knows; anything else (prelu, a bias over rows) runs tfjs's kernel.
    const biasOk = !bias || (isF32(backend, bias) && (size(bias.shape) === 1 || (size(bias.shape) === n && bias.shape[bias.shape.length - 1] === n)));
    if (act === undefined || !biasOk || !isF32(backend, a, b)) return fallback(args);
    const biasValues = bias ? (values(backend, bias) as Float32Array) : null;
    return nativeMatMul(addon, backend, a, b, transposeA, transposeB, biasValues, act, leakyreluAlpha ?? 0.2);
  };
}

function softmaxKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('Softmax');
  return (args) => {
    const { inputs, attrs } = args as unknown as KernelArgs;
    const backend = args.backend as unknown as CpuStorage;
    const x = inputs.logits as TensorInfo;
    const dim = (attrs as { dim: number }).dim;
    const rank = x.shape.length;
    if (!isF32(backend, x) || rank === 0 || (dim !== -1 && dim !== rank - 1)) return fallback(args);
    const cols = x.shape[rank - 1]!;
    const total = size(x.shape);
    const out = new Float32Array(total);
    if (cols > 0) addon.softmax(values(backend, x) as Float32Array, out, total / cols, cols);
    return backend.makeTensorInfo(x.shape.slice(), 'float32', out);
  };
}

function gatherKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('GatherV2');
  return (args) => {
    const { inputs, attrs } = args as unknown as KernelArgs;
    const backend = args.backend as unknown as CpuStorage;
    const x = inputs.x as TensorInfo;
    const indices = inputs.indices as TensorInfo;
    const { axis, batchDims } = attrs as { axis: number; batchDims?: number };
    const xv = values(backend, x);
    const iv = values(backend, indices);
    const ax = axis < 0 ? axis + x.shape.length : axis;
    if ((batchDims ?? 0) !== 0 || !(iv instanceof Int32Array) || !(xv instanceof Float32Array || xv instanceof Int32Array) || ax < 0 || ax >= x.shape.length) {
      return fallback(args);
    }
    const outer = size(x.shape.slice(0, ax));
    const dim = x.shape[ax]!;
    const inner = size(x.shape.slice(ax + 1));
    const outShape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
    const out = xv instanceof Float32Array ? new Float32Array(size(outShape)) : new Int32Array(size(outShape));
    const bad = addon.gather(xv, iv, out, outer, dim, inner);
    if (bad >= 0) throw new Error(`GatherV2: the index value ${iv[bad]} is not in [0, ${dim - 1}]`);
    return backend.makeTensorInfo(outShape, x.dtype, out);
  };
}

function segmentSumKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('UnsortedSegmentSum');
  return (args) => {
    const { inputs, attrs } = args as unknown as KernelArgs;
    const backend = args.backend as unknown as CpuStorage;
    const x = inputs.x as TensorInfo;
    const ids = inputs.segmentIds as TensorInfo;
    const numSegments = Number((attrs as { numSegments: number }).numSegments);
    const iv = values(backend, ids);
    const prefix = ids.shape.every((d, i) => x.shape[i] === d);
    if (!isF32(backend, x) || !(iv instanceof Int32Array) || !prefix) return fallback(args);
    const rows = size(ids.shape);
    const inner = size(x.shape.slice(ids.shape.length));
    const outShape = [numSegments, ...x.shape.slice(ids.shape.length)];
    const out = new Float32Array(numSegments * inner);
    addon.unsortedSegmentSum(values(backend, x) as Float32Array, iv, out, rows, inner, numSegments);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

// --- data movement: one strided copy covers slice, split, unstack, concat, pad, transpose ------

type Four = Float32Array | Int32Array;

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = acc;
    acc *= shape[d]!;
  }
  return out;
}

function fourOf(backend: CpuStorage, t: TensorInfo): Four | undefined {
  const v = values(backend, t);
  return (t.dtype === 'float32' && v instanceof Float32Array) || (t.dtype === 'int32' && v instanceof Int32Array) ? v : undefined;
}

function alloc(like: Four, n: number): Four {
  return like instanceof Float32Array ? new Float32Array(n) : new Int32Array(n);
}

const MAX_RANK = 8;

/** A box of `size` at `begin` of x, as a new tensor (shape `outShape`, default `size`). */
function sliceBox(addon: NativeAddon, backend: CpuStorage, x: TensorInfo, xv: Four, begin: readonly number[], size: readonly number[], outShape?: number[]): TensorInfo {
  const xs = strides(x.shape);
  const out = alloc(xv, size.reduce((a, b) => a * b, 1));
  let offset = 0;
  for (let d = 0; d < begin.length; d++) offset += begin[d]! * xs[d]!;
  addon.stridedCopy(xv, out, [...size], xs, offset, strides(size), 0);
  return backend.makeTensorInfo(outShape ?? [...size], x.dtype, out);
}

function sliceKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('Slice');
  return (args) => {
    const { inputs, attrs } = args as unknown as KernelArgs;
    const backend = args.backend as unknown as CpuStorage;
    const x = inputs.x as TensorInfo;
    const xv = fourOf(backend, x);
    if (!xv || x.shape.length > MAX_RANK || x.shape.length === 0) return fallback(args);
    const a = attrs as { begin: number | number[]; size: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, a.begin, a.size);
    tf.slice_util.assertParamsValid(x as unknown as tf.Tensor, begin, size);
    return sliceBox(addon, backend, x, xv, begin, size);
  };
}

function splitKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('SplitV');
  return (args) => {
    const { inputs, attrs } = args as unknown as KernelArgs;
    const backend = args.backend as unknown as CpuStorage;
    const x = inputs.x as TensorInfo;
    const xv = fourOf(backend, x);
    if (!xv || x.shape.length > MAX_RANK || x.shape.length === 0) return fallback(args);
    const { numOrSizeSplits, axis } = attrs as { numOrSizeSplits: number | number[]; axis: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax);
    const begin = new Array<number>(x.shape.length).fill(0);
    const size = [...x.shape];
    return sizes.map((s) => {
      size[ax] = s;
      const t = sliceBox(addon, backend, x, xv, begin, size);
      begin[ax]! += s;
      return t;
    });
  };
}

function unpackKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('Unpack');
  return (args) => {
    const { inputs, attrs } = args as unknown as KernelArgs;
    const backend = args.backend as unknown as CpuStorage;
    const x = inputs.value as TensorInfo;
    const xv = fourOf(backend, x);
    if (!xv || x.shape.length > MAX_RANK || x.shape.length === 0) return fallback(args);
    const ax = tf.util.parseAxisParam((attrs as { axis: number }).axis, x.shape)[0]!;
    const num = x.shape[ax]!;
    const outShape = x.shape.filter((_, d) => d !== ax);
    const begin = new Array<number>(x.shape.length).fill(0);
    const size = [...x.shape];
    size[ax] = 1;
    const out: TensorInfo[] = [];
    for (let i = 0; i < num; i++) {
      begin[ax] = i;
      out.push(sliceBox(addon, backend, x, xv, begin, size, outShape));
    }
    return out;
  };
}

function concatKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('Concat');
  return (args) => {
    const backend = args.backend as unknown as CpuStorage;
    const list = (args.inputs as unknown as TensorInfo[]).filter((t) => t.shape.reduce((a, b) => a * b, 1) > 0);
    const all = args.inputs as unknown as TensorInfo[];
    if (all.length === 0) return fallback(args);
    const dtype = all[0]!.dtype;
    const vals = list.map((t) => fourOf(backend, t));
    if (list.length === 0 || vals.some((v) => !v) || all.some((t) => t.dtype !== dtype) || all[0]!.shape.length > MAX_RANK || all[0]!.shape.length === 0) {
      return fallback(args);
    }
    const ax = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, all[0]!.shape)[0]!;
    tf.backend_util.assertParamsConsistent(all.map((t) => t.shape), ax);
    const outShape = tf.backend_util.computeOutShape(list.map((t) => t.shape), ax);
    const out = alloc(vals[0]!, outShape.reduce((a, b) => a * b, 1));
    const os = strides(outShape);
    let at = 0;
    list.forEach((t, i) => {
      addon.stridedCopy(vals[i]!, out, [...t.shape], strides(t.shape), 0, os, at * os[ax]!);
      at += t.shape[ax]!;
    });
    return backend.makeTensorInfo(outShape, dtype, out);
  };
}

function padKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('PadV2');
  return (args) => {
    const { inputs, attrs } = args as unknown as KernelArgs;
    const backend = args.backend as unknown as CpuStorage;
    const x = inputs.x as TensorInfo;
    const xv = fourOf(backend, x);
    if (!xv || x.shape.length > MAX_RANK || x.shape.length === 0) return fallback(args);
    const { paddings, constantValue } = attrs as { paddings: Array<[number, number]>; constantValue: number };
    const outShape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
    const out = alloc(xv, outShape.reduce((a, b) => a * b, 1));
    if (constantValue !== 0) out.fill(constantValue);
    const os = strides(outShape);
    let offset = 0;
    for (let d = 0; d < outShape.length; d++) offset += paddings[d]![0] * os[d]!;
    addon.stridedCopy(xv, out, [...x.shape], strides(x.shape), 0, os, offset);
    return backend.makeTensorInfo(outShape, x.dtype, out);
  };
}

function transposeKernel(addon: NativeAddon): tf.KernelFunc {
  const fallback = cpuKernel('Transpose');
  return (args) => {
    const { inputs, attrs } = args as unknown as KernelArgs;
    const backend = args.backend as unknown as CpuStorage;
    const x = inputs.x as TensorInfo;
    const xv = fourOf(backend, x);
    const perm = (attrs as { perm: number[] }).perm;
    // The identity permutation (tfjs's gather gradient makes one for axis 0): share the storage,
    // as the cpu backend's Identity kernel does, instead of copying it.
    if (perm.length === x.shape.length && perm.every((p, i) => p === i)) {
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    }
    if (!xv || x.shape.length > MAX_RANK || x.shape.length === 0 || perm.length !== x.shape.length) return fallback(args);
    const xs = strides(x.shape);
    const outShape = perm.map((p) => x.shape[p]!);
    const out = alloc(xv, xv.length);
    addon.stridedCopy(xv, out, outShape, perm.map((p) => xs[p]!), 0, strides(outShape), 0);
    return backend.makeTensorInfo(outShape, x.dtype, out);
  };
}

// --- broadcasting binary ops (float32) ----------------------------------------------------------

const BINARY_OPS: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Pow: 4, SquaredDifference: 5, Maximum: 6, Minimum: 7 };

function binaryKernel(addon: NativeAddon, name: string): tf.KernelFunc {
  const fallback = cpuKernel(name);
  const op = BINARY_OPS[name]!;
  return (args) => {
    const backend = args.backend as unknown as CpuStorage;
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    if (!isF32(backend, a, b)) return fallback(args);
    const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (outShape.length > MAX_RANK) return fallback(args);
    const rank = outShape.length;
    const view = (t: TensorInfo): number[] => {
      const ts = strides(t.shape);
      const off = rank - t.shape.length;
      return outShape.map((d, i) => (i < off || t.shape[i - off] === 1 ? 0 : ts[i - off]!));
    };
    const out = new Float32Array(outShape.reduce((x, y) => x * y, 1));
    // A scalar is a rank-0 view: give it one dimension of stride 0.
    const shape = rank === 0 ? [1] : outShape;
    const as = rank === 0 ? [0] : view(a);
    const bs = rank === 0 ? [0] : view(b);
    addon.binary(op, values(backend, a) as Float32Array, as, values(backend, b) as Float32Array, bs, out, shape);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

// --- unary ops and reductions (float32) ---------------------------------------------------------

const UNARY_OPS: Record<string, number> = { Sigmoid: 0, Tanh: 1, Exp: 2, Log: 3, Sqrt: 4, Rsqrt: 5, Square: 6, Neg: 7, Relu: 8, Abs: 9 };

function unaryKernel(addon: NativeAddon, name: string): tf.KernelFunc {
  const fallback = cpuKernel(name);
  const op = UNARY_OPS[name]!;
  return (args) => {
    const backend = args.backend as unknown as CpuStorage;
    const x = args.inputs.x as TensorInfo;
    if (!isF32(backend, x)) return fallback(args);
    const xv = values(backend, x) as Float32Array;
    const out = new Float32Array(xv.length);
    addon.unary(op, xv, out);
    return backend.makeTensorInfo(x.shape.slice(), 'float32', out);
  };
}

const REDUCE_OPS: Record<string, number> = { Sum: 0, Mean: 1, Max: 2, Min: 3 };

function reduceKernel(addon: NativeAddon, name: string): tf.KernelFunc {
  const fallback = cpuKernel(name);
  const op = REDUCE_OPS[name]!;
  return (args) => {
    const backend = args.backend as unknown as CpuStorage;
    const x = args.inputs.x as TensorInfo;
    const { keepDims } = args.attrs as { keepDims: boolean };
    const attrs = args.attrs as { axis?: number | number[]; reductionIndices?: number | number[] };
    const axis = attrs.axis ?? attrs.reductionIndices;
    const rank = x.shape.length;
    const total = size(x.shape);
    if (!isF32(backend, x) || rank === 0 || rank > MAX_RANK || total === 0) return fallback(args);
    const axes = [...new Set(tf.util.parseAxisParam(axis ?? x.shape.map((_, i) => i), x.shape))].sort((p, q) => p - q);
    if (axes.length === 0) return fallback(args);
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    let xv = values(backend, x) as Float32Array;
    let outer: number;
    let red: number;
    let inner: number;
    const contiguous = axes[axes.length - 1]! - axes[0]! === axes.length - 1;
    if (contiguous) {
      outer = size(x.shape.slice(0, axes[0]));
      red = size(x.shape.slice(axes[0], axes[axes.length - 1]! + 1));
      inner = size(x.shape.slice(axes[axes.length - 1]! + 1));
    } else {
      // Move the reduced axes last (one native transpose), then reduce rows.
      const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const perm = [...kept, ...axes];
      const xs = strides(x.shape);
      const tShape = perm.map((p) => x.shape[p]!);
      const t = new Float32Array(total);
      addon.stridedCopy(xv, t, tShape, perm.map((p) => xs[p]!), 0, strides(tShape), 0);
      xv = t;
      red = size(axes.map((a) => x.shape[a]!));
      outer = total / red;
      inner = 1;
    }
    const out = new Float32Array(outer * inner);
    addon.reduce(op, xv, out, outer, red, inner);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

/** Kernels the addon implements on the `native` backend (the rest are the cpu backend's). */
export const NATIVE_KERNELS: readonly string[] = [
  'BatchMatMul', '_FusedMatMul', 'Softmax', 'GatherV2', 'UnsortedSegmentSum',
  'Slice', 'SplitV', 'Unpack', 'Concat', 'PadV2', 'Transpose',
  ...Object.keys(BINARY_OPS), ...Object.keys(UNARY_OPS), ...Object.keys(REDUCE_OPS),
];

/** The tfjs name of the backend. */
export const NATIVE_BACKEND = 'native';

let registeredNative = false;

/**
 * Register the tfjs backend `native` (idempotent): a MathBackendCPU with all of the cpu
 * backend's kernels, the hot ones ({@link NATIVE_KERNELS}) replaced by the addon. Throws with
 * the reason when the addon is not available. Returns the native kernel names.
 */
export function registerNativeBackend(): string[] {
  const { addon } = loadNativeAddon();
  if (!registeredNative) {
    const impl: Record<string, tf.KernelFunc> = {
      BatchMatMul: batchMatMulKernel(addon),
      _FusedMatMul: fusedMatMulKernel(addon),
      Softmax: softmaxKernel(addon),
      GatherV2: gatherKernel(addon),
      UnsortedSegmentSum: segmentSumKernel(addon),
      Slice: sliceKernel(addon),
      SplitV: splitKernel(addon),
      Unpack: unpackKernel(addon),
      Concat: concatKernel(addon),
      PadV2: padKernel(addon),
      Transpose: transposeKernel(addon),
    };
    for (const name of Object.keys(BINARY_OPS)) impl[name] = binaryKernel(addon, name);
    for (const name of Object.keys(UNARY_OPS)) impl[name] = unaryKernel(addon, name);
    for (const name of Object.keys(REDUCE_OPS)) impl[name] = reduceKernel(addon, name);
    tf.registerBackend(NATIVE_BACKEND, () => {
      const backend = new MathBackendCPU();
      // Its first write would print tfjs's "install tfjs-node" banner, which does not apply.
      (backend as unknown as { firstUse: boolean }).firstUse = false;
      return backend;
    }, 1);
    for (const config of tf.getKernelsForBackend('cpu')) {
      if (impl[config.kernelName]) continue;
      tf.registerKernel({ ...config, backendName: NATIVE_BACKEND });
    }
    for (const [kernelName, kernelFunc] of Object.entries(impl)) tf.registerKernel({ kernelName, backendName: NATIVE_BACKEND, kernelFunc });
    // tf.train.adam returns an AdamOptimizer whose step is one fused pass on this backend.
    tf.train.adam = (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) => new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon ?? undefined);
    registeredNative = true;
  }
  return [...NATIVE_KERNELS];
}

/** AdamOptimizer's private state, as tfjs 4 names it. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
}

/**
 * `tf.train.adam`'s optimizer (a `tf.AdamOptimizer`: same state, same weights for
 * save/restore, same formula) whose `applyGradients` runs one fused native pass per variable
 * when the `native` backend is active, and tfjs's ten elementwise ops elsewhere.
 * {@link registerNativeBackend} makes `tf.train.adam` return it.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients.map((v) => ({ name: v.name, tensor: v.tensor as tf.Tensor | undefined }))
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] as tf.Tensor | undefined }));
    const engine = tf.engine();
    const backend = engine.backend as unknown as CpuStorage;
    const f32 = (t: TensorInfo) => t.dtype === 'float32' && values(backend, t) instanceof Float32Array;
    const native = tf.getBackend() === NATIVE_BACKEND && list.every(({ name, tensor }) => {
      const v = engine.registeredVariables[name];
      return v !== undefined && (!tensor || (f32(v) && f32(tensor) && tensor.size === v.size));
    });
    if (!native) {
      super.applyGradients(variableGradients);
      return;
    }
    const { addon } = loadNativeAddon();
    const st = this as unknown as AdamState;
    const b1p = st.accBeta1.dataSync()[0]!;
    const b2p = st.accBeta2.dataSync()[0]!;
    const moment = (name: string, suffix: string) => ({ originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(engine.registeredVariables[name]!).variable(false)) });
    list.forEach(({ name, tensor }, i) => {
      st.accumulatedFirstMoment[i] ??= moment(name, 'm');
      st.accumulatedSecondMoment[i] ??= moment(name, 'v');
      if (!tensor) return;
      const variable = engine.registeredVariables[name]!;
      const m = st.accumulatedFirstMoment[i]!.variable;
      const v = st.accumulatedSecondMoment[i]!.variable;
      // Tensors are immutable and may share storage: write fresh copies, then assign them.
      const next = (values(backend, variable) as Float32Array).slice();
      const mNext = (values(backend, m) as Float32Array).slice();
      const vNext = (values(backend, v) as Float32Array).slice();
      addon.adam(next, mNext, vNext, values(backend, tensor) as Float32Array, st.learningRate, st.beta1, st.beta2, st.epsilon, b1p, b2p);
      for (const [target, data] of [[m, mNext], [v, vNext], [variable, next]] as const) {
        const t = tf.tensor(data, target.shape, 'float32');
        target.assign(t);
        t.dispose();
      }
    });
    tf.tidy(() => {
      st.accBeta1.assign(tf.mul(st.accBeta1, st.beta1));
      st.accBeta2.assign(tf.mul(st.accBeta2, st.beta2));
    });
    this.incrementIterations();
  }
}

/**
 * Adam on the native backend: one fused, multi-threaded pass per variable in place of tfjs's
 * ten elementwise ops. Same formula and hyper-parameters as `tf.train.adam`; the moments live
 * in the optimizer. Works with variables on the `native` or `cpu` backend.
 */
export class NativeAdam {
  private readonly moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  private beta1Power: number;
  private beta2Power: number;

  constructor(
    readonly learningRate = 0.001,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    this.beta1Power = beta1;
    this.beta2Power = beta2;
  }

  /** Apply one step: `grads` maps variable names to gradients (as from `tf.variableGrads`). */
  applyGradients(grads: tf.NamedTensorMap): void {
    const { addon } = loadNativeAddon();
    const active = tf.getBackend();
    if (active !== NATIVE_BACKEND && active !== 'cpu') throw new Error(`NativeAdam runs on the native or cpu backend, not '${active}'`);
    const engine = tf.engine();
    const backend = engine.backend as unknown as CpuStorage;
    for (const [name, g] of Object.entries(grads)) {
      const variable = engine.registeredVariables[name];
      if (!variable) throw new Error(`NativeAdam: no variable named '${name}'`);
      if (!variable.trainable) continue;
      const varValues = backend.data.get(variable.dataId).values;
      const gradValues = backend.data.get(g.dataId).values;
      if (!(varValues instanceof Float32Array) || !(gradValues instanceof Float32Array) || gradValues.length !== varValues.length) {
        throw new Error(`NativeAdam: '${name}' and its gradient must be float32 tensors of one size`);
      }
      let mo = this.moments.get(name);
      if (!mo) {
        mo = { m: new Float32Array(varValues.length), v: new Float32Array(varValues.length) };
        this.moments.set(name, mo);
      }
      // Tensors are immutable (a variable may share its buffer with the tensor it was made
      // from), so the step writes a copy that the variable is then assigned.
      const next = varValues.slice();
      addon.adam(next, mo.m, mo.v, gradValues, this.learningRate, this.beta1, this.beta2, this.epsilon, this.beta1Power, this.beta2Power);
      const t = tf.tensor(next, variable.shape, 'float32');
      variable.assign(t);
      t.dispose();
    }
    this.beta1Power *= this.beta1;
    this.beta2Power *= this.beta2;
  }

  /** Free the moment buffers. */
  dispose(): void {
    this.moments.clear();
  }
}
