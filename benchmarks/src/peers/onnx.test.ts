import { describe, expect, it } from 'vitest';
import { loadOrt, matmulModel, matmulSession } from './onnx.js';

describe('the ONNX MatMul model built in code', () => {
  it('is accepted by onnxruntime-node and multiplies correctly on its CPU binary', async () => {
    const ort = await loadOrt();
    if ('skipped' in ort) throw new Error(ort.skipped);
    const [m, k, n] = [3, 5, 4];
    const a = Float32Array.from({ length: m * k }, (_, i) => (i % 7) - 3);
    const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) / 4);
    const session = await matmulSession(ort, m, k, n, 1);
    const out = await session.run({ A: new ort.Tensor('float32', a, [m, k]), B: new ort.Tensor('float32', b, [k, n]) });
    const c = out.C!;
    expect(c.dims).toEqual([m, n]);
    const got = c.data as Float32Array;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
        expect(got[i * n + j]).toBeCloseTo(s, 4);
      }
    }
    await session.release?.();
  });

  it('encodes varints and nested messages (ir_version 8 first, opset 13 last)', () => {
    const bytes = matmulModel(300, 2, 1);
    expect([...bytes.subarray(0, 2)]).toEqual([0x08, 0x08]); // field 1 varint = 8
    expect([...bytes.subarray(bytes.length - 4)]).toEqual([0x0a, 0x00, 0x10, 0x0d]); // domain '' , version 13
    // 300 as a varint is ac 02
    const s = Buffer.from(bytes).toString('hex');
    expect(s).toContain('08ac02');
  });
});
