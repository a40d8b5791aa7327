import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, Rng, initBackend, tf } from '@llm/core';
import type { Tensor3D } from '@llm/core';
import { RecurrentLayer, kerasToTorch, torchToKeras, type KerasWeights } from '../src/index.js';

beforeAll(async () => { await initBackend(); });

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** Keras's equations, written out in plain JS on Keras-layout weights: x·kernel + h·recurrent_kernel. */
function kerasRun(kind: 'lstm' | 'gru', w: Required<KerasWeights>, xs: number[][], H: number): number[] {
  const F = xs[0]!.length;
  const G = kind === 'lstm' ? 4 : 3;
  let h = new Array<number>(H).fill(0);
  let c = new Array<number>(H).fill(0);
  const bIn = (j: number) => (kind === 'gru' ? w.bias.data[j]! : w.bias.data[j]!);
  const bRec = (j: number) => (kind === 'gru' ? w.bias.data[G * H + j]! : 0);
  for (const x of xs) {
    const xk = new Array<number>(G * H).fill(0);
    const hk = new Array<number>(G * H).fill(0);
    for (let j = 0; j < G * H; j++) {
      for (let f = 0; f < F; f++) xk[j]! += x[f]! * w.kernel.data[f * G * H + j]!;
      xk[j]! += bIn(j);
      for (let k = 0; k < H; k++) hk[j]! += h[k]! * w.recurrentKernel.data[k * G * H + j]!;
      hk[j]! += bRec(j);
    }
    const nh = new Array<number>(H);
    const nc = new Array<number>(H);
    for (let j = 0; j < H; j++) {
      if (kind === 'lstm') { // Keras blocks: i, f, c, o
        const i = sig(xk[j]! + hk[j]!), f = sig(xk[H + j]! + hk[H + j]!), g = Math.tanh(xk[2 * H + j]! + hk[2 * H + j]!), o = sig(xk[3 * H + j]! + hk[3 * H + j]!);
        nc[j] = f * c[j]! + i * g;
        nh[j] = o * Math.tanh(nc[j]!);
      } else { // Keras blocks: z, r, h (reset_after=True)
        const z = sig(xk[j]! + hk[j]!), r = sig(xk[H + j]! + hk[H + j]!);
        const cand = Math.tanh(xk[2 * H + j]! + r * hk[2 * H + j]!);
        nh[j] = z * h[j]! + (1 - z) * cand;
      }
    }
    h = nh;
    if (kind === 'lstm') c = nc;
  }
  return h;
}

describe('Keras weight layout mapping', () => {
  for (const kind of ['lstm', 'gru'] as const) {
    it(`${kind}: Keras weights converted to PyTorch layout give Keras's outputs, and convert back`, async () => {
      const F = 3, H = 4, T = 5, G = kind === 'lstm' ? 4 : 3;
      const r = new Rng(kind === 'lstm' ? 1 : 2);
      const arr = (n: number) => Float32Array.from({ length: n }, () => r.uniform(-0.6, 0.6));
      const keras: Required<KerasWeights> = {
        kernel: { shape: [F, G * H], data: arr(F * G * H) },
        recurrentKernel: { shape: [H, G * H], data: arr(H * G * H) },
        bias: kind === 'gru' ? { shape: [2, G * H], data: arr(2 * G * H) } : { shape: [G * H], data: arr(G * H) },
      };
      const t = kerasToTorch(kind, keras);
      const layer = new RecurrentLayer({ kind, inputSize: F, hiddenSize: H });
      layer.loadStateDict(new Map([['weight_ih_l0', t.weightIh], ['weight_hh_l0', t.weightHh], ['bias_ih_l0', t.biasIh], ['bias_hh_l0', t.biasHh]]));
      const xs = Array.from({ length: T }, () => Array.from(arr(F)));
      const res = layer.forward(tf.tensor3d([xs]) as Tensor3D, { returnSequences: false });
      const ours = Array.from(await res.state.h.data());
      const ref = kerasRun(kind, keras, xs, H);
      ours.forEach((v, j) => expect(Math.abs(v - ref[j]!)).toBeLessThan(1e-5));
      const back = torchToKeras(kind, t);
      expect(Array.from(back.kernel.data)).toEqual(Array.from(keras.kernel.data));
      expect(Array.from(back.recurrentKernel.data)).toEqual(Array.from(keras.recurrentKernel.data));
      if (kind === 'gru') expect(Array.from(back.bias.data)).toEqual(Array.from(keras.bias.data));
      layer.dispose();
    });
  }

  it('refuses a reset_after=False GRU bias, which PyTorch cannot express', () => {
    const z = (n: number) => new Float32Array(n);
    expect(() => kerasToTorch('gru', { kernel: { shape: [2, 6], data: z(12) }, recurrentKernel: { shape: [2, 6], data: z(12) }, bias: { shape: [6], data: z(6) } })).toThrow(ConfigError);
  });
});
