/**
 * ggml block quantization, written from the definitions of llama.cpp's reference
 * (`quantize_row_*_ref` / `dequantize_row_*` in ggml/src/ggml-quants.c). Every float operation is
 * rounded to float32 (`Math.fround`) in the order C evaluates it, so the bytes are identical to
 * llama.cpp's reference quantizers (checked against the `libggml-base.so` that node-llama-cpp ships,
 * see tools/golden/quant/ggml_ref.py).
 */
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, InputError } from '@llm/core';
import { ggmlByteSize, ggmlTypeByName, type GGMLTypeName } from './types.js';

const fr = Math.fround;
const QK_K = 256;
const GROUP_MAX_EPS = fr(1e-15);

/** Types this module can quantize and dequantize. */
export const GGML_QUANT_TYPES = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'] as const;
/** A type this module can quantize and dequantize. */
export type GGMLQuantType = (typeof GGML_QUANT_TYPES)[number];

/** Whether `name` is one of {@link GGML_QUANT_TYPES}. */
export function isGGMLQuantType(name: string): name is GGMLQuantType {
  return (GGML_QUANT_TYPES as readonly string[]).includes(name);
}

/** C `nearest_int`: round to nearest, ties to even, through the float32 magic-number add. */
function nearestInt(v: number): number {
  return fr(v + 12582912) - 12582912;
}
/** C `roundf`: half away from zero. */
function roundf(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}
/** Truncation toward zero then `(int8_t)` wrap. */
function toInt8(v: number): number {
  return (Math.trunc(v) << 24) >> 24;
}
function toUint8(v: number): number {
  return Math.trunc(v) & 0xff;
}
function h(v: number): number {
  return f32ToF16(fr(v));
}

function checkLength(type: GGMLQuantType, n: number): void {
  const bs = ggmlTypeByName(type).blockSize;
  if (n % bs !== 0) throw new InputError(`${type}: ${n} elements is not a multiple of the block size ${bs}`);
}

/** Bytes that `n` elements take in `type`. */
export function quantizedSize(type: GGMLQuantType, n: number): number {
  checkLength(type, n);
  return ggmlByteSize(ggmlTypeByName(type), n);
}

/**
 * Quantize `x` (row-major, length a multiple of the block size) into `type` blocks, exactly as
 * llama.cpp's reference quantizer does (no importance matrix).
 */
export function quantizeGGML(type: GGMLQuantType, x: Float32Array): Uint8Array {
  const n = x.length;
  const out = new Uint8Array(quantizedSize(type, n));
  const dv = new DataView(out.buffer);
  switch (type) {
    case 'F32': out.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)); break;
    case 'F16': for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToF16(x[i]!), true); break;
    case 'BF16': for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32ToBf16(x[i]!), true); break;
    case 'Q8_0': quantQ8_0(x, out, dv); break;
    case 'Q4_0': quantQ4_0(x, out, dv); break;
    case 'Q4_1': quantQ4_1(x, out, dv); break;
    case 'Q5_0': quantQ5_0(x, out, dv); break;
    case 'Q5_1': quantQ5_1(x, out, dv); break;
    case 'Q2_K': quantQ2K(x, out, dv); break;
    case 'Q3_K': quantQ3K(x, out, dv); break;
    case 'Q4_K': quantQ45K(x, out, dv, false); break;
    case 'Q5_K': quantQ45K(x, out, dv, true); break;
    case 'Q6_K': quantQ6K(x, out, dv); break;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
let F16_TABLE: Float32Array | undefined;
/** Every half-precision bit pattern decoded once (64K entries, 256 KB). */
function f16Table(): Float32Array {
  if (!F16_TABLE) {
    F16_TABLE = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) F16_TABLE[i] = f16ToF32(i);
  }
  return F16_TABLE;
}

/** Decode `n` elements of `type` blocks to float32, as llama.cpp's `dequantize_row_*` does. */
export function dequantizeGGML(type: GGMLQuantType, data: Uint8Array, n: number): Float32Array {
  const need = quantizedSize(type, n);
  if (data.byteLength < need) throw new InputError(`${type}: ${n} elements need ${need} bytes, got ${data.byteLength}`);
  const y = new Float32Array(n);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (type) {
    case 'F32':
      if (LITTLE_ENDIAN) y.set(new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + 4 * n)));
      else for (let i = 0; i < n; i++) y[i] = dv.getFloat32(4 * i, true);
      break;
    case 'F16': {
      const t = f16Table();
      for (let i = 0; i < n; i++) y[i] = t[dv.getUint16(2 * i, true)]!;
      break;
    }
    case 'BF16': for (let i = 0; i < n; i++) y[i] = bf16ToF32(dv.getUint16(2 * i, true)); break;
    case 'Q8_0':
      for (let i = 0, o = 0; i < n / 32; i++, o += 34) {
        const d = f16ToF32(dv.getUint16(o, true));
        for (let j = 0; j < 32; j++) y[i * 32 + j] = fr(dv.getInt8(o + 2 + j) * d);
      }
      break;
    case 'Q4_0':
      for (let i = 0, o = 0; i < n / 32; i++, o += 18) {
        const d = f16ToF32(dv.getUint16(o, true));
        for (let j = 0; j < 16; j++) {
          const q = data[o + 2 + j]!;
          y[i * 32 + j] = fr(((q & 15) - 8) * d);
          y[i * 32 + j + 16] = fr(((q >> 4) - 8) * d);
        }
      }
      break;
    case 'Q4_1':
      for (let i = 0, o = 0; i < n / 32; i++, o += 20) {
        const d = f16ToF32(dv.getUint16(o, true));
        const m = f16ToF32(dv.getUint16(o + 2, true));
        for (let j = 0; j < 16; j++) {
          const q = data[o + 4 + j]!;
          y[i * 32 + j] = fr(fr((q & 15) * d) + m);
          y[i * 32 + j + 16] = fr(fr((q >> 4) * d) + m);
        }
      }
      break;
    case 'Q5_0':
    case 'Q5_1': {
      const one = type === 'Q5_1';
      const bs = one ? 24 : 22;
      for (let i = 0, o = 0; i < n / 32; i++, o += bs) {
        const d = f16ToF32(dv.getUint16(o, true));
        const m = one ? f16ToF32(dv.getUint16(o + 2, true)) : 0;
        const qh = dv.getUint32(o + (one ? 4 : 2), true);
        const qs = o + (one ? 8 : 6);
        for (let j = 0; j < 16; j++) {
          const xh0 = ((qh >>> j) << 4) & 0x10;
          const xh1 = (qh >>> (j + 12)) & 0x10;
          const q = data[qs + j]!;
          const x0 = ((q & 15) | xh0) - (one ? 0 : 16);
          const x1 = ((q >> 4) | xh1) - (one ? 0 : 16);
          y[i * 32 + j] = one ? fr(fr(x0 * d) + m) : fr(x0 * d);
          y[i * 32 + j + 16] = one ? fr(fr(x1 * d) + m) : fr(x1 * d);
        }
      }
      break;
    }
    case 'Q2_K':
      for (let i = 0, o = 0; i < n / QK_K; i++, o += 84) {
        const d = f16ToF32(dv.getUint16(o + 80, true));
        const min = f16ToF32(dv.getUint16(o + 82, true));
        let q = o + 16, is = 0, yi = i * QK_K;
        for (let nn = 0; nn < QK_K; nn += 128) {
          let shift = 0;
          for (let j = 0; j < 4; j++) {
            let sc = data[o + is++]!;
            let dl = fr(d * (sc & 0xf)), ml = fr(min * (sc >> 4));
            for (let l = 0; l < 16; l++) y[yi++] = fr(fr(dl * ((data[q + l]! >> shift) & 3)) - ml);
            sc = data[o + is++]!;
            dl = fr(d * (sc & 0xf)); ml = fr(min * (sc >> 4));
            for (let l = 0; l < 16; l++) y[yi++] = fr(fr(dl * ((data[q + l + 16]! >> shift) & 3)) - ml);
            shift += 2;
          }
          q += 32;
        }
      }
      break;
    case 'Q3_K':
      for (let i = 0, o = 0; i < n / QK_K; i++, o += 110) {
        const dAll = f16ToF32(dv.getUint16(o + 108, true));
        const hm = o, sc = data.subarray(o + 96, o + 108);
        let q = o + 32, is = 0, yi = i * QK_K, m = 1;
        for (let nn = 0; nn < QK_K; nn += 128) {
          let shift = 0;
          for (let j = 0; j < 4; j++) {
            let dl = fr(dAll * (q3Scale(sc, is++) - 32));
            for (let l = 0; l < 16; l++) y[yi++] = fr(dl * (((data[q + l]! >> shift) & 3) - (data[hm + l]! & m ? 0 : 4)));
            dl = fr(dAll * (q3Scale(sc, is++) - 32));
            for (let l = 0; l < 16; l++) y[yi++] = fr(dl * (((data[q + l + 16]! >> shift) & 3) - (data[hm + l + 16]! & m ? 0 : 4)));
            shift += 2;
            m <<= 1;
          }
          q += 32;
        }
      }
      break;
    case 'Q4_K':
    case 'Q5_K': {
      const five = type === 'Q5_K';
      const bs = five ? 176 : 144;
      const sm = [0, 0];
      for (let i = 0, o = 0; i < n / QK_K; i++, o += bs) {
        const d = f16ToF32(dv.getUint16(o, true));
        const min = f16ToF32(dv.getUint16(o + 2, true));
        const sc = data.subarray(o + 4, o + 16);
        const qh = o + 16;
        let ql = o + 16 + (five ? 32 : 0);
        let yi = i * QK_K;
        let u1 = 1, u2 = 2;
        for (let j = 0, is = 0; j < QK_K; j += 64, is += 2) {
          scaleMinK4(is, sc, sm);
          const d1 = fr(d * sm[0]!), m1 = fr(min * sm[1]!);
          scaleMinK4(is + 1, sc, sm);
          const d2 = fr(d * sm[0]!), m2 = fr(min * sm[1]!);
          for (let l = 0; l < 32; l++) y[yi++] = fr(fr(d1 * ((data[ql + l]! & 15) + (five && data[qh + l]! & u1 ? 16 : 0))) - m1);
          for (let l = 0; l < 32; l++) y[yi++] = fr(fr(d2 * ((data[ql + l]! >> 4) + (five && data[qh + l]! & u2 ? 16 : 0))) - m2);
          ql += 32;
          u1 <<= 2; u2 <<= 2;
        }
      }
      break;
    }
    case 'Q6_K':
      for (let i = 0, o = 0; i < n / QK_K; i++, o += 210) {
        const d = f16ToF32(dv.getUint16(o + 208, true));
        let ql = o, qh = o + 128, sc = o + 192;
        let yi = i * QK_K;
        for (let nn = 0; nn < QK_K; nn += 128) {
          for (let l = 0; l < 32; l++) {
            const is = l >> 4;
            const q1 = ((data[ql + l]! & 15) | (((data[qh + l]! >> 0) & 3) << 4)) - 32;
            const q2 = ((data[ql + l + 32]! & 15) | (((data[qh + l]! >> 2) & 3) << 4)) - 32;
            const q3 = ((data[ql + l]! >> 4) | (((data[qh + l]! >> 4) & 3) << 4)) - 32;
            const q4 = ((data[ql + l + 32]! >> 4) | (((data[qh + l]! >> 6) & 3) << 4)) - 32;
            y[yi + l] = fr(fr(d * dv.getInt8(sc + is)) * q1);
            y[yi + l + 32] = fr(fr(d * dv.getInt8(sc + is + 2)) * q2);
            y[yi + l + 64] = fr(fr(d * dv.getInt8(sc + is + 4)) * q3);
            y[yi + l + 96] = fr(fr(d * dv.getInt8(sc + is + 6)) * q4);
          }
          yi += 128; ql += 64; qh += 32; sc += 8;
        }
      }
      break;
  }
  return y;
}

function quantQ8_0(x: Float32Array, out: Uint8Array, dv: DataView): void {
  const qs = new Int8Array(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0, o = 0; i < x.length / 32; i++, o += 34) {
    const b = i * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) { const a = Math.abs(x[b + j]!); if (a > amax) amax = a; }
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    dv.setUint16(o, h(d), true);
    for (let j = 0; j < 32; j++) qs[o + 2 + j] = roundf(fr(x[b + j]! * id));
  }
}

function signedAbsMax(x: Float32Array, start: number, len: number): number {
  let amax = 0, max = 0;
  for (let j = 0; j < len; j++) {
    const v = x[start + j]!;
    if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
  }
  return max;
}

function quantQ4_0(x: Float32Array, out: Uint8Array, dv: DataView): void {
  for (let i = 0, o = 0; i < x.length / 32; i++, o += 18) {
    const max = signedAbsMax(x, i * 32, 32);
    const d = fr(max / -8);
    const id = d ? fr(1 / d) : 0;
    dv.setUint16(o, h(d), true);
    for (let j = 0; j < 16; j++) {
      const x0 = fr(x[i * 32 + j]! * id), x1 = fr(x[i * 32 + 16 + j]! * id);
      const xi0 = Math.min(15, toInt8(fr(x0 + 8.5)));
      const xi1 = Math.min(15, toInt8(fr(x1 + 8.5)));
      out[o + 2 + j] = (xi0 & 0xff) | ((xi1 << 4) & 0xff);
    }
  }
}

function minMax(x: Float32Array, start: number, len: number): [number, number] {
  let min = Infinity, max = -Infinity;
  for (let j = 0; j < len; j++) { const v = x[start + j]!; if (v < min) min = v; if (v > max) max = v; }
  return [min, max];
}

function quantQ4_1(x: Float32Array, out: Uint8Array, dv: DataView): void {
  for (let i = 0, o = 0; i < x.length / 32; i++, o += 20) {
    const [min, max] = minMax(x, i * 32, 32);
    const d = fr(fr(max - min) / 15);
    const id = d ? fr(1 / d) : 0;
    dv.setUint16(o, h(d), true);
    dv.setUint16(o + 2, h(min), true);
    for (let j = 0; j < 16; j++) {
      const x0 = fr(fr(x[i * 32 + j]! - min) * id), x1 = fr(fr(x[i * 32 + 16 + j]! - min) * id);
      const xi0 = Math.min(15, toInt8(fr(x0 + 0.5)));
      const xi1 = Math.min(15, toInt8(fr(x1 + 0.5)));
      out[o + 4 + j] = (xi0 & 0xff) | ((xi1 << 4) & 0xff);
    }
  }
}

function quantQ5_0(x: Float32Array, out: Uint8Array, dv: DataView): void {
  for (let i = 0, o = 0; i < x.length / 32; i++, o += 22) {
    const max = signedAbsMax(x, i * 32, 32);
    const d = fr(max / -16);
    const id = d ? fr(1 / d) : 0;
    dv.setUint16(o, h(d), true);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fr(x[i * 32 + j]! * id), x1 = fr(x[i * 32 + 16 + j]! * id);
      const xi0 = Math.min(31, toInt8(fr(x0 + 16.5))) & 0xff;
      const xi1 = Math.min(31, toInt8(fr(x1 + 16.5))) & 0xff;
      out[o + 6 + j] = (xi0 & 15) | ((xi1 & 15) << 4);
      qh |= ((xi0 & 0x10) >> 4) << j;
      qh |= ((xi1 & 0x10) >> 4) << (j + 16);
    }
    dv.setUint32(o + 2, qh >>> 0, true);
  }
}

function quantQ5_1(x: Float32Array, out: Uint8Array, dv: DataView): void {
  for (let i = 0, o = 0; i < x.length / 32; i++, o += 24) {
    const [min, max] = minMax(x, i * 32, 32);
    const d = fr(fr(max - min) / 31);
    const id = d ? fr(1 / d) : 0;
    dv.setUint16(o, h(d), true);
    dv.setUint16(o + 2, h(min), true);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = fr(fr(x[i * 32 + j]! - min) * id), x1 = fr(fr(x[i * 32 + 16 + j]! - min) * id);
      const xi0 = toUint8(fr(x0 + 0.5)), xi1 = toUint8(fr(x1 + 0.5));
      out[o + 8 + j] = (xi0 & 15) | ((xi1 & 15) << 4);
      qh |= ((xi0 & 0x10) >> 4) << j;
      qh |= ((xi1 & 0x10) >> 4) << (j + 16);
    }
    dv.setUint32(o + 4, qh >>> 0, true);
  }
}

function scaleMinK4(j: number, q: Uint8Array, out: number[]): void {
  if (j < 4) { out[0] = q[j]! & 63; out[1] = q[j + 4]! & 63; }
  else {
    out[0] = (q[j + 4]! & 0xf) | ((q[j - 4]! >> 6) << 4);
    out[1] = (q[j + 4]! >> 4) | ((q[j]! >> 6) << 4);
  }
}

/** Scratch for {@link makeQkx2Quants} (sub-blocks are at most 32 elements). */
const XM = new Float32Array(32);

/** `make_qkx2_quants`: returns the scale, writes levels to L and `-min` to minOut[0]. */
function makeQkx2Quants(n: number, nmax: number, x: Float32Array, xo: number, weights: Float32Array, L: Uint8Array, lo: number, minOut: number[], Laux: Uint8Array, rmin: number, rdelta: number, nstep: number, useMad = false): number {
  let min = x[xo]!, max = x[xo]!;
  let sumW = weights[0]!;
  let sumX = fr(sumW * x[xo]!);
  for (let i = 1; i < n; i++) {
    const xi = x[xo + i]!;
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = weights[i]!;
    sumW = fr(sumW + w);
    sumX = fr(sumX + fr(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    minOut[0] = -min;
    return 0;
  }
  let iscale = fr(nmax / fr(max - min));
  let scale = fr(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = nearestInt(fr(iscale * fr(x[xo + i]! - min)));
    L[lo + i] = Math.max(0, Math.min(nmax, l));
    let diff = fr(fr(fr(scale * L[lo + i]!) + min) - x[xo + i]!);
    diff = useMad ? Math.abs(diff) : fr(diff * diff);
    bestError = fr(bestError + fr(weights[i]! * diff));
  }
  if (nstep < 1) { minOut[0] = -min; return scale; }
  // x − min in float32, recomputed only when a better min is found (C evaluates iscale*(x[i] - min)).
  const xm = XM;
  for (let i = 0; i < n; i++) xm[i] = x[xo + i]! - min;
  let range = fr(max - min);
  for (let is = 0; is <= nstep; is++) {
    iscale = fr(fr(fr(rmin + fr(rdelta * is)) + nmax) / range);
    let sumL = 0, sumL2 = 0, sumXL = 0;
    for (let i = 0; i < n; i++) {
      let l = nearestInt(fr(iscale * xm[i]!));
      l = l < 0 ? 0 : l > nmax ? nmax : l;
      Laux[i] = l;
      const wl = fr(weights[i]! * l);
      sumL = fr(sumL + wl);
      sumL2 = fr(sumL2 + fr(wl * l));
      sumXL = fr(sumXL + fr(wl * x[xo + i]!));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (D > 0) {
      let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
      let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
      if (thisMin > 0) { thisMin = 0; thisScale = fr(sumXL / sumL2); }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        let diff = fr(fr(fr(thisScale * Laux[i]!) + thisMin) - x[xo + i]!);
        diff = useMad ? Math.abs(diff) : fr(diff * diff);
        curError = fr(curError + fr(weights[i]! * diff));
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lo + i] = Laux[i]!;
        bestError = curError;
        scale = thisScale;
        min = thisMin;
        for (let i = 0; i < n; i++) xm[i] = x[xo + i]! - min;
        range = fr(max - min);
      }
    }
  }
  minOut[0] = -min;
  return scale;
}

function quantQ45K(x: Float32Array, out: Uint8Array, dv: DataView, five: boolean): void {
  const nmax = five ? 31 : 15;
  const bs = five ? 176 : 144;
  const L = new Uint8Array(QK_K);
  const Laux = new Uint8Array(32);
  const weights = new Float32Array(32);
  const mins = new Float32Array(8);
  const scales = new Float32Array(8);
  const minOut = [0];
  const sm = [0, 0];
  for (let i = 0, o = 0; i < x.length / QK_K; i++, o += bs) {
    const xb = i * QK_K;
    let maxScale = 0, maxMin = 0;
    for (let j = 0; j < 8; j++) {
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) { const v = x[xb + 32 * j + l]!; sumX2 = fr(sumX2 + fr(v * v)); }
      const avX = fr(Math.sqrt(fr(sumX2 / 32)));
      for (let l = 0; l < 32; l++) weights[l] = fr(avX + Math.abs(x[xb + 32 * j + l]!));
      scales[j] = makeQkx2Quants(32, nmax, x, xb + 32 * j, weights, L, 32 * j, minOut, Laux, five ? -0.5 : -1, fr(0.1), five ? 15 : 20);
      mins[j] = minOut[0]!;
      if (scales[j]! > maxScale) maxScale = scales[j]!;
      if (mins[j]! > maxMin) maxMin = mins[j]!;
    }
    const invScale = maxScale > 0 ? fr(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
    const sc = out.subarray(o + 4, o + 16);
    for (let j = 0; j < 8; j++) {
      let ls = nearestInt(fr(invScale * scales[j]!)) & 0xff;
      let lm = nearestInt(fr(invMin * mins[j]!)) & 0xff;
      ls = Math.min(63, ls);
      lm = Math.min(63, lm);
      if (j < 4) { sc[j] = ls; sc[j + 4] = lm; }
      else {
        sc[j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
        sc[j - 4] |= (ls >> 4) << 6;
        sc[j] |= (lm >> 4) << 6;
      }
    }
    dv.setUint16(o, h(fr(maxScale / 63)), true);
    dv.setUint16(o + 2, h(fr(maxMin / 63)), true);
    const dd = f16ToF32(dv.getUint16(o, true));
    const dmin = f16ToF32(dv.getUint16(o + 2, true));
    for (let j = 0; j < 8; j++) {
      scaleMinK4(j, sc, sm);
      const d = fr(dd * sm[0]!);
      if (!d) continue;
      const dm = fr(dmin * sm[1]!);
      for (let ii = 0; ii < 32; ii++) {
        let l = nearestInt(fr(fr(x[xb + 32 * j + ii]! + dm) / d));
        l = Math.max(0, Math.min(nmax, l));
        L[32 * j + ii] = l;
      }
    }
    if (five) {
      const qh = o + 16;
      let ql = o + 48;
      let m1 = 1, m2 = 2;
      for (let nn = 0; nn < QK_K; nn += 64) {
        for (let j = 0; j < 32; j++) {
          let l1 = L[nn + j]!;
          if (l1 > 15) { l1 -= 16; out[qh + j] |= m1; }
          let l2 = L[nn + j + 32]!;
          if (l2 > 15) { l2 -= 16; out[qh + j] |= m2; }
          out[ql + j] = l1 | (l2 << 4);
        }
        m1 <<= 2; m2 <<= 2;
        ql += 32;
      }
    } else {
      let q = o + 16;
      for (let j = 0; j < QK_K; j += 64) {
        for (let l = 0; l < 32; l++) out[q + l] = L[j + l]! | (L[j + l + 32]! << 4);
        q += 32;
      }
    }
  }
}

/** Q3_K's 6-bit scale `j` (0..15) from its 12 packed bytes. */
function q3Scale(sc: Uint8Array, j: number): number {
  const lo = j < 8 ? sc[j]! & 0xf : sc[j - 8]! >> 4;
  return lo | (((sc[8 + (j % 4)]! >> (2 * Math.floor(j / 4))) & 3) << 4);
}

function quantQ2K(x: Float32Array, out: Uint8Array, dv: DataView): void {
  const L = new Uint8Array(QK_K), Laux = new Uint8Array(16), weights = new Float32Array(16);
  const mins = new Float32Array(16), scales = new Float32Array(16);
  const minOut = [0];
  const q4scale = 15;
  for (let i = 0, o = 0; i < x.length / QK_K; i++, o += 84) {
    const xb = i * QK_K;
    let maxScale = 0, maxMin = 0;
    for (let j = 0; j < 16; j++) {
      for (let l = 0; l < 16; l++) weights[l] = Math.abs(x[xb + 16 * j + l]!);
      scales[j] = makeQkx2Quants(16, 3, x, xb + 16 * j, weights, L, 16 * j, minOut, Laux, -0.5, fr(0.1), 15, true);
      mins[j] = minOut[0]!;
      if (scales[j]! > maxScale) maxScale = scales[j]!;
      if (mins[j]! > maxMin) maxMin = mins[j]!;
    }
    if (maxScale > 0) {
      const iscale = fr(q4scale / maxScale);
      for (let j = 0; j < 16; j++) out[o + j] = nearestInt(fr(iscale * scales[j]!)) & 0xff;
      dv.setUint16(o + 80, h(fr(maxScale / q4scale)), true);
    }
    if (maxMin > 0) {
      const iscale = fr(q4scale / maxMin);
      for (let j = 0; j < 16; j++) out[o + j] |= (nearestInt(fr(iscale * mins[j]!)) << 4) & 0xff;
      dv.setUint16(o + 82, h(fr(maxMin / q4scale)), true);
    }
    const dd = f16ToF32(dv.getUint16(o + 80, true)), dmin = f16ToF32(dv.getUint16(o + 82, true));
    for (let j = 0; j < 16; j++) {
      const d = fr(dd * (out[o + j]! & 0xf));
      if (!d) continue;
      const dm = fr(dmin * (out[o + j]! >> 4));
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(fr(fr(x[xb + 16 * j + ii]! + dm) / d));
        L[16 * j + ii] = Math.max(0, Math.min(3, l));
      }
    }
    for (let j = 0; j < QK_K; j += 128) {
      for (let l = 0; l < 32; l++) out[o + 16 + j / 4 + l] = L[j + l]! | (L[j + l + 32]! << 2) | (L[j + l + 64]! << 4) | (L[j + l + 96]! << 6);
    }
  }
}

/** `make_q3_quants` with do_rmse: levels written to L (offset by nmax), returns the scale. */
function makeQ3Quants(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  let max = 0, amax = 0;
  for (let i = 0; i < n; i++) { const ax = Math.abs(x[xo + i]!); if (ax > amax) { amax = ax; max = x[xo + i]!; } }
  if (amax < GROUP_MAX_EPS) { for (let i = 0; i < n; i++) L[lo + i] = 0; return 0; }
  const iscale = fr(-nmax / max);
  let sumlx = 0, suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i]!;
    let l = nearestInt(fr(iscale * xi));
    l = Math.max(-nmax, Math.min(nmax - 1, l));
    L[lo + i] = l;
    const w = fr(xi * xi);
    sumlx = fr(sumlx + fr(fr(w * xi) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i]!;
      const w = fr(xi * xi);
      const Li = L[lo + i]!;
      let slx = fr(sumlx - fr(fr(w * xi) * Li));
      if (slx > 0) {
        let sl2 = fr(suml2 - fr(fr(w * Li) * Li));
        let nl = nearestInt(fr(fr(xi * sl2) / slx));
        nl = Math.max(-nmax, Math.min(nmax - 1, nl));
        if (nl !== Li) {
          slx = fr(slx + fr(fr(w * xi) * nl));
          sl2 = fr(sl2 + fr(fr(w * nl) * nl));
          if (sl2 > 0 && fr(fr(slx * slx) * suml2) > fr(fr(sumlx * sumlx) * sl2)) {
            L[lo + i] = nl; sumlx = slx; suml2 = sl2; changed++;
          }
        }
      }
    }
    if (!changed) break;
  }
  for (let i = 0; i < n; i++) L[lo + i] = L[lo + i]! + nmax;
  return suml2 > 0 ? fr(sumlx / suml2) : 0;
}

function quantQ3K(x: Float32Array, out: Uint8Array, dv: DataView): void {
  const L = new Int8Array(QK_K);
  const scales = new Float32Array(16);
  for (let i = 0, o = 0; i < x.length / QK_K; i++, o += 110) {
    const xb = i * QK_K;
    let maxScale = 0, amax = 0;
    for (let j = 0; j < 16; j++) {
      scales[j] = makeQ3Quants(16, 4, x, xb + 16 * j, L, 16 * j);
      const a = Math.abs(scales[j]!);
      if (a > amax) { amax = a; maxScale = scales[j]!; }
    }
    const sc = out.subarray(o + 96, o + 108);
    if (maxScale) {
      const iscale = fr(-32 / maxScale);
      for (let j = 0; j < 16; j++) {
        let l = (nearestInt(fr(iscale * scales[j]!)) << 24) >> 24;
        l = Math.max(-32, Math.min(31, l)) + 32;
        if (j < 8) sc[j] = l & 0xf; else sc[j - 8] |= (l & 0xf) << 4;
        l >>= 4;
        sc[(j % 4) + 8] |= l << (2 * Math.floor(j / 4));
      }
      dv.setUint16(o + 108, h(fr(1 / iscale)), true);
    }
    const dd = f16ToF32(dv.getUint16(o + 108, true));
    for (let j = 0; j < 16; j++) {
      const d = fr(dd * (q3Scale(sc, j) - 32));
      if (!d) continue;
      for (let ii = 0; ii < 16; ii++) {
        let l = nearestInt(fr(x[xb + 16 * j + ii]! / d));
        l = Math.max(-4, Math.min(3, l));
        L[16 * j + ii] = l + 4;
      }
    }
    let m = 0, hmBit = 1;
    for (let j = 0; j < QK_K; j++) {
      if (L[j]! > 3) { out[o + m] |= hmBit; L[j] = L[j]! - 4; }
      if (++m === QK_K / 8) { m = 0; hmBit <<= 1; }
    }
    for (let j = 0; j < QK_K; j += 128) {
      for (let l = 0; l < 32; l++) out[o + 32 + j / 4 + l] = L[j + l]! | (L[j + l + 32]! << 2) | (L[j + l + 64]! << 4) | (L[j + l + 96]! << 6);
    }
  }
}

/** `make_qx_quants` with rmse_type 1 and no importance weights (weights x²). */
function makeQxQuants(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array | Uint8Array, lo: number): number {
  let max = 0, amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]!);
    if (ax > amax) { amax = ax; max = x[xo + i]!; }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    return 0;
  }
  let iscale = fr(-nmax / max);
  let sumlx = 0, suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i]!;
    let l = nearestInt(fr(iscale * xi));
    l = Math.max(-nmax, Math.min(nmax - 1, l));
    L[lo + i] = l + nmax;
    const w = fr(xi * xi);
    sumlx = fr(sumlx + fr(fr(w * xi) * l));
    suml2 = fr(suml2 + fr(fr(w * l) * l));
  }
  let scale = suml2 ? fr(sumlx / suml2) : 0;
  let best = fr(scale * sumlx);
  const tenth = fr(0.1);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = fr(-fr(nmax + fr(tenth * is)) / max);
    sumlx = 0; suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i]!;
      let l = nearestInt(fr(iscale * xi));
      l = Math.max(-nmax, Math.min(nmax - 1, l));
      const w = fr(xi * xi);
      sumlx = fr(sumlx + fr(fr(w * xi) * l));
      suml2 = fr(suml2 + fr(fr(w * l) * l));
    }
    if (suml2 > 0 && fr(sumlx * sumlx) > fr(best * suml2)) {
      for (let i = 0; i < n; i++) {
        const l = nearestInt(fr(iscale * x[xo + i]!));
        L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
      }
      scale = fr(sumlx / suml2);
      best = fr(scale * sumlx);
    }
  }
  return scale;
}

function quantQ6K(x: Float32Array, out: Uint8Array, dv: DataView): void {
  const L = new Uint8Array(QK_K);
  const scales = new Float32Array(16);
  for (let i = 0, o = 0; i < x.length / QK_K; i++, o += 210) {
    const xb = i * QK_K;
    let maxScale = 0, maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const scale = makeQxQuants(16, 32, x, xb + 16 * ib, L, 16 * ib);
      scales[ib] = scale;
      const a = Math.abs(scale);
      if (a > maxAbsScale) { maxAbsScale = a; maxScale = scale; }
    }
    if (maxAbsScale < GROUP_MAX_EPS) continue; // block stays all zero, d = 0
    const iscale = fr(-128 / maxScale);
    dv.setUint16(o + 208, h(fr(1 / iscale)), true);
    for (let ib = 0; ib < 16; ib++) dv.setInt8(o + 192 + ib, Math.min(127, nearestInt(fr(iscale * scales[ib]!))));
    const dd = f16ToF32(dv.getUint16(o + 208, true));
    for (let j = 0; j < 16; j++) {
      const d = fr(dd * dv.getInt8(o + 192 + j));
      if (!d) continue;
      for (let ii = 0; ii < 16; ii++) {
        let l = nearestInt(fr(x[xb + 16 * j + ii]! / d));
        l = Math.max(-32, Math.min(31, l));
        L[16 * j + ii] = l + 32;
      }
    }
    let ql = o, qh = o + 128;
    for (let j = 0; j < QK_K; j += 128) {
      for (let l = 0; l < 32; l++) {
        const q1 = L[j + l]! & 0xf, q2 = L[j + l + 32]! & 0xf, q3 = L[j + l + 64]! & 0xf, q4 = L[j + l + 96]! & 0xf;
        out[ql + l] = q1 | (q3 << 4);
        out[ql + l + 32] = q2 | (q4 << 4);
        out[qh + l] = (L[j + l]! >> 4) | ((L[j + l + 32]! >> 4) << 2) | ((L[j + l + 64]! >> 4) << 4) | ((L[j + l + 96]! >> 4) << 6);
      }
      ql += 64; qh += 32;
    }
  }
}

/** Bits per weight of a type (e.g. 4.5 for Q4_0, 4.5 for Q4_K, 6.5625 for Q6_K). */
export function bitsPerWeight(type: GGMLTypeName): number {
  const t = ggmlTypeByName(type);
  return (t.typeSize * 8) / t.blockSize;
}
