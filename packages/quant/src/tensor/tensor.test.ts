import { readFileSync } from 'node:fs';
import { initBackend, Rng, tf } from '@llm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorStats } from './stats.js';
import { dequantizeInt8, int8StorageBytes, quantizeInt8 } from './int8.js';
import { llmInt8Matmul, matmulTransB } from './llm-int8.js';
import { blockScales, createDynamicMap, dequantize4bit, dequantizeBlockwise8, FP4_CODE, fourBitStorageBytes, NF4_CODE, quantize4bit, quantizeBlockwise8 } from './nf4.js';
import { QuantizedLinear } from './linear.js';

const maps = JSON.parse(readFileSync(new URL('../../fixtures/bnb-maps.json', import.meta.url), 'utf8')) as { dynamic_map_signed: number[]; nf4_from_definition?: number[] };
const normal = (n: number, seed: number, std = 1) => { const r = new Rng(seed); return Float32Array.from({ length: n }, () => r.normal(0, std)); };

describe('int8 absmax / zero-point', () => {
  const x = normal(64 * 32, 1, 0.02);
  x[5] = 1; // one outlier in row 0
  it('absmax per tensor, channel and block: error shrinks as groups get smaller', () => {
    const errs = (['tensor', 'channel', 'block'] as const).map((g) => {
      const q = quantizeInt8(x, [64, 32], { scheme: 'absmax', granularity: g, blockSize: 16 });
      return errorStats(x, dequantizeInt8(q), int8StorageBytes(q));
    });
    expect(errs[0]!.mse).toBeGreaterThan(errs[1]!.mse);
    expect(errs[1]!.mse).toBeGreaterThan(errs[2]!.mse);
    // Half a step is the largest error: absmax/127/2 per group.
    expect(errs[0]!.maxAbs).toBeLessThanOrEqual(1 / 127 / 2 + 1e-9);
    expect(errs[1]!.bitsPerElement).toBeCloseTo(8 + 32 / 32, 6);
  });
  it('zero-point maps min..max onto 0..255 and keeps zero exact', () => {
    const y = Float32Array.from({ length: 256 }, (_, i) => i / 255 * 3 + 1); // all positive
    y[7] = 0;
    const q = quantizeInt8(y, [1, 256], { scheme: 'zeropoint', granularity: 'tensor' });
    const d = dequantizeInt8(q);
    expect(d[7]).toBe(0);
    expect(Math.max(...q.q)).toBe(255);
    expect(errorStats(y, d, int8StorageBytes(q)).maxAbs).toBeLessThanOrEqual((4 / 255) / 2 + 1e-6);
    const sym = quantizeInt8(y, [1, 256], { scheme: 'absmax', granularity: 'tensor' });
    expect(errorStats(y, d, 0).mse).toBeLessThan(errorStats(y, dequantizeInt8(sym), 0).mse);
  });
});

describe('LLM.int8() mixed decomposition', () => {
  it('outlier feature columns in float keep the error far below plain int8', () => {
    const T = 16, I = 128, O = 32;
    const x = normal(T * I, 2, 1);
    for (let t = 0; t < T; t++) { x[t * I + 3] = 40 * (t % 2 ? 1 : -1); x[t * I + 77] = 25; }
    const w = normal(O * I, 3, 0.05);
    const ref = matmulTransB(x, T, w, O, I);
    const mixed = llmInt8Matmul(x, T, w, O, I, { threshold: 6 });
    const plain = llmInt8Matmul(x, T, w, O, I, { threshold: Infinity });
    expect(mixed.outlierColumns).toEqual([3, 77]);
    expect(plain.outlierColumns).toEqual([]);
    const eMixed = errorStats(ref, mixed.y, 0), ePlain = errorStats(ref, plain.y, 0);
    expect(eMixed.mse * 20).toBeLessThan(ePlain.mse);
    expect(eMixed.relativeError).toBeLessThan(0.02);
    expect(llmInt8Matmul(x, T, w, O, I, { threshold: 0 }).y.every((v, i) => Math.abs(v - ref[i]!) < 1e-4)).toBe(true);
  });
});

describe('NF4 / FP4 with double quantization (bitsandbytes)', () => {
  it('NF4 table equals its definition (normal quantiles) and the published constants', () => {
    expect(NF4_CODE).toHaveLength(16);
    if (maps.nf4_from_definition) for (let i = 0; i < 16; i++) expect(Math.fround(NF4_CODE[i]!)).toBe(Math.fround(maps.nf4_from_definition[i]!));
    expect(FP4_CODE.map((v) => Math.round(v * 12 * 16) / 16)).toEqual([0, 0.0625, 8, 12, 4, 6, 2, 3, -0, -0.0625, -8, -12, -4, -6, -2, -3]);
  });

  it('the dynamic map for double quantization equals bitsandbytes create_dynamic_map (torch golden) to 2 ulps', () => {
    // torch's CPU linspace rounds in SIMD chunks whose width depends on the machine; values agree
    // to two float32 ulps, the order (and so every 8-bit index) exactly.
    const got = createDynamicMap();
    const want = maps.dynamic_map_signed.map(Math.fround);
    expect(got).toHaveLength(256);
    let exact = 0;
    for (let i = 0; i < 256; i++) {
      expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(Math.abs(want[i]!) * 2 ** -22);
      if (got[i] === want[i]) exact++;
    }
    expect(exact).toBeGreaterThan(200);
    expect(got[0]).toBeCloseTo(-0.99297, 5);
    expect(got[255]).toBe(1);
  });

  it('packs two codes per byte, first element in the high nibble; exact code values round-trip', () => {
    const x = Float32Array.from([1, -1, 0.5626170039176941, 0, ...new Array(60).fill(0)]);
    const q = quantize4bit(x, [64], { type: 'nf4', doubleQuant: false });
    expect(q.packed[0]).toBe((15 << 4) | 0);
    expect(q.packed[1]).toBe((13 << 4) | 7);
    expect(Array.from(dequantize4bit(q).slice(0, 4))).toEqual([1, -1, Math.fround(0.5626170039176941), 0]);
  });

  it('NF4 beats FP4 on normal weights; double quantization costs little and saves ~0.37 bits', () => {
    const w = normal(4096 * 16, 4, 0.02);
    const shape = [256, 256];
    const nf4 = quantize4bit(w, shape, { type: 'nf4', doubleQuant: false });
    const nf4dq = quantize4bit(w, shape, { type: 'nf4', doubleQuant: true });
    const fp4 = quantize4bit(w, shape, { type: 'fp4', doubleQuant: true });
    const e = (t: typeof nf4) => errorStats(w, dequantize4bit(t), fourBitStorageBytes(t));
    const s1 = e(nf4), s2 = e(nf4dq), s3 = e(fp4);
    expect(s1.mse).toBeLessThan(s3.mse);
    expect(s2.mse).toBeLessThan(s1.mse * 1.02);
    expect(s1.bitsPerElement).toBeCloseTo(4.5, 6);
    expect(s2.bitsPerElement).toBeLessThan(4.14);
    // Scales survive double quantization closely (8-bit dynamic code).
    const a = blockScales(nf4), b = blockScales(nf4dq);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(a[i]! * 0.02);
  });

  it('blockwise 8-bit dynamic quantization round-trips', () => {
    const v = normal(1000, 5, 0.3);
    const { q, absmax } = quantizeBlockwise8(v, 256);
    expect(absmax).toHaveLength(4);
    const d = dequantizeBlockwise8(q, absmax, 256);
    expect(errorStats(v, d, 0).relativeError).toBeLessThan(0.02);
  });
});

describe('QuantizedLinear (tfjs, dequantized on the fly)', () => {
  beforeAll(async () => { await initBackend(); });
  it('matches the dequantized weight product; gradients reach the input only', () => {
    const O = 24, I = 128;
    const w = normal(O * I, 6, 0.05);
    const bias = normal(O, 7, 0.1);
    for (const type of ['nf4', 'fp4', 'int8'] as const) {
      const layer = QuantizedLinear.fromWeight(w, O, I, { type }, bias);
      const x = tf.tensor2d(normal(3 * I, 8), [3, I]);
      const y = layer.apply(x);
      const wd = layer.dequantizedWeight();
      const ref = tf.add(tf.matMul(x, wd, false, true), tf.tensor1d(bias));
      expect(tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0]).toBeLessThan(1e-4);
      if (type !== 'int8') expect(Array.from(wd.dataSync())).toEqual(Array.from(dequantize4bit(layer.fourBit!)));
      const g = tf.grad((xx) => tf.sum(layer.apply(xx)))(x);
      expect(g.shape).toEqual([3, I]);
      expect(layer.storageBytes).toBeLessThan(O * I * (type === 'int8' ? 1.1 : 0.6));
      tf.dispose([x, y, wd, ref, g]);
    }
  });
});
