import { describe, expect, it } from 'vitest';
import { KERNEL_WASM_BASE64 } from '../src/kernel-wasm.js';
import type { KernelWasm } from '../src/kernel.js';

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
});
