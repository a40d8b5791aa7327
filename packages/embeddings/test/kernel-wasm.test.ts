import { describe, expect, it } from 'vitest';
import { KERNEL_WASM_BASE64 } from '../src/kernel-wasm.js';
import type { KernelWasm } from '../src/kernel.js';
import { expTable } from '../src/word2vec.js';

interface WA {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer };
  Module: new (b: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: KernelWasm };
}
const W = (globalThis as unknown as { WebAssembly: WA }).WebAssembly;

describe('SIMD kernel primitives (wasm/kernel.wat)', () => {
  const memory = new W.Memory({ initial: 1, maximum: 1, shared: true });
  const k = new W.Instance(new W.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64')), { env: { memory } }).exports;
  const f = new Float32Array(memory.buffer);
  const n = 12;
  const A = 0, B = 64, E = 128; // float indices; byte offsets are ×4
  const fill = () => { for (let i = 0; i < n; i++) { f[A + i] = Math.fround(Math.sin(i + 1)); f[B + i] = Math.fround(Math.cos(i * 3)); f[E + i] = Math.fround(i / 7); } };
  it('dot, update, axpy and scale agree with plain loops', () => {
    fill();
    let ref = 0;
    for (let i = 0; i < n; i++) ref += f[A + i]! * f[B + i]!;
    expect(k.dot(A * 4, B * 4, n)).toBeCloseTo(ref, 5);
    const a0 = f.slice(A, A + n), b0 = f.slice(B, B + n), e0 = f.slice(E, E + n);
    k.update(E * 4, B * 4, A * 4, 0.5, n);
    for (let i = 0; i < n; i++) {
      expect(f[E + i]).toBeCloseTo(e0[i]! + 0.5 * b0[i]!, 6);
      expect(f[B + i]).toBeCloseTo(b0[i]! + 0.5 * a0[i]!, 6);
    }
    const y0 = f.slice(A, A + n), x0 = f.slice(E, E + n);
    k.axpy(A * 4, E * 4, -2, n);
    for (let i = 0; i < n; i++) expect(f[A + i]).toBeCloseTo(y0[i]! - 2 * x0[i]!, 6);
    const s0 = f.slice(B, B + n);
    k.scale(B * 4, 0.25, n);
    for (let i = 0; i < n; i++) expect(f[B + i]).toBeCloseTo(s0[i]! * 0.25, 6);
    expect(f[B + n]).toBe(0);
  });

  // word2vec.c's negative-sampling step written out plainly, with the same xorshift32 draws and
  // table index (high 32 bits of rnd × table size).
  const xorshift = (r: number) => { r ^= r << 13; r ^= r >>> 17; r ^= r << 5; return r | 0; };
  function reference(l1: Float64Array, out: Float64Array[], word: number, neg: number, alpha: number, table: Int32Array, exp: Float32Array, rnd: number) {
    const err = new Float64Array(l1.length);
    for (let d = 0; d <= neg; d++) {
      let target = word, label = 1;
      if (d > 0) {
        rnd = xorshift(rnd);
        target = table[Math.floor(((rnd >>> 0) * table.length) / 4294967296)]!;
        if (target === word) continue;
        label = 0;
      }
      const o = out[target]!;
      let f = 0;
      for (let k = 0; k < l1.length; k++) f += l1[k]! * o[k]!;
      const g = f > 6 ? (label - 1) * alpha : f < -6 ? label * alpha : (label - exp[Math.trunc((f + 6) * (1000 / 12))]!) * alpha;
      for (let k = 0; k < l1.length; k++) { err[k] += g * o[k]!; o[k] += g * l1[k]!; }
    }
    return { err, rnd };
  }
  const dim = 8, V = 6, neg = 5;
  const SYN0 = 0, OUT = 64, TABLE = 128, EXP = 256, ERR = 1280, HID = 1296, TG = 1312, ROWS = 1330;
  const setup = () => {
    f.fill(0);
    for (let i = 0; i < V * dim; i++) { f[SYN0 + i] = Math.fround(Math.sin(i * 0.7) * 0.9); f[OUT + i] = Math.fround(Math.cos(i * 1.3) * 0.8); }
    const table = new Int32Array(memory.buffer, TABLE * 4, 20);
    table.set([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 5]);
    f.set(expTable(), EXP);
    const rows = (base: number) => Array.from({ length: V }, (_, r) => Float64Array.from(f.subarray(base + r * dim, base + (r + 1) * dim)));
    return { table, syn0: rows(SYN0), out: rows(OUT) };
  };
  it('negative sampling matches word2vec.c written out plainly (draws, skipped self-draws, updates)', () => {
    for (const [word, ctx, seed] of [[2, 4, 12345], [0, 5, -987654], [5, 1, 42]] as const) {
      const { table, syn0, out } = setup();
      const ref = reference(syn0[ctx]!, out, word, neg, 0.025, table, expTable(), seed);
      for (let k = 0; k < dim; k++) syn0[ctx]![k] += ref.err[k]!;
      const rnd = k.negative((SYN0 + ctx * dim) * 4, word, neg, 0.025, TABLE * 4, 20, EXP * 4, ERR * 4, OUT * 4, dim, seed, 3, TG * 4);
      expect(rnd).toBe(ref.rnd);
      for (let r = 0; r < V; r++) for (let c = 0; c < dim; c++) {
        expect(f[SYN0 + r * dim + c]).toBeCloseTo(syn0[r]![c]!, 5);
        expect(f[OUT + r * dim + c]).toBeCloseTo(out[r]![c]!, 5);
      }
    }
  });
  it('the hidden-layer step (CBOW / fastText) averages its rows, samples, and adds the error back to each row', () => {
    for (const mean of [1, 0]) {
      const { table, syn0, out } = setup();
      const ids = [1, 3, 3, 4];
      new Int32Array(memory.buffer, ROWS * 4, ids.length).set(ids);
      const hid = new Float64Array(dim);
      for (const id of ids) for (let c = 0; c < dim; c++) hid[c] += syn0[id]![c]! / (mean ? ids.length : 1);
      const ref = reference(hid, out, 2, neg, 0.05, table, expTable(), 777);
      for (const id of ids) for (let c = 0; c < dim; c++) syn0[id]![c] += ref.err[c]!;
      const rnd = k.hidden(ROWS * 4, ids.length, mean, HID * 4, ERR * 4, SYN0 * 4, 2, neg, 0.05, TABLE * 4, 20, EXP * 4, OUT * 4, dim, 777, TG * 4);
      expect(rnd).toBe(ref.rnd);
      for (let c = 0; c < dim; c++) expect(f[HID + c]).toBeCloseTo(hid[c]!, 5);
      for (let r = 0; r < V; r++) for (let c = 0; c < dim; c++) {
        expect(f[SYN0 + r * dim + c]).toBeCloseTo(syn0[r]![c]!, 5);
        expect(f[OUT + r * dim + c]).toBeCloseTo(out[r]![c]!, 5);
      }
    }
  });
});
