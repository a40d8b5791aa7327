import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { tf } from './tf.js';
import { initBackend } from './select.js';
import { adamwStep, causalSelfAttention, fusedGelu, fusedLayerNorm, fusedMaskedSoftmax, fusedOpsNative, lstmSequence, softmaxCrossEntropyRows, sumOfSquares } from './fused.js';
import { FusedAdamOptimizer, nativeStatus } from './native.js';

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
