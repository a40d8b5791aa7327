import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../rng.js';
import { tf } from './tf.js';
import { initBackend } from './select.js';
import { loadNativeAddon, NativeAdam, nativeStatus, NATIVE_KERNELS, type NativeAddon, type NativeIsa } from './native.js';

// Every native kernel is compared with tfjs's cpu backend (forward and gradients), on odd
// shapes, every transpose, every microkernel the CPU supports, with 1 and 2 threads.

const status = nativeStatus();
const rng = new Rng('native-kernels');

function data(n: number, seed: string): Float32Array {
  return rng.split(seed).normalArray(n);
}

/** Run `fn` on a backend and read its outputs back. */
async function on(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs: tf.Tensor[] = [];
  const values = tf.tidy(() => {
    const r = fn();
    const list = Array.isArray(r) ? r : [r];
    outs.push(...list.map((t) => tf.keep(t)));
    return undefined;
  });
  void values;
  const read = outs.map((t) => Float32Array.from(t.dataSync()));
  outs.forEach((t) => t.dispose());
  return read;
}

function expectClose(actual: Float32Array[], expected: Float32Array[], tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    expect(a.length).toBe(e.length);
    let worst = 0;
    let at = -1;
    for (let j = 0; j < a.length; j++) {
      const err = Math.abs(a[j]! - e[j]!) / (1 + Math.abs(e[j]!));
      if (!(err <= worst)) {
        worst = err;
        at = j;
      }
    }
    expect(worst, `output ${i}: element ${at} is ${a[at]} vs ${e[at]}`).toBeLessThanOrEqual(tol);
  }
}

async function compare(fn: () => tf.Tensor | tf.Tensor[], tol = 1e-4): Promise<void> {
  const expected = await on('cpu', fn);
  const actual = await on('native', fn);
  expectClose(actual, expected, tol);
}

describe('native kernel pack: availability', () => {
  it('builds and loads here (g++ and make are present on Linux CI); LLM_NATIVE=0 disables it', () => {
    if (process.env.LLM_NATIVE === '0') {
      expect(status.available).toBe(false);
      expect(status.reason).toMatch(/LLM_NATIVE=0/);
      return;
    }
    expect(status.reason).toBeUndefined();
    expect(status.available).toBe(true);
    expect(['scalar', 'avx2', 'avx512']).toContain(status.isa);
    expect(status.threads).toBeGreaterThanOrEqual(1);
  });
});

describe('native kernel pack: loader failures are reported, not thrown', () => {
  const saved = process.env.LLM_NATIVE_ADDON;
  afterEach(() => {
    if (saved === undefined) delete process.env.LLM_NATIVE_ADDON;
    else process.env.LLM_NATIVE_ADDON = saved;
    vi.resetModules();
  });

  it('says the addon is not built when the file is absent', async () => {
    process.env.LLM_NATIVE_ADDON = join(tmpdir(), 'no-such-dir', 'llm_kernels.node');
    vi.resetModules();
    const fresh = await import('./native.js');
    const st = fresh.nativeStatus();
    expect(st.available).toBe(false);
    expect(st.reason).toMatch(/addon not built/);
    expect(() => fresh.registerNativeBackend()).toThrow(/addon not built/);
  });

  it('says it failed to load when the file is not a loadable addon', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-native-'));
    const bogus = join(dir, 'llm_kernels.node');
    writeFileSync(bogus, 'not an ELF file');
    process.env.LLM_NATIVE_ADDON = bogus;
    vi.resetModules();
    const fresh = await import('./native.js');
    const st = fresh.nativeStatus();
    expect(st.available).toBe(false);
    expect(st.reason).toMatch(/addon failed to load/);
  });
});

describe.skipIf(!status.available)('native kernel pack vs the cpu backend', () => {
  let addon: NativeAddon;
  const isas: NativeIsa[] = [];
  let defaultIsa: NativeIsa;
  let defaultThreads: number;

  beforeAll(async () => {
    const report = await initBackend({ prefer: 'native', force: true });
    expect(report.active).toBe('native');
    expect(report.extraKernels).toEqual([...NATIVE_KERNELS]);
    addon = loadNativeAddon().addon;
    const info = addon.info();
    defaultIsa = info.isa;
    defaultThreads = info.threads;
    isas.push('scalar');
    if (info.avx2) isas.push('avx2');
    if (info.avx512) isas.push('avx512');
  });
  afterAll(async () => {
    addon.setIsa(defaultIsa);
    addon.setThreads(defaultThreads);
    await initBackend({ force: true });
  });

  const shapes: Array<[number, number, number]> = [
    [1, 1, 1], [7, 13, 5], [6, 16, 256], [37, 70, 300], [130, 33, 257], [3, 200, 3], [97, 101, 64],
  ];

  it('matMul: odd shapes, all four transposes, every microkernel and 1 or 2 threads', async () => {
    for (const isa of isas) {
      expect(addon.setIsa(isa)).toBe(true);
      for (const threads of [1, 2]) {
        addon.setThreads(threads);
        for (const [m, n, k] of shapes) {
          for (const ta of [false, true]) {
            for (const tb of [false, true]) {
              const av = data(m * k, `a${m}${k}`);
              const bv = data(k * n, `b${k}${n}`);
              await compare(() => tf.matMul(tf.tensor2d(av, ta ? [k, m] : [m, k]), tf.tensor2d(bv, tb ? [n, k] : [k, n]), ta, tb));
            }
          }
        }
      }
    }
    addon.setIsa(defaultIsa);
    addon.setThreads(defaultThreads);
  });

  it('matMul: products big enough to be shared between the threads match (deep, wide, bias epilogue)', async () => {
    const av = data(300 * 520, 'big-a');
    const bv = data(520 * 260, 'big-b');
    await compare(() => tf.matMul(tf.tensor2d(av, [300, 520]), tf.tensor2d(bv, [520, 260])));
    await compare(() => tf.matMul(tf.tensor2d(av, [520, 300]), tf.tensor2d(bv, [260, 520]), true, true));
    // Deep enough (K 1100) that B is packed in two column slivers of 3808 (about 4M floats each);
    // bias and activation in the epilogue of each thread's blocks.
    const [m, n, k] = [13, 3900, 1100];
    const xa = data(m * k, 'deep-a');
    const xb = data(k * n, 'deep-b');
    const bias = data(n, 'deep-bias');
    await compare(() => tf.fused.matMul({ a: tf.tensor2d(xa, [m, k]), b: tf.tensor2d(xb, [k, n]), bias: tf.tensor1d(bias), activation: 'relu' }));
    await compare(() => tf.fused.matMul({ a: tf.tensor2d(xa, [k, m]), b: tf.tensor2d(xb, [n, k]), transposeA: true, transposeB: true, bias: tf.tensor1d(bias) }));
    // A few large products in a batch, one operand broadcast over it.
    const xs = data(3 * 64 * 300, 'few-a');
    await compare(() => tf.matMul(tf.tensor3d(xs, [3, 64, 300]), tf.tensor2d(xb.subarray(0, 300 * 200), [300, 200])));
    await compare(() => tf.matMul(tf.tensor2d(xb.subarray(0, 200 * 300), [200, 300]), tf.tensor3d(xs, [3, 300, 64]), false, false));
  });

  it('batched matMul with broadcast batch dims and an empty inner dimension', async () => {
    const av = data(4 * 5 * 7, 'ba');
    const bv = data(4 * 7 * 3, 'bb');
    await compare(() => tf.matMul(tf.tensor3d(av, [4, 5, 7]), tf.tensor3d(bv, [4, 7, 3])));
    await compare(() => tf.matMul(tf.tensor3d(av, [4, 5, 7]), tf.tensor2d(bv.subarray(0, 21), [7, 3])));
    await compare(() => tf.matMul(tf.tensor3d(av.subarray(0, 35), [1, 5, 7]), tf.tensor3d(bv, [4, 7, 3])));
    await compare(() => tf.matMul(tf.tensor4d(av.subarray(0, 2 * 2 * 5 * 7), [2, 2, 7, 5]), tf.tensor4d(bv.subarray(0, 2 * 2 * 7 * 3), [2, 2, 3, 7]), true, true));
    await compare(() => tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 4])));
    // Attention-like: many small products.
    const q = data(16 * 32 * 16, 'q');
    await compare(() => tf.matMul(tf.tensor3d(q, [16, 32, 16]), tf.tensor3d(q, [16, 32, 16]), false, true));
  });

  it('matMul gradients (dA, dB) through transposes', async () => {
    const av = data(9 * 11, 'ga');
    const bv = data(11 * 13, 'gb');
    const wv = data(9 * 13, 'gw');
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      await compare(() => {
        const a = tf.tensor2d(av, ta ? [11, 9] : [9, 11]);
        const b = tf.tensor2d(bv, tb ? [13, 11] : [11, 13]);
        const w = tf.tensor2d(wv, [9, 13]);
        return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), w)))([a, b]);
      });
    }
  });

  it('fused matMul: bias per column or scalar, every native activation, and the fallbacks', async () => {
    const av = data(17 * 23, 'fa');
    const bv = data(23 * 19, 'fb');
    const bias = data(19, 'fbias');
    for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu'] as const) {
      await compare(() => tf.fused.matMul({ a: tf.tensor2d(av, [17, 23]), b: tf.tensor2d(bv, [23, 19]), bias: tf.tensor1d(bias), activation, leakyreluAlpha: 0.1 }));
    }
    await compare(() => tf.fused.matMul({ a: tf.tensor2d(av, [23, 17]), b: tf.tensor2d(bv, [19, 23]), transposeA: true, transposeB: true, bias: tf.scalar(0.5), activation: 'relu' }));
    // Bias over rows and columns, and prelu: tfjs's own kernel runs.
    await compare(() => tf.fused.matMul({ a: tf.tensor2d(av, [17, 23]), b: tf.tensor2d(bv, [23, 19]), bias: tf.tensor2d(data(17 * 19, 'full'), [17, 19]) }));
    await compare(() => tf.fused.matMul({ a: tf.tensor2d(av, [17, 23]), b: tf.tensor2d(bv, [23, 19]), activation: 'prelu', preluActivationWeights: tf.scalar(0.3) }));
  });

  it('fused matMul gradients (a, b, bias): linear (fused under tf.grads) and relu (tfjs unfuses it)', async () => {
    const av = data(8 * 10, 'fga');
    const bv = data(10 * 6, 'fgb');
    const cv = data(6, 'fgc');
    for (const activation of ['linear', 'relu'] as const) {
      await compare(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.square(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c, activation, transposeB: true }))),
        )([tf.tensor2d(av, [8, 10]), tf.tensor2d(bv, [6, 10]), tf.tensor1d(cv)]),
      );
    }
  });

  it('softmax over the last axis (forward, gradient, odd widths, large logits)', async () => {
    for (const shape of [[1, 1], [3, 7], [2, 3, 129], [5, 1000]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const xv = data(n, `sm${shape.join('x')}`).map((v) => v * 30);
      await compare(() => tf.softmax(tf.tensor(xv, shape)));
      const wv = data(n, `smw${n}`);
      await compare(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.softmax(x), tf.tensor(wv, shape))))(tf.tensor(xv, shape)));
    }
  });

  it('gather (embedding lookup) on any axis, int32 and float32, and its gradient (UnsortedSegmentSum)', async () => {
    const table = data(50 * 12, 'emb');
    const ids = Int32Array.from({ length: 3 * 9 }, (_, i) => (i * 37) % 50);
    await compare(() => tf.gather(tf.tensor2d(table, [50, 12]), tf.tensor2d(ids, [3, 9], 'int32')));
    await compare(() => tf.gather(tf.tensor3d(table, [5, 10, 12]), tf.tensor1d([9, 0, 3, 3], 'int32'), 1));
    await compare(() => tf.gather(tf.tensor3d(table, [5, 10, 12]), tf.tensor1d([11, 0], 'int32'), -1));
    await compare(() => tf.cast(tf.gather(tf.tensor2d(Int32Array.from(ids), [3, 9], 'int32'), tf.tensor1d([2, 0, 2], 'int32')), 'float32'));
    const wv = data(3 * 9 * 12, 'embw');
    await compare(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor2d(ids, [3, 9], 'int32')), tf.tensor3d(wv, [3, 9, 12]))))(tf.tensor2d(table, [50, 12])));
  });

  it('gather rejects an out-of-range index like the cpu backend', async () => {
    await tf.setBackend('native');
    expect(() => tf.gather(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([0, 2], 'int32'))).toThrow(/index value 2 is not in \[0, 1\]/);
  });

  it('unsortedSegmentSum: repeated ids, more segments than ids, wide rows split across threads', async () => {
    const xv = data(40 * 300, 'seg');
    const ids = Int32Array.from({ length: 40 }, (_, i) => (i * 7) % 13);
    await compare(() => tf.unsortedSegmentSum(tf.tensor2d(xv, [40, 300]), tf.tensor1d(ids, 'int32'), 17));
    await compare(() => tf.unsortedSegmentSum(tf.tensor1d(xv.subarray(0, 40)), tf.tensor1d(ids, 'int32'), 13));
  });

  it('NativeAdam matches tf.train.adam over several steps', async () => {
    const init = data(37, 'adam-init');
    const target = data(37, 'adam-target');
    const steps = async (backend: string, native: boolean): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const w = tf.variable(tf.tensor1d(init), true, `adam_w_${backend}_${native}`);
      const t = tf.tensor1d(target);
      const opt = native ? new NativeAdam(0.05) : tf.train.adam(0.05);
      for (let i = 0; i < 5; i++) {
        const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(w, t))) as tf.Scalar);
        if (opt instanceof NativeAdam) opt.applyGradients(grads);
        else opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
      }
      const out = Float32Array.from(w.dataSync());
      w.dispose();
      t.dispose();
      if (!(opt instanceof NativeAdam)) opt.dispose();
      return out;
    };
    const expected = await steps('cpu', false);
    const actual = await steps('native', true);
    expectClose([actual], [expected], 1e-5);
    expect(expected).not.toEqual(init);
  });

  it('slice, split, unstack: boxes anywhere in ranks 1–5, int32 too, and their gradients (pad, concat)', async () => {
    const xv = data(3 * 4 * 5 * 2 * 3, 'slice');
    await compare(() => tf.slice(tf.tensor1d(xv.subarray(0, 10)), 3, 4));
    await compare(() => tf.slice(tf.tensor2d(xv.subarray(0, 20), [4, 5]), [1, 2], [-1, 2]));
    await compare(() => tf.slice(tf.tensor(xv, [3, 4, 5, 2, 3]), [1, 0, 2, 1, 0], [2, 3, 2, 1, 3]));
    await compare(() => tf.cast(tf.slice(tf.tensor2d(Int32Array.from({ length: 20 }, (_, i) => i * 3 - 7), [4, 5], 'int32'), [1, 1], [2, 3]), 'float32'));
    await compare(() => tf.split(tf.tensor2d(xv.subarray(0, 6 * 8), [6, 8]), 4, 1));
    await compare(() => tf.split(tf.tensor3d(xv.subarray(0, 6 * 8 * 3), [6, 8, 3]), [1, 5, 2], 1));
    await compare(() => tf.unstack(tf.tensor3d(xv.subarray(0, 6 * 8 * 3), [6, 8, 3]), 1));
    await compare(() => tf.unstack(tf.tensor2d(xv.subarray(0, 12), [3, 4]), 0));
    const wv = data(2 * 3 * 2 * 1 * 3, 'slicew');
    await compare(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.slice(x, [1, 0, 2, 1, 0], [2, 3, 2, 1, 3]), tf.tensor(wv, [2, 3, 2, 1, 3]))))(tf.tensor(xv, [3, 4, 5, 2, 3])));
    await compare(() => tf.grad((x: tf.Tensor) => {
      const [a, b] = tf.split(x, [3, 5], 1);
      return tf.sum(tf.add(tf.mul(a!, 2), tf.sum(tf.square(b!))));
    })(tf.tensor2d(xv.subarray(0, 48), [6, 8])));
  });

  it('concat on every axis (with an empty input), stack, pad with a constant, transpose in 2–5 dims', async () => {
    const av = data(2 * 3 * 4, 'ca');
    const bv = data(2 * 3 * 5, 'cb');
    await compare(() => tf.concat([tf.tensor3d(av, [2, 3, 4]), tf.tensor3d(bv.subarray(0, 2 * 3 * 4), [2, 3, 4])], 0));
    await compare(() => tf.concat([tf.tensor3d(av, [2, 3, 4]), tf.tensor3d(bv, [2, 3, 5]), tf.zeros([2, 3, 0])], 2));
    await compare(() => tf.concat([tf.tensor3d(av, [2, 4, 3]), tf.tensor3d(bv, [2, 5, 3])], 1));
    await compare(() => tf.cast(tf.concat([tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3], 'int32')]), 'float32'));
    await compare(() => tf.stack([tf.tensor2d(av.subarray(0, 6), [2, 3]), tf.tensor2d(bv.subarray(0, 6), [2, 3])], 1));
    await compare(() => tf.pad(tf.tensor3d(av, [2, 3, 4]), [[1, 0], [0, 2], [3, 1]], -1.5));
    await compare(() => tf.pad(tf.tensor2d(av.subarray(0, 6), [2, 3]), [[0, 0], [2, 2]]));
    await compare(() => tf.transpose(tf.tensor2d(av, [4, 6])));
    await compare(() => tf.transpose(tf.tensor(av, [2, 3, 4, 1]), [0, 2, 1, 3]));
    await compare(() => tf.transpose(tf.tensor(data(2 * 3 * 4 * 5 * 2, 't5'), [2, 3, 4, 5, 2]), [4, 2, 0, 3, 1]));
    await compare(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.transpose(x, [1, 0, 2]), tf.tensor3d(bv.subarray(0, 24), [3, 2, 4]))))(tf.tensor3d(av, [2, 3, 4])));
    // The identity permutation shares the data; disposing either side leaves the other intact.
    await compare(() => tf.transpose(tf.tensor3d(av, [2, 3, 4]), [0, 1, 2]));
    await compare(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, tf.tensor1d([2, 0, 2], 'int32')), tf.tensor2d(bv.subarray(0, 12), [3, 4]))))(tf.tensor2d(av.subarray(0, 12), [3, 4])));
    await tf.setBackend('native');
    const x = tf.tensor2d(av, [4, 6]);
    const same = tf.transpose(x, [0, 1]);
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual(Array.from(av));
    same.dispose();
  });

  it('an identity transpose shares the input storage and outlives the input', async () => {
    await tf.setBackend('native');
    const x = tf.tensor2d(data(12, 'id-t'), [3, 4]);
    const want = Float32Array.from(x.dataSync());
    const y = tf.transpose(x, [0, 1]);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(Array.from(want));
    expect(y.shape).toEqual([3, 4]);
    y.dispose();
  });

  it('add, sub, mul, div with broadcasting (scalars, rows, columns, middle axes) and their gradients', async () => {
    const shapes: Array<[number[], number[]]> = [
      [[4, 5], [4, 5]], [[4, 5], [5]], [[4, 1], [1, 5]], [[2, 1, 3], [4, 1]], [[], [3, 2]], [[3, 2], []], [[], []], [[2, 3, 4], [3, 1]], [[1, 1, 7], [2, 3, 1]],
    ];
    for (const [sa, sb] of shapes) {
      const av = data(sa.reduce((x, y) => x * y, 1), `bin-a${sa}`);
      const bv = data(sb.reduce((x, y) => x * y, 1), `bin-b${sb}`).map((v) => v + Math.sign(v) * 0.5);
      for (const op of [tf.add, tf.sub, tf.mul, tf.div]) {
        await compare(() => op(tf.tensor(av, sa), tf.tensor(bv, sb)));
      }
      await compare(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.div(tf.mul(tf.sub(a, b), tf.add(a, b)), b)))([tf.tensor(av, sa), tf.tensor(bv, sb)]));
    }
    // int32 goes to tfjs's own kernel
    await compare(() => tf.cast(tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([4, 5, 6], 'int32')), 'float32'));
    // Few long rows are cut into pieces across the threads: same shapes (one collapsed row of
    // 100003), a row broadcast over 3 rows, a scalar.
    const long = data(3 * 100003, 'bin-long');
    const row = data(100003, 'bin-row');
    await compare(() => tf.add(tf.tensor1d(long.subarray(0, 100003)), tf.tensor1d(row)));
    await compare(() => tf.mul(tf.tensor2d(long, [3, 100003]), tf.tensor1d(row)));
    await compare(() => tf.sub(tf.scalar(0.5), tf.tensor2d(long, [3, 100003])));
  });

  it('an LSTM cell step and its gradients match (slices, concat, broadcasts, matmul together)', async () => {
    const [B, E, H] = [5, 7, 6];
    const kv = data((E + H) * 4 * H, 'lk');
    const bv = data(4 * H, 'lb');
    const xv = data(B * E, 'lx');
    const hv = data(B * H, 'lh');
    await compare(() => tf.grads((k: tf.Tensor, b: tf.Tensor, x: tf.Tensor) => {
      const [c, h] = tf.basicLSTMCell(1, k as tf.Tensor2D, b as tf.Tensor1D, x as tf.Tensor2D, tf.zeros([B, H]), tf.tensor2d(hv, [B, H]));
      return tf.sum(tf.add(tf.square(h), c));
    })([tf.tensor2d(kv, [E + H, 4 * H]), tf.tensor1d(bv), tf.tensor2d(xv, [B, E])]));
  });

  it('unary ops (sigmoid, tanh, exp, log, sqrt, rsqrt, square, neg, relu, abs) and their gradients', async () => {
    const xv = data(3 * 129, 'unary');
    const pos = xv.map((v) => Math.abs(v) + 0.1);
    for (const f of [tf.sigmoid, tf.tanh, tf.exp, tf.square, tf.neg, tf.relu, tf.abs]) {
      await compare(() => f(tf.tensor2d(xv, [3, 129])));
      await compare(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), tf.tensor2d(pos, [3, 129]))))(tf.tensor2d(xv, [3, 129])));
    }
    for (const f of [tf.log, tf.sqrt, tf.rsqrt]) {
      await compare(() => f(tf.tensor2d(pos, [3, 129])));
      await compare(() => tf.grad((x: tf.Tensor) => tf.sum(f(x)))(tf.tensor2d(pos, [3, 129])));
    }
    await compare(() => tf.relu(tf.tensor1d([-1, 0, Number.NaN, 2])).isNaN().cast('float32'));
  });

  it('pow, squared difference, maximum, minimum with broadcasting (GELU and moments use them)', async () => {
    const av = data(4 * 6, 'pa').map((v) => Math.abs(v) + 0.2);
    const bv = data(6, 'pb');
    const bfull = data(4 * 6, 'pbf');
    for (const op of [tf.pow, tf.squaredDifference, tf.maximum, tf.minimum]) {
      await compare(() => op(tf.tensor2d(av, [4, 6]), tf.tensor1d(bv)));
      // (tfjs's SquaredDifference gradient does not reduce a broadcast input, on any backend)
      await compare(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(op(a, b)))([tf.tensor2d(av, [4, 6]), tf.tensor2d(bfull, [4, 6])]));
    }
    await compare(() => tf.pow(tf.tensor1d(bv), 3));
  });

  it('sum, mean, max, min over leading, trailing, middle, split and all axes, keepDims, and layer norm', async () => {
    const shape = [3, 4, 5, 6];
    const xv = data(3 * 4 * 5 * 6, 'reduce');
    const axesList: Array<number | number[] | undefined> = [0, -1, 1, [1, 2], [0, 2], [0, 1, 3], undefined, [0, 1, 2, 3]];
    for (const axis of axesList) {
      for (const keep of [false, true]) {
        await compare(() => tf.sum(tf.tensor(xv, shape), axis, keep));
        await compare(() => tf.mean(tf.tensor(xv, shape), axis, keep));
        await compare(() => tf.max(tf.tensor(xv, shape), axis, keep));
        await compare(() => tf.min(tf.tensor(xv, shape), axis, keep));
      }
    }
    await compare(() => tf.sum(tf.tensor1d(xv.subarray(0, 1001))));
    const g = data(6, 'lng');
    await compare(() => tf.grad((x: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.sum(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), tf.tensor1d(g)));
    })(tf.tensor(xv, shape)), 2e-4);
    // int32 sums go to tfjs's own kernel
    await compare(() => tf.cast(tf.sum(tf.tensor1d([1, 2, 3], 'int32')), 'float32'));
  });

  it('the addon validates its arguments', () => {
    const f = new Float32Array(4);
    expect(() => addon.matmul(f, f, f, 1, 1, 1, 3, 3, 3, false, false, null, 0, 0)).toThrow(/needs 9/);
    expect(() => addon.softmax(f, new Int32Array(4) as unknown as Float32Array, 2, 2)).toThrow(/Float32Array/);
    expect(() => addon.matmul(f, f, f, 1, 1, 1, 2, 2, 2, false, false, new Float32Array(3), 0, 0)).toThrow(/bias/);
    expect(() => addon.stridedCopy(f, f, [2, 3], [3, 1], 0, [3, 1], 0)).toThrow(/too small/);
    expect(() => addon.binary(0, f, [1], f, [1], f, [5])).toThrow(/too small/);
  });
});
