/**
 * 4-bit NormalFloat (NF4) and FP4 blockwise quantization with double quantization of the block
 * scales, as bitsandbytes defines them (`quantize_4bit` / `dequantize_4bit`, QLoRA):
 *
 * - blocks of 64 consecutive elements of the flattened tensor, each scaled by its absmax;
 * - each normalized value mapped to the nearest of 16 code values (NF4: the published
 *   normal-quantile table; FP4: bitsandbytes' e2m1 table /12), two codes per byte, the first
 *   element in the high nibble;
 * - double quantization (`compress_statistics`): the float32 absmaxes minus their mean are
 *   blockwise-quantized again (blocks of 256) to 8-bit indices into bitsandbytes' signed dynamic
 *   map (`create_dynamic_map`), keeping one float32 absmax per 256 scales plus the mean.
 */
import { InputError } from '@llm/core';

/** NF4 code values, exactly as published in QLoRA / bitsandbytes (index = 4-bit code). */
export const NF4_CODE: readonly number[] = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];

/** bitsandbytes FP4 (sign + 2-bit exponent + 1-bit mantissa) values by 4-bit code, scaled to [-1, 1]. */
export const FP4_CODE: readonly number[] = [0, 0.0625, 8, 12, 4, 6, 2, 3, -0, -0.0625, -8, -12, -4, -6, -2, -3].map((v) => Math.fround(v / 12));

const fr = Math.fround;

/** bitsandbytes' `create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)` in float32, sorted. */
export function createDynamicMap(signed = true, maxExponentBits = 7, totalBits = 8): Float32Array {
  const data: number[] = [];
  const nonSignBits = totalBits - 1;
  const additional = 2 ** (nonSignBits - maxExponentBits) - 1;
  // torch.linspace in float32: start + i*step for the first half, end - (n-1-i)*step after.
  const linspace = (a: number, b: number, n: number): number[] => {
    const step = fr(fr(fr(b) - fr(a)) / (n - 1));
    const half = Math.floor(n / 2);
    return Array.from({ length: n }, (_, i) => (i < half ? fr(fr(a) + fr(step * i)) : fr(fr(b) - fr(step * (n - 1 - i)))));
  };
  const pushMeans = (items: number, e: number) => {
    const b = linspace(0.1, 1, items);
    for (let k = 0; k + 1 < b.length; k++) {
      const m = fr(fr(b[k]! + b[k + 1]!) / 2);
      data.push(fr(fr(10 ** e) * m));
      if (signed) data.push(fr(-fr(10 ** e) * m));
    }
  };
  let i = 0;
  for (i = 0; i < maxExponentBits; i++) {
    const items = signed ? 2 ** (i + nonSignBits - maxExponentBits) + 1 : 2 ** (i + nonSignBits - maxExponentBits + 1) + 1;
    pushMeans(items, -(maxExponentBits - 1) + i);
  }
  if (additional > 0) pushMeans(additional + 1, -(maxExponentBits - 1) + i - 1);
  data.push(0, 1);
  while (data.length < 256) data.push(0);
  data.sort((a, b) => a - b);
  return Float32Array.from(data);
}

let dynamicMap: Float32Array | undefined;

/** Index of the nearest value in a sorted code (ties to the lower index, as bitsandbytes' `>` thresholds do). */
function nearestSorted(code: ArrayLike<number>, v: number): number {
  let lo = 0, hi = code.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (code[mid]! <= v) lo = mid; else hi = mid;
  }
  return Math.abs(v - code[lo]!) <= Math.abs(code[hi]! - v) ? lo : hi;
}

/** Nearest code index for a normalized value: NF4 by midpoints of the sorted table, FP4 by its sign and magnitude. */
function quantize4(v: number, type: 'nf4' | 'fp4'): number {
  if (type === 'nf4') {
    let idx = 0;
    for (let k = 1; k < 16; k++) if (v > fr((NF4_CODE[k - 1]! + NF4_CODE[k]!) / 2)) idx = k;
    return idx;
  }
  const sign = v < 0 ? 8 : 0;
  const a = Math.abs(v);
  // Magnitudes by code 0..7: 0, .0052, .667, 1, .333, .5, .1667, .25 — thresholds at their midpoints.
  let c: number;
  if (a > 0.29166667) c = a > 0.583333 ? (a > 0.8333333 ? 3 : 2) : a > 0.4166667 ? 5 : 4;
  else c = a > 0.0859375 ? (a > 0.20833333 ? 7 : 6) : a > 0.00260417 ? 1 : 0;
  return c | sign;
}

/** Double-quantized block scales. */
export interface NestedAbsmax {
  /** 8-bit indices into {@link createDynamicMap}, one per 4-bit block. */
  q: Uint8Array;
  /** One float32 absmax per `blockSize2` scales. */
  absmax2: Float32Array;
  /** Mean of the original absmaxes (subtracted before quantizing). */
  offset: number;
  blockSize2: number;
}

/** A 4-bit quantized tensor (bitsandbytes `Params4bit` layout). */
export interface FourBitTensor {
  type: 'nf4' | 'fp4';
  shape: number[];
  blockSize: number;
  /** Two codes per byte, first element in the high nibble. */
  packed: Uint8Array;
  /** Per-block float32 absmax (when not double-quantized). */
  absmax?: Float32Array;
  /** Double-quantized absmax (when `doubleQuant`). */
  nested?: NestedAbsmax;
}

/** Options for {@link quantize4bit}. */
export interface FourBitOptions {
  type: 'nf4' | 'fp4';
  /** Default 64 (QLoRA). */
  blockSize?: number;
  /** Double quantization of the scales (bitsandbytes `compress_statistics`). Default true. */
  doubleQuant?: boolean;
}

/** bitsandbytes `quantize_blockwise` with the dynamic map: 8-bit codes and one absmax per block. */
export function quantizeBlockwise8(x: Float32Array, blockSize = 256): { q: Uint8Array; absmax: Float32Array } {
  dynamicMap ??= createDynamicMap();
  const nb = Math.ceil(x.length / blockSize);
  const q = new Uint8Array(x.length), absmax = new Float32Array(nb);
  for (let b = 0; b < nb; b++) {
    const end = Math.min(x.length, (b + 1) * blockSize);
    let a = 0;
    for (let i = b * blockSize; i < end; i++) a = Math.max(a, Math.abs(x[i]!));
    absmax[b] = a;
    const inv = a ? fr(1 / a) : 0;
    for (let i = b * blockSize; i < end; i++) q[i] = nearestSorted(dynamicMap, fr(x[i]! * inv));
  }
  return { q, absmax };
}

/** Inverse of {@link quantizeBlockwise8}. */
export function dequantizeBlockwise8(q: Uint8Array, absmax: Float32Array, blockSize = 256): Float32Array {
  dynamicMap ??= createDynamicMap();
  const y = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) y[i] = fr(dynamicMap[q[i]!]! * absmax[Math.floor(i / blockSize)]!);
  return y;
}

/** Quantize `x` (any shape, flattened) to NF4/FP4 blocks. */
export function quantize4bit(x: Float32Array, shape: number[], options: FourBitOptions): FourBitTensor {
  const bs = options.blockSize ?? 64;
  if (![32, 64, 128, 256, 512, 1024, 2048, 4096].includes(bs)) throw new InputError(`block size ${bs} is not one bitsandbytes supports (32..4096, powers of two)`, { field: 'blockSize' });
  const n = x.length;
  if (shape.reduce((a, b) => a * b, 1) !== n) throw new InputError(`shape [${shape.join(', ')}] does not match ${n} elements`, { field: 'shape' });
  const nb = Math.ceil(n / bs);
  const absmax = new Float32Array(nb);
  const packed = new Uint8Array(Math.ceil(n / 2));
  for (let b = 0; b < nb; b++) {
    const end = Math.min(n, (b + 1) * bs);
    let a = 0;
    for (let i = b * bs; i < end; i++) a = Math.max(a, Math.abs(x[i]!));
    absmax[b] = a;
    const inv = a ? fr(1 / a) : 0;
    for (let i = b * bs; i < end; i++) {
      const c = quantize4(fr(x[i]! * inv), options.type);
      packed[i >> 1] |= i & 1 ? c : c << 4;
    }
  }
  const t: FourBitTensor = { type: options.type, shape: [...shape], blockSize: bs, packed };
  if (options.doubleQuant ?? true) {
    let mean = 0;
    for (const a of absmax) mean += a;
    const offset = fr(mean / nb);
    const centered = absmax.map((a) => fr(a - offset));
    const { q, absmax: absmax2 } = quantizeBlockwise8(centered, 256);
    t.nested = { q, absmax2, offset, blockSize2: 256 };
  } else {
    t.absmax = absmax;
  }
  return t;
}

/** Per-block scales of a 4-bit tensor (decoding the double quantization if present). */
export function blockScales(t: FourBitTensor): Float32Array {
  if (t.absmax) return t.absmax;
  const nest = t.nested!;
  return dequantizeBlockwise8(nest.q, nest.absmax2, nest.blockSize2).map((v) => fr(v + nest.offset));
}

/** Decode a {@link FourBitTensor} to float32 (bitsandbytes `dequantize_4bit`). */
export function dequantize4bit(t: FourBitTensor): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const scales = blockScales(t);
  const code = t.type === 'nf4' ? NF4_CODE : FP4_CODE;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const byte = t.packed[i >> 1]!;
    const c = i & 1 ? byte & 15 : byte >> 4;
    y[i] = fr(code[c]! * scales[Math.floor(i / t.blockSize)]!);
  }
  return y;
}

/** Bytes of the 4-bit form: packed codes plus scales (8-bit + float32 per 256 with double quantization). */
export function fourBitStorageBytes(t: FourBitTensor): number {
  if (t.absmax) return t.packed.length + t.absmax.length * 4;
  return t.packed.length + t.nested!.q.length + t.nested!.absmax2.length * 4 + 4;
}
