/**
 * 8-bit linear quantization of a 2-D tensor `[rows, cols]` (row-major; for a weight, rows are
 * output channels): symmetric absmax (int8, zero maps to zero) and asymmetric zero-point (uint8,
 * min..max mapped onto 0..255), per tensor, per channel (row) or per contiguous block.
 */
import { InputError } from '@llm/core';

/** Which elements share one scale. */
export type Granularity = 'tensor' | 'channel' | 'block';

/** Options for {@link quantizeInt8}. */
export interface Int8Options {
  /** `absmax` (symmetric, int8 in [-127, 127]) or `zeropoint` (asymmetric, uint8 in [0, 255]). */
  scheme: 'absmax' | 'zeropoint';
  granularity: Granularity;
  /** Elements per block for `block` granularity (over the flattened tensor). Default 64. */
  blockSize?: number;
}

/** An 8-bit quantized tensor. */
export interface Int8Tensor {
  scheme: 'absmax' | 'zeropoint';
  granularity: Granularity;
  shape: [number, number];
  /** Elements sharing one scale. */
  groupSize: number;
  /** Codes: Int8Array for absmax, Uint8Array for zeropoint. */
  q: Int8Array | Uint8Array;
  /** One scale per group (value = (q − zero) · scale). */
  scales: Float32Array;
  /** One zero point per group (zeropoint scheme only). */
  zeros?: Uint8Array;
}

function groupSizeFor(shape: [number, number], g: Granularity, blockSize: number): number {
  const n = shape[0] * shape[1];
  if (g === 'tensor') return n;
  if (g === 'channel') return shape[1];
  if (!Number.isInteger(blockSize) || blockSize < 1 || n % blockSize !== 0) throw new InputError(`block size ${blockSize} must divide the ${n} elements`, { field: 'blockSize' });
  return blockSize;
}

/** Quantize `x` of `shape` to 8 bits. */
export function quantizeInt8(x: Float32Array, shape: [number, number], options: Int8Options): Int8Tensor {
  if (shape[0] * shape[1] !== x.length) throw new InputError(`shape [${shape.join(', ')}] does not match ${x.length} elements`, { field: 'shape' });
  const gs = groupSizeFor(shape, options.granularity, options.blockSize ?? 64);
  const groups = x.length / gs;
  const scales = new Float32Array(groups);
  if (options.scheme === 'absmax') {
    const q = new Int8Array(x.length);
    for (let g = 0; g < groups; g++) {
      let amax = 0;
      for (let i = g * gs; i < (g + 1) * gs; i++) amax = Math.max(amax, Math.abs(x[i]!));
      const s = amax / 127;
      scales[g] = s;
      const inv = s ? 1 / s : 0;
      for (let i = g * gs; i < (g + 1) * gs; i++) q[i] = Math.max(-127, Math.min(127, Math.round(x[i]! * inv)));
    }
    return { scheme: 'absmax', granularity: options.granularity, shape, groupSize: gs, q, scales };
  }
  const q = new Uint8Array(x.length);
  const zeros = new Uint8Array(groups);
  for (let g = 0; g < groups; g++) {
    let mn = Infinity, mx = -Infinity;
    for (let i = g * gs; i < (g + 1) * gs; i++) { mn = Math.min(mn, x[i]!); mx = Math.max(mx, x[i]!); }
    mn = Math.min(mn, 0); // keep 0 exactly representable (padding, ReLU zeros)
    mx = Math.max(mx, 0);
    const s = (mx - mn) / 255;
    scales[g] = s;
    const z = s ? Math.max(0, Math.min(255, Math.round(-mn / s))) : 0;
    zeros[g] = z;
    const inv = s ? 1 / s : 0;
    for (let i = g * gs; i < (g + 1) * gs; i++) q[i] = Math.max(0, Math.min(255, Math.round(x[i]! * inv) + z));
  }
  return { scheme: 'zeropoint', granularity: options.granularity, shape, groupSize: gs, q, scales, zeros };
}

/** Decode an {@link Int8Tensor} to float32. */
export function dequantizeInt8(t: Int8Tensor): Float32Array {
  const y = new Float32Array(t.q.length);
  for (let i = 0; i < y.length; i++) {
    const g = Math.floor(i / t.groupSize);
    y[i] = (t.q[i]! - (t.zeros ? t.zeros[g]! : 0)) * t.scales[g]!;
  }
  return y;
}

/** Bytes of codes plus float32 scales (and zero points). */
export function int8StorageBytes(t: Int8Tensor): number {
  return t.q.length + t.scales.length * 4 + (t.zeros?.length ?? 0);
}
