import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from './tf.js';
import { initBackend } from './select.js';
import { Rng } from '../rng.js';

/**
 * Every gradient the curriculum's models take, computed on wasm and on cpu: they must agree.
 * A kernel missing on wasm makes its case throw, so this also lists what @llm/core must add.
 */

type Fn = (x: tf.Tensor) => tf.Scalar;
const rng = new Rng(11);
const X = rng.normalArray(6 * 8, 0, 1);
const ids = new Int32Array([0, 3, 5, 3, 1, 0, 2]);

function gradOn(backend: string, f: Fn, shape: number[] = [6, 8]): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor(X.subarray(0, shape.reduce((a, b) => a * b, 1)), shape);
    const g = tf.grad(f)(x);
    return g.dataSync() as Float32Array;
  });
}

const Wvalues = rng.normalArray(8 * 5, 0, 0.5);
let W: tf.Tensor2D;
const cases: Record<string, { f: Fn; shape?: number[] }> = {
  'gather (embedding lookup)': { f: (x) => tf.sum(tf.mul(tf.gather(x, tf.tensor1d(ids, 'int32')), tf.range(0, 8))) },
  'gather on axis 1': { f: (x) => tf.sum(tf.square(tf.gather(x, tf.tensor1d([7, 0, 0, 2], 'int32'), 1))) },
  'unsortedSegmentSum': { f: (x) => tf.sum(tf.square(tf.unsortedSegmentSum(x, tf.tensor1d([1, 0, 1, 3, 2, 1], 'int32'), 4))) },
  'matMul + bias + relu': { f: (x) => tf.sum(tf.relu(tf.add(tf.matMul(x, W), 0.1))) },
  'batched matMul (attention scores)': { f: (x) => { const q = tf.reshape(x, [2, 3, 8]); return tf.sum(tf.square(tf.matMul(q, q, false, true))); } },
  'softmax cross-entropy': { f: (x) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([1, 0, 7, 3, 2, 5], 'int32'), 8), x) as tf.Scalar },
  'logSoftmax': { f: (x) => tf.sum(tf.mul(tf.logSoftmax(x), tf.range(0, 8))) },
  'layer norm': { f: (x) => { const m = tf.moments(x, -1, true); return tf.sum(tf.mul(tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))), tf.range(0, 8))); } },
  'rms norm': { f: (x) => tf.sum(tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-6))), tf.range(0, 8))) },
  'gelu (tanh)': { f: (x) => tf.sum(tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))))) },
  'gelu (erf)': { f: (x) => tf.sum(tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))))) },
  'sigmoid/tanh gates': { f: (x) => tf.sum(tf.mul(tf.sigmoid(x), tf.tanh(tf.mul(x, 2)))) },
  'silu (SwiGLU)': { f: (x) => tf.sum(tf.mul(tf.mul(x, tf.sigmoid(x)), tf.reverse(x, 1))) },
  'concat/slice/split': { f: (x) => { const [a, b] = tf.split(x, 2, 1); return tf.sum(tf.square(tf.concat([tf.slice(b!, [0, 1], [6, 2]), a!], 1))); } },
  'transpose/reshape': { f: (x) => tf.sum(tf.mul(tf.transpose(tf.reshape(x, [6, 2, 4]), [2, 0, 1]), tf.range(0, 48).reshape([4, 6, 2]))) },
  'stridedSlice/pad': { f: (x) => tf.sum(tf.square(tf.pad(tf.stridedSlice(x, [0, 1], [6, 8], [2, 3]), [[1, 0], [0, 2]]))) },
  'where / maximum / clip': { f: (x) => tf.sum(tf.add(tf.where(tf.greater(x, 0), tf.square(x), tf.neg(x)), tf.add(tf.maximum(x, 0.2), tf.clipByValue(x, -0.5, 0.5)))) },
  'cumsum / max / mean': { f: (x) => tf.add(tf.sum(tf.cumsum(x, 1)), tf.add(tf.sum(tf.max(x, 1)), tf.mean(x))) },
  'conv2d filter gradient (delegated)': { f: (x) => tf.sum(tf.square(tf.conv2d(tf.tensor4d(X.subarray(0, 32), [1, 4, 8, 1]), tf.reshape(x, [2, 2, 1, 2]), 1, 'same'))), shape: [8] },
  'einsum (delegated)': { f: (x) => tf.sum(tf.square(tf.einsum('ij,jk->ik', x, W))) },
  'dropout mask (seeded)': { f: (x) => tf.sum(tf.square(tf.dropout(x, 0.3, undefined, 5))) },
};

beforeAll(async () => {
  const r = await initBackend({ prefer: 'wasm', force: true });
  expect(r.active).toBe('wasm');
  W = tf.tensor2d(Wvalues, [8, 5]);
});

describe('wasm training kernels agree with cpu', () => {
  for (const [name, { f, shape }] of Object.entries(cases)) {
    it(name, () => {
      const cpu = gradOn('cpu', f, shape);
      const wasm = gradOn('wasm', f, shape);
      expect(wasm.length).toBe(cpu.length);
      let maxDiff = 0;
      for (let i = 0; i < cpu.length; i++) maxDiff = Math.max(maxDiff, Math.abs(cpu[i]! - wasm[i]!) / (1 + Math.abs(cpu[i]!)));
      expect(maxDiff).toBeLessThan(1e-4);
      expect(Array.from(cpu).some((v) => v !== 0)).toBe(true);
    });
  }

  it('UnsortedSegmentSum forward matches cpu, drops out-of-range ids, and handles rank-3 rows', () => {
    const run = (b: string) => {
      tf.setBackend(b);
      return tf.tidy(() => {
        const x = tf.tensor3d(X.subarray(0, 24), [4, 3, 2]);
        return Array.from(tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, 9], 'int32'), 3).dataSync());
      });
    };
    const cpu = run('cpu');
    const wasm = run('wasm');
    expect(wasm.length).toBe(18);
    wasm.forEach((v, i) => expect(v).toBeCloseTo(cpu[i]!, 5));
    expect(wasm.slice(6, 12).every((v) => v === 0)).toBe(true);
  });

  it('an embedding model trains on wasm with Adam (loss goes down)', async () => {
    tf.setBackend('wasm');
    const emb = tf.variable(tf.randomNormal<tf.Rank.R2>([20, 4], 0, 0.1, 'float32', 3));
    const target = tf.tensor2d(new Rng(4).normalArray(7 * 4), [7, 4]);
    const idx = tf.tensor1d(ids, 'int32');
    const opt = tf.train.adam(0.05);
    const losses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const l = opt.minimize(() => tf.losses.meanSquaredError(target, tf.gather(emb, idx)) as tf.Scalar, true)!;
      losses.push(l.dataSync()[0]!);
      l.dispose();
    }
    expect(losses[59]!).toBeLessThan(losses[0]! * 0.5);
  });
});

describe('gradients @llm/core adds to tfjs', () => {
  it('StridedSlice: 2x at the positions read, 0 elsewhere', () => {
    for (const b of ['cpu', 'wasm']) {
      tf.setBackend(b);
      const g = tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.stridedSlice(x, [0, 1], [3, 4], [2, 2]))))(tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])).dataSync()));
      expect(g).toEqual([0, 4, 0, 8, 0, 0, 0, 0, 0, 20, 0, 24]);
    }
  });
  it('Einsum: matches the matMul gradient', () => {
    tf.setBackend('cpu');
    const a = tf.tensor2d(X.subarray(0, 12), [3, 4]);
    const b = tf.tensor2d(X.subarray(12, 32), [4, 5]);
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.einsum('ij,jk->ik', p, q))))([a, b]);
    const [ma, mb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D))))([a, b]);
    Array.from(ga!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ma!.dataSync()[i]!, 4));
    Array.from(gb!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(mb!.dataSync()[i]!, 4));
    // An index summed away in forward ('ij->i' style with a second operand): broadcast back.
    const gs = tf.grad((p: tf.Tensor) => tf.sum(tf.einsum('ij,j->i', p, tf.ones([4]))))(a);
    expect(Array.from(gs.dataSync())).toEqual(new Array(12).fill(1));
  });
});
