import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { tf } from './tf.js';
import { initBackend } from './select.js';
import { adamwStep, causalSelfAttention, fusedGelu, fusedLayerNorm, fusedMaskedSoftmax, fusedOpsNative, lstmLayer, lstmSequence, softmaxCrossEntropyRows, sumOfSquares } from './fused.js';
import { FusedAdamOptimizer, loadNativeAddon, nativeStatus, type NativeIsa } from './native.js';

// Each fused op runs its pure-tfjs composition on the cpu backend and its addon kernels on the
// native backend; forward values and gradients must agree, on odd shapes.

const status = nativeStatus();
const rng = new Rng('fused-ops');
const data = (n: number, seed: string, scale = 1): Float32Array => rng.split(seed).normalArray(n).map((v) => v * scale);

async function on(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => fn().map((t) => tf.keep(t)));
  const read = outs.map((t) => Float32Array.from(t.dataSync()));
  outs.forEach((t) => t.dispose());
  return read;
}

function expectClose(actual: Float32Array[], expected: Float32Array[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    expect(a.length, `output ${i} length`).toBe(e.length);
    let worst = 0;
    let at = -1;
    for (let j = 0; j < a.length; j++) {
      const err = Math.abs(a[j]! - e[j]!) / (1 + Math.abs(e[j]!));
      if (!(err <= worst)) { worst = err; at = j; }
    }
    expect(worst, `output ${i}: element ${at} is ${a[at]} vs ${e[at]}`).toBeLessThanOrEqual(tol);
  });
}

/** Value and gradients of sum(op(inputs) · w) for a fixed random w, on cpu (tfjs path) and native (fused). */
/**
 * Run `body` on the native addon with every microkernel the CPU has (scalar, AVX2, AVX-512) and
 * 1 and 2 threads, then restore the addon's own ISA and thread count.
 */
async function onEveryIsaAndThreadCount(body: () => Promise<void>): Promise<void> {
  const { addon } = loadNativeAddon();
  const info = addon.info();
  const isas: NativeIsa[] = ['scalar'];
  if (info.avx2) isas.push('avx2');
  if (info.avx512) isas.push('avx512');
  try {
    for (const isa of isas) {
      expect(addon.setIsa(isa)).toBe(true);
      for (const threads of [1, 2]) {
        addon.setThreads(threads);
        await body();
      }
    }
  } finally {
    addon.setIsa(info.isa);
    addon.setThreads(info.threads);
  }
}

async function compareGrad(op: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Array<{ data: Float32Array; shape: number[] }>, tol = 2e-5): Promise<void> {
  const run = () => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
    const probe = op(...xs);
    const w = tf.tensor(data(probe.size, `w-${probe.shape.join('x')}`), probe.shape);
    const f = (...a: tf.Tensor[]) => tf.sum(tf.mul(op(...a), w)) as tf.Scalar;
    const grads = tf.grads(f)(xs);
    return [probe, ...grads];
  };
  const expected = await on('cpu', run);
  const actual = await on('native', run);
  expectClose(actual, expected, tol);
}

describe.skipIf(!status.available)('fused ops: native kernels vs the tfjs composition', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('dispatch: native on the native backend, tfjs elsewhere', async () => {
    await tf.setBackend('native');
    expect(fusedOpsNative()).toBe(true);
    await tf.setBackend('cpu');
    expect(fusedOpsNative()).toBe(false);
  });

  for (const [rows, cols] of [[1, 1], [7, 13], [3, 5, 33], [64, 256]] as number[][]) {
    it(`LayerNorm [${rows},${cols}] with and without bias (x, weight, bias gradients)`, async () => {
      const shape = cols === undefined ? [rows!] : [rows!, cols];
      const last = shape[shape.length - 1]!;
      const x = { data: data(shape.reduce((a, b) => a * b, 1), 'ln-x', 3), shape };
      const g = { data: data(last, 'ln-g'), shape: [last] };
      const b = { data: data(last, 'ln-b'), shape: [last] };
      await compareGrad((a, w, c) => fusedLayerNorm(a!, w!, c, 1e-5), [x, g, b], 5e-5);
      await compareGrad((a, w) => fusedLayerNorm(a!, w!, undefined, 1e-3), [x, g], 5e-5);
    });
  }

  it('LayerNorm on a rank-3 input', async () => {
    await compareGrad((a, w, c) => fusedLayerNorm(a!, w!, c, 1e-5), [{ data: data(2 * 3 * 17, 'ln3', 2), shape: [2, 3, 17] }, { data: data(17, 'ln3g'), shape: [17] }, { data: data(17, 'ln3b'), shape: [17] }], 5e-5);
  });

  for (const approximate of [true, false]) {
    it(`GELU (${approximate ? 'tanh' : 'erf'}) on odd shapes, including large |x|`, async () => {
      await compareGrad((a) => fusedGelu(a!, approximate), [{ data: data(3 * 7 * 11, `gelu-${approximate}`, 4), shape: [3, 7, 11] }], 2e-4);
      await compareGrad((a) => fusedGelu(a!, approximate), [{ data: Float32Array.from([-12, -3, -0.5, 0, 1e-4, 0.7, 3, 12]), shape: [8] }], 2e-4);
    });
  }

  it('attention softmax: scale and a broadcast causal mask, a full mask, no mask (gradient in scores)', async () => {
    const [b, h, t] = [2, 3, 5];
    const causal = new Float32Array(t * t).map((_, i) => (i % t > Math.floor(i / t) ? -1e9 : 0));
    const full = data(b * h * t * t, 'sm-full', 2);
    const x = { data: data(b * h * t * t, 'sm-x', 3), shape: [b, h, t, t] };
    await compareGrad((a) => fusedMaskedSoftmax(a!, 0.37, tf.tensor(causal, [1, 1, t, t])), [x], 5e-5);
    await compareGrad((a) => fusedMaskedSoftmax(a!, 0.37, tf.tensor(causal, [t, t])), [x], 5e-5);
    await compareGrad((a) => fusedMaskedSoftmax(a!, 1, tf.tensor(full, [b, h, t, t])), [x], 5e-5);
    await compareGrad((a) => fusedMaskedSoftmax(a!, 2), [{ data: data(7 * 11, 'sm-odd'), shape: [7, 11] }], 5e-5);
    // a mask over rows (padding, [B, 1, 1, S]) is not the fused layout: the tfjs path runs
    await compareGrad((a) => fusedMaskedSoftmax(a!, 0.5, tf.tensor(new Float32Array(b * t).fill(0), [b, 1, 1, t])), [x], 5e-5);
  });

  // Row blocks of 32 queries: T 37 and 70 end mid-block; hd 5 and 12 are not microkernel widths.
  for (const [b, t, heads, hd, scale] of [[1, 1, 1, 1, undefined], [2, 37, 3, 5, undefined], [3, 70, 2, 12, 0.3], [1, 64, 4, 32, undefined]] as Array<[number, number, number, number, number | undefined]>) {
    it(`causal self-attention B${b} T${t} ${heads} heads of ${hd}${scale ? ` scale ${scale}` : ''}: output and dqkv`, async () => {
      await compareGrad((x) => causalSelfAttention(x!, heads, scale), [{ data: data(b * t * 3 * heads * hd, `csa-${b}-${t}`, 1.5), shape: [b, t, 3 * heads * hd] }], 5e-5);
    });
  }

  it('causal self-attention equals a direct loop over heads (q, k, v side by side in qkv)', async () => {
    const [b, t, heads, hd] = [2, 4, 2, 3];
    const d = heads * hd;
    const x = data(b * t * 3 * d, 'csa-loop', 2);
    const want = new Float32Array(b * t * d);
    for (let bi = 0; bi < b; bi++) for (let h = 0; h < heads; h++) for (let i = 0; i < t; i++) {
      const at = (r: number, part: number, c: number) => x[(bi * t + r) * 3 * d + part * d + h * hd + c]!;
      const s = Array.from({ length: i + 1 }, (_, j) => Array.from({ length: hd }, (_, c) => at(i, 0, c) * at(j, 1, c)).reduce((p, q) => p + q, 0) / Math.sqrt(hd));
      const mx = Math.max(...s);
      const e = s.map((z) => Math.exp(z - mx));
      const z = e.reduce((p, q) => p + q, 0);
      for (let c = 0; c < hd; c++) want[(bi * t + i) * d + h * hd + c] = e.reduce((acc, w, j) => acc + (w / z) * at(j, 2, c), 0);
    }
    for (const backend of ['native', 'cpu']) {
      expectClose(await on(backend, () => [causalSelfAttention(tf.tensor(x, [b, t, 3 * d]), heads)]), [want], 1e-5);
    }
    await tf.setBackend('native');
    expect(() => causalSelfAttention(tf.zeros([1, 2, 10]), 2)).toThrow(/not 3 × 2 heads/);
  });

  it('sum of squares over several tensors (spans of 16K elements, empty tensors) matches tfjs', async () => {
    const sizes = [1, 0, 16384, 16385, 40000, 7];
    const arrays = sizes.map((n, i) => data(n, `ss-${i}`, 3));
    let want = 0;
    for (const a of arrays) for (const v of a) want += v * v;
    for (const backend of ['native', 'cpu']) {
      await tf.setBackend(backend);
      const ts = arrays.map((a) => tf.tensor1d(a));
      expect(Math.abs(sumOfSquares(ts) - want) / want).toBeLessThan(1e-6);
      tf.dispose(ts);
    }
    expect(sumOfSquares([])).toBe(0);
  });

  for (const smoothing of [0, 0.1]) {
    it(`softmax cross-entropy rows (ε = ${smoothing}), ignored targets, large logits`, async () => {
      const n = 9;
      const c = 37;
      const targets = [0, 36, 5, -100, 12, 40, 3, 3, 20];
      const x = data(n * c, `xe-${smoothing}`, 5);
      x[2 * c + 7] = 80; // a dominant logit: the log-sum-exp must stay finite
      await compareGrad((a) => softmaxCrossEntropyRows(a!, targets, { labelSmoothing: smoothing }), [{ data: x, shape: [n, c] }], 5e-5);
    });
  }

  it('softmax cross-entropy: the per-row loss equals −log softmax at the target', async () => {
    await tf.setBackend('native');
    const x = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
    const got = softmaxCrossEntropyRows(x, [2, 1]).dataSync();
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(got[0]).toBeCloseTo(lse - 3, 5);
    expect(got[1]).toBeCloseTo(Math.log(3), 5);
    x.dispose();
    expect(() => softmaxCrossEntropyRows(tf.zeros([2, 3]), [1])).toThrow(/1 targets for 2 rows/);
  });

  for (const [T, B, H, reverse, lengths] of [
    [1, 1, 1, false, undefined],
    [5, 3, 7, false, undefined],
    [6, 4, 5, true, undefined],
    [7, 3, 6, false, [7, 2, 5]],
    [7, 3, 6, true, [1, 7, 4]],
  ] as Array<[number, number, number, boolean, number[] | undefined]>) {
    it(`LSTM sequence T${T} B${B} H${H}${reverse ? ' reverse' : ''}${lengths ? ` lengths ${lengths}` : ''}: outputs, final state, all gradients`, async () => {
      await compareGrad((x, h, c, w) => lstmSequence(x!, h!, c!, w!, { reverse, lengths }), [
        { data: data(T * B * 4 * H, 'lx'), shape: [T, B, 4 * H] },
        { data: data(B * H, 'lh', 0.5), shape: [B, H] },
        { data: data(B * H, 'lc', 0.5), shape: [B, H] },
        { data: data(H * 4 * H, 'lw', 0.4), shape: [H, 4 * H] },
      ], 5e-5);
    });
  }

  // Batch-major layout and the bias folded into the kernel, on shapes that cut into several unit
  // blocks (H past one vector of lanes, not a multiple of it), row chunks with a remainder, and
  // sizes large enough for the threaded path; under every instruction set and 1 or 2 threads.
  const lstmCases: Array<[number, number, number, boolean, number[] | undefined]> = [
    [4, 3, 5, false, undefined],
    [5, 7, 19, true, [5, 1, 3, 5, 2, 4, 5]],
    [6, 13, 37, false, [6, 6, 1, 2, 3, 4, 5, 6, 6, 2, 1, 3, 6]],
    [3, 20, 70, true, undefined],
  ];
  for (const [T, B, H, reverse, lengths] of lstmCases) {
    it(`LSTM sequence batch-first with bias T${T} B${B} H${H}${reverse ? ' reverse' : ''}${lengths ? ' lengths' : ''}: every ISA, 1 and 2 threads`, async () => {
      const inputs = [
        { data: data(B * T * 4 * H, 'bx'), shape: [B, T, 4 * H] },
        { data: data(B * H, 'bh', 0.5), shape: [B, H] },
        { data: data(B * H, 'bc', 0.5), shape: [B, H] },
        { data: data(H * 4 * H, 'bw', 0.3), shape: [H, 4 * H] },
        { data: data(4 * H, 'bb', 0.5), shape: [4 * H] },
      ];
      await onEveryIsaAndThreadCount(() => compareGrad((x, h, c, w, b) => lstmSequence(x!, h!, c!, w!, { reverse, lengths, bias: b, batchFirst: true }), inputs, 5e-5));
      // step-major with a bias, and batch-first without one
      await compareGrad((x, h, c, w, b) => lstmSequence(tf.transpose(x!, [1, 0, 2]), h!, c!, w!, { reverse, lengths, bias: b }), inputs, 5e-5);
      await compareGrad((x, h, c, w) => lstmSequence(x!, h!, c!, w!, { reverse, lengths, batchFirst: true }), inputs.slice(0, 4), 5e-5);
    });
  }

  // The layer op (input projection inside each step's product): F and H on either side of the
  // panel widths, both layouts, both directions, masking, every ISA, 1 and 2 threads.
  const layerCases: Array<[number, number, number, number, boolean, boolean, number[] | undefined]> = [
    [3, 2, 1, 1, false, false, undefined],
    [5, 7, 11, 19, true, true, [5, 1, 3, 5, 2, 4, 5]],
    [4, 9, 70, 6, false, true, [4, 4, 1, 2, 3, 4, 4, 2, 1]],
    [3, 20, 40, 70, true, false, undefined],
  ];
  for (const [T, B, F, H, reverse, batchFirst, lengths] of layerCases) {
    it(`LSTM layer T${T} B${B} F${F} H${H}${reverse ? ' reverse' : ''}${batchFirst ? ' batch-first' : ''}${lengths ? ' lengths' : ''}: outputs and every gradient`, async () => {
      const { addon } = loadNativeAddon();
      const info = addon.info();
      const inputs = [
        { data: data(T * B * F, 'lx'), shape: batchFirst ? [B, T, F] : [T, B, F] },
        { data: data(4 * H * F, 'lwi', 0.3), shape: [4 * H, F] },
        { data: data(4 * H * H, 'lwh', 0.3), shape: [4 * H, H] },
        { data: data(B * H, 'lh0', 0.5), shape: [B, H] },
        { data: data(B * H, 'lc0', 0.5), shape: [B, H] },
        { data: data(4 * H, 'lb', 0.5), shape: [4 * H] },
      ];
      await onEveryIsaAndThreadCount(() => compareGrad((x, wi, wh, h, c, b) => lstmLayer(x!, wi!, wh!, h!, c!, { bias: b, reverse, lengths, batchFirst }), inputs, 5e-5));
      try {
        await compareGrad((x, wi, wh, h, c) => lstmLayer(x!, wi!, wh!, h!, c!, { reverse, lengths, batchFirst }), inputs.slice(0, 5), 5e-5);
        // only the final state: [B, 2, H] / [2, B, H], no per-step outputs stored or differentiated
        for (const threads of [1, 2]) {
          addon.setThreads(threads);
          await compareGrad((x, wi, wh, h, c, b) => lstmLayer(x!, wi!, wh!, h!, c!, { bias: b, reverse, lengths, batchFirst, sequence: false }), inputs, 5e-5);
        }
        // two directions over the same input before either backward (the scratch arrays they keep must not mix)
        await compareGrad((x, wi, wh, h, c, b) => tf.add(lstmLayer(x!, wi!, wh!, h!, c!, { bias: b, lengths, batchFirst }), tf.mul(lstmLayer(x!, wi!, wh!, h!, c!, { bias: b, lengths, batchFirst, reverse: true }), 0.5)), inputs, 5e-5);
      } finally {
        addon.setThreads(info.threads);
      }
    });
  }

  it('LSTM layer with forced work stealing (items run twice, at once) gives the same values and gradients', async () => {
    const { addon } = loadNativeAddon();
    const info = addon.info();
    // long enough that the pool's second thread joins while the sequence is still running
    const [T, B, F, H] = [150, 20, 40, 70];
    const lengths = [150, 150, 1, 2, 30, 40, 50, 60, 150, 20, 1, 3, 149, 150, 150, 5, 4, 100, 2, 1];
    const inputs = [
      { data: data(T * B * F, 'sx'), shape: [B, T, F] },
      { data: data(4 * H * F, 'swi', 0.3), shape: [4 * H, F] },
      { data: data(4 * H * H, 'swh', 0.3), shape: [4 * H, H] },
      { data: data(B * H, 'sh0', 0.5), shape: [B, H] },
      { data: data(B * H, 'sc0', 0.5), shape: [B, H] },
      { data: data(4 * H, 'sb', 0.5), shape: [4 * H] },
    ];
    const op = (x: tf.Tensor, wi: tf.Tensor, wh: tf.Tensor, h: tf.Tensor, c: tf.Tensor, b: tf.Tensor) =>
      tf.add(lstmLayer(x, wi, wh, h, c, { bias: b, lengths, batchFirst: true }), lstmLayer(x, wi, wh, h, c, { bias: b, lengths, batchFirst: true, reverse: true }));
    const run = () => {
      const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
      const w = tf.tensor(data(B * (T + 2) * H, 'sw'), [B, T + 2, H]);
      const f = (...a: tf.Tensor[]) => tf.sum(tf.mul(op(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!), w)) as tf.Scalar;
      return [op(xs[0]!, xs[1]!, xs[2]!, xs[3]!, xs[4]!, xs[5]!), ...tf.grads(f)(xs)];
    };
    try {
      addon.setThreads(2);
      const plain = await on('native', run);
      process.env.LLM_NATIVE_LSTM_STEAL_NS = '0';
      for (let rep = 0; rep < 3; rep++) expectClose(await on('native', run), plain, 1e-6);
    } finally {
      delete process.env.LLM_NATIVE_LSTM_STEAL_NS;
      addon.setThreads(info.threads);
    }
  });

  it('LSTM layer equals lstmSequence of the projected input; rejects bad shapes', async () => {
    await tf.setBackend('native');
    const [T, B, F, H] = [4, 3, 5, 6];
    const x = tf.tensor(data(B * T * F, 'le-x'), [B, T, F]);
    const wi = tf.tensor(data(4 * H * F, 'le-wi', 0.3), [4 * H, F]);
    const wh = tf.tensor(data(4 * H * H, 'le-wh', 0.3), [4 * H, H]);
    const b = tf.tensor(data(4 * H, 'le-b'), [4 * H]);
    const h = tf.zeros([B, H]);
    const layer = lstmLayer(x, wi, wh, h, h, { bias: b, batchFirst: true, lengths: [4, 1, 3] });
    const proj = tf.reshape(tf.matMul(tf.reshape(x, [B * T, F]), wi, false, true), [B, T, 4 * H]);
    const seq = lstmSequence(proj, h, h, tf.transpose(wh), { bias: b, batchFirst: true, lengths: [4, 1, 3] });
    expect(layer.shape).toEqual([B, T + 2, H]);
    expectClose([Float32Array.from(layer.dataSync())], [Float32Array.from(seq.dataSync())], 1e-5);
    const final = lstmLayer(x, wi, wh, h, h, { bias: b, batchFirst: true, lengths: [4, 1, 3], sequence: false });
    expect(final.shape).toEqual([B, 2, H]);
    expectClose([Float32Array.from(final.dataSync())], [Float32Array.from(tf.slice(layer, [0, T, 0], [B, 2, H]).dataSync())], 1e-6);
    expect(() => lstmLayer(x, wh, wh, h, h, { batchFirst: true })).toThrow(/do not agree/);
    expect(() => lstmLayer(x, wi, wh, h, h, { batchFirst: true, lengths: [1, 2] })).toThrow(/2 lengths for a batch of 3/);
  });

  it('LSTM sequence batch-first equals the step-major layout transposed', async () => {
    await tf.setBackend('native');
    const [T, B, H] = [5, 3, 4];
    const x = tf.tensor(data(B * T * 4 * H, 'eq-x'), [B, T, 4 * H]);
    const h = tf.tensor(data(B * H, 'eq-h'), [B, H]);
    const c = tf.tensor(data(B * H, 'eq-c'), [B, H]);
    const w = tf.tensor(data(H * 4 * H, 'eq-w', 0.3), [H, 4 * H]);
    const bf = lstmSequence(x, h, c, w, { batchFirst: true, lengths: [5, 2, 4] });
    const sm = lstmSequence(tf.transpose(x, [1, 0, 2]), h, c, w, { lengths: [5, 2, 4] });
    expect(bf.shape).toEqual([B, T + 2, H]);
    expectClose([Float32Array.from(bf.dataSync())], [Float32Array.from(tf.transpose(sm, [1, 0, 2]).dataSync())], 1e-6);
    expect(() => lstmSequence(x, h, c, w, { batchFirst: true, bias: tf.zeros([4 * H + 1]) })).toThrow(/do not agree/);
  });

  it('LSTM sequence rejects mismatched shapes', async () => {
    await tf.setBackend('native');
    expect(() => lstmSequence(tf.zeros([2, 3, 8]), tf.zeros([3, 2]), tf.zeros([3, 2]), tf.zeros([2, 7]))).toThrow(/do not agree/);
  });

  it('AdamW step: same parameters and moments as the tfjs path over several steps, with and without decay, with a gradient scale, moments in place', async () => {
    const init = data(41, 'aw-init');
    const grads = [0, 1, 2].map((s) => data(41, `aw-g${s}`));
    const run = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const out: Float32Array[] = [];
      for (const [wd, inPlaceMoments] of [[0, false], [0.1, false], [0.1, true]] as const) {
        const p = tf.variable(tf.tensor1d(init), true);
        const m = tf.tidy(() => tf.variable(tf.zeros([41]), false));
        const v = tf.tidy(() => tf.variable(tf.zeros([41]), false));
        const mId = m.dataId;
        grads.forEach((g, i) => {
          const gt = tf.tensor1d(g);
          // a clipping coefficient folded into the step on the last one
          adamwStep(p, m, v, gt, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, step: i + 1, gradScale: i === 2 ? 0.37 : undefined, inPlaceMoments });
          gt.dispose();
        });
        // in place on the native backend: m keeps its storage; otherwise it is assigned new tensors
        expect(m.dataId === mId).toBe(inPlaceMoments && backend === 'native');
        out.push(Float32Array.from(p.dataSync()), Float32Array.from(m.dataSync()), Float32Array.from(v.dataSync()));
        tf.dispose([p, m, v]);
      }
      return out;
    };
    expectClose(await run('native'), await run('cpu'), 1e-6);
  });
});

describe.skipIf(!status.available)('tf.train.adam on the native backend', () => {
  it('is the fused optimizer and matches tfjs Adam on the cpu backend over several steps (array and map gradients)', async () => {
    await initBackend();
    const init = data(29, 'ta-init');
    const init2 = data(6, 'ta-init2');
    const target = data(29, 'ta-target');
    const run = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const w = tf.variable(tf.tensor1d(init), true, `ta_w_${backend}`);
      const b = tf.variable(tf.tensor2d(init2, [2, 3]), true, `ta_b_${backend}`);
      const t = tf.tensor1d(target);
      const opt = tf.train.adam(0.05);
      expect(opt).toBeInstanceOf(FusedAdamOptimizer);
      for (let i = 0; i < 4; i++) {
        const { grads, value } = tf.variableGrads(() => tf.add(tf.sum(tf.square(tf.sub(w, t))), tf.sum(tf.mul(b, b))) as tf.Scalar);
        if (i % 2 === 0) opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
        else opt.applyGradients([{ name: w.name, tensor: grads[w.name]! }, { name: b.name, tensor: grads[b.name]! }]);
        tf.dispose([value, ...Object.values(grads)]);
      }
      const weights = await opt.getWeights();
      const out = [Float32Array.from(w.dataSync()), Float32Array.from(b.dataSync()), ...weights.map((x) => Float32Array.from(x.tensor.dataSync()))];
      expect(opt.iterations).toBe(4);
      tf.dispose([w, b, t]);
      opt.dispose();
      return out;
    };
    expectClose(await run('native'), await run('cpu'), 1e-5);
  });
});

describe('fused ops: fallback without the addon', () => {
  it('run as tfjs compositions on the cpu backend', async () => {
    await initBackend();
    await tf.setBackend('cpu');
    const y = tf.tidy(() => fusedLayerNorm(tf.tensor2d([[1, 2, 3]]), tf.ones([3]), tf.zeros([3]), 1e-5).dataSync());
    expect(y[0]).toBeCloseTo(-1.2247, 3);
    const l = tf.tidy(() => softmaxCrossEntropyRows(tf.tensor2d([[0, 0]]), [1]).dataSync());
    expect(l[0]).toBeCloseTo(Math.log(2), 5);
    const s = tf.tidy(() => lstmSequence(tf.zeros([2, 1, 4]), tf.zeros([1, 1]), tf.ones([1, 1]), tf.zeros([1, 4])).dataSync());
    // f = σ(0) = 0.5 halves c each step: c = 0.25 after two steps; h = 0.5·tanh(c)
    expect(s[3]).toBeCloseTo(0.25, 6);
    expect(s[2]).toBeCloseTo(0.5 * Math.tanh(0.25), 6);
  });
});
