/**
 * Element types of the tensor file formats and conversions between raw little-endian bytes
 * and JavaScript typed arrays, including IEEE half (F16) and bfloat16 (BF16).
 */

/** safetensors dtype names. */
export type SafeDType =
  | 'BOOL' | 'U8' | 'I8' | 'U16' | 'I16' | 'F16' | 'BF16' | 'U32' | 'I32' | 'F32' | 'F64' | 'U64' | 'I64' | 'F8_E4M3' | 'F8_E5M2';

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<SafeDType, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, U16: 2, I16: 2, F16: 2, BF16: 2, U32: 4, I32: 4, F32: 4, F64: 8, U64: 8, I64: 8,
};

/** Typed array holding a tensor's elements (F16/BF16 and FP8 are kept as raw bits). */
export type TensorArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export function isSafeDType(s: string): s is SafeDType {
  return Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

/** View (or, when unaligned, copy) little-endian bytes as the dtype's typed array. */
export function bytesToArray(dtype: SafeDType, bytes: Uint8Array): TensorArray {
  const size = DTYPE_SIZE[dtype];
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = aligned;
  const n = aligned.byteLength / size;
  switch (dtype) {
    case 'F32': return new Float32Array(buffer, byteOffset, n);
    case 'F64': return new Float64Array(buffer, byteOffset, n);
    case 'I8': return new Int8Array(buffer, byteOffset, n);
    case 'U8': case 'BOOL': case 'F8_E4M3': case 'F8_E5M2': return new Uint8Array(buffer, byteOffset, n);
    case 'I16': return new Int16Array(buffer, byteOffset, n);
    case 'U16': case 'F16': case 'BF16': return new Uint16Array(buffer, byteOffset, n);
    case 'I32': return new Int32Array(buffer, byteOffset, n);
    case 'U32': return new Uint32Array(buffer, byteOffset, n);
    case 'I64': return new BigInt64Array(buffer, byteOffset, n);
    case 'U64': return new BigUint64Array(buffer, byteOffset, n);
  }
}

/** The raw bytes of a typed array (a view, no copy). */
export function arrayToBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half bits → float. */
export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** float → IEEE 754 half bits, round to nearest even (as numpy and torch do). */
export function f32ToF16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) {
    r++;
    if (r === 0x400) { r = 0; e++; if (e >= 31) return sign | 0x7c00; }
  }
  return sign | (e << 10) | r;
}

/** bfloat16 bits → float. */
export function bf16ToF32(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

/** float → bfloat16 bits, round to nearest even (NaN stays NaN). */
export function f32ToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) return ((x >>> 16) | 0x40) & 0xffff;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** Any numeric dtype's elements as float32 (I64/U64 via Number, exact below 2^24). */
export function toFloat32(dtype: SafeDType, data: TensorArray): Float32Array {
  if (dtype === 'F32') return data as Float32Array;
  const n = data.length;
  const out = new Float32Array(n);
  if (dtype === 'F16') { const d = data as Uint16Array; for (let i = 0; i < n; i++) out[i] = f16ToF32(d[i]!); return out; }
  if (dtype === 'BF16') { const d = data as Uint16Array; const o = new Uint32Array(out.buffer); for (let i = 0; i < n; i++) o[i] = d[i]! << 16; return out; }
  if (dtype === 'F8_E4M3' || dtype === 'F8_E5M2') throw new RangeError(`toFloat32: ${dtype} is not supported`);
  for (let i = 0; i < n; i++) out[i] = Number(data[i]!);
  return out;
}

/** Float32 values encoded in `dtype` (F32, F16, BF16, F64). */
export function fromFloat32(dtype: 'F32' | 'F16' | 'BF16' | 'F64', values: Float32Array): TensorArray {
  if (dtype === 'F32') return values;
  if (dtype === 'F64') return Float64Array.from(values);
  const out = new Uint16Array(values.length);
  const conv = dtype === 'F16' ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < values.length; i++) out[i] = conv(values[i]!);
  return out;
}
