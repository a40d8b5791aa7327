import { tf } from '@llm/core';
import type { Tensor1D, Tensor2D } from '@llm/core';
import { linearT, matMulFast } from './fast.js';

/**
 * The three recurrent cells, one time step each, written with plain tensor ops so every gate is
 * visible. Weights use PyTorch's layout: `weightIh` is `[G·H, input]`, `weightHh` is `[G·H, H]`,
 * the biases `[G·H]`, where G is the number of gate blocks stacked along the first axis:
 *
 * | cell | G | blocks, in order along the first axis |
 * |---|---|---|
 * | SimpleRNN | 1 | the candidate |
 * | LSTM | 4 | i (input), f (forget), g (cell candidate), o (output) |
 * | GRU | 3 | r (reset), z (update), n (new) |
 *
 * Every step takes `xProj = x·W_ihᵀ + b_ih` already computed (the layer projects the whole
 * sequence in one matrix product, which is the fast way); {@link projectInput} makes it for one
 * step when calling a cell by hand.
 */

/** One layer-direction's parameters in PyTorch's layout. */
export interface CellWeights {
  /** `[G·H, input]`. */
  weightIh: Tensor2D;
  /** `[G·H, H]`. */
  weightHh: Tensor2D;
  /** `[G·H]`, or absent when the layer has no bias. */
  biasIh?: Tensor1D;
  /** `[G·H]`, or absent when the layer has no bias. */
  biasHh?: Tensor1D;
  /** `weightHhᵀ`, when the caller transposed it once for a whole sequence (an optimisation; see {@link matMulFast}). */
  weightHhT?: Tensor2D;
}

/** Which cell. */
export type CellKind = 'rnn' | 'lstm' | 'gru';

/** Gate blocks per cell: the G in `[G·H, input]`. */
export const GATE_COUNT: Readonly<Record<CellKind, number>> = { rnn: 1, lstm: 4, gru: 3 };

/** Names of the gate blocks in PyTorch order, as stacked along the weights' first axis. */
export const GATE_NAMES: Readonly<Record<CellKind, readonly string[]>> = {
  rnn: ['h'],
  lstm: ['i', 'f', 'g', 'o'],
  gru: ['r', 'z', 'n'],
};

/** `x·W_ihᵀ + b_ih` for a batch of single steps `x` `[B, input]` → `[B, G·H]`. */
export function projectInput(x: Tensor2D, w: CellWeights): Tensor2D {
  const p = linearT(x, w.weightIh);
  return (w.biasIh ? tf.add(p, w.biasIh) : p) as Tensor2D;
}

function projectHidden(h: Tensor2D, w: CellWeights): Tensor2D {
  const p = w.weightHhT ? matMulFast(h, w.weightHhT) : linearT(h, w.weightHh);
  return (w.biasHh ? tf.add(p, w.biasHh) : p) as Tensor2D;
}

/** Elman RNN step: `h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)` with `act` tanh (default) or relu. */
export function rnnStep(xProj: Tensor2D, h: Tensor2D, w: CellWeights, nonlinearity: 'tanh' | 'relu' = 'tanh'): Tensor2D {
  const pre = tf.add<Tensor2D>(xProj, projectHidden(h, w));
  return nonlinearity === 'relu' ? tf.relu(pre) : tf.tanh(pre);
}

/**
 * LSTM step (PyTorch's equations):
 * ```
 * i = σ(W_ii x + b_ii + W_hi h + b_hi)     input gate
 * f = σ(W_if x + b_if + W_hf h + b_hf)     forget gate
 * g = tanh(W_ig x + b_ig + W_hg h + b_hg)  cell candidate
 * o = σ(W_io x + b_io + W_ho h + b_ho)     output gate
 * c' = f ⊙ c + i ⊙ g
 * h' = o ⊙ tanh(c')
 * ```
 */
export function lstmStep(xProj: Tensor2D, h: Tensor2D, c: Tensor2D, w: CellWeights): { h: Tensor2D; c: Tensor2D } {
  const gates = tf.add<Tensor2D>(xProj, projectHidden(h, w));
  const [gi, gf, gg, go] = tf.split(gates, 4, 1) as [Tensor2D, Tensor2D, Tensor2D, Tensor2D];
  const i = tf.sigmoid(gi);
  const f = tf.sigmoid(gf);
  const g = tf.tanh(gg);
  const o = tf.sigmoid(go);
  const cNext = tf.add(tf.mul(f, c), tf.mul(i, g)) as Tensor2D;
  const hNext = tf.mul(o, tf.tanh(cNext)) as Tensor2D;
  return { h: hNext, c: cNext };
}

/**
 * GRU step (PyTorch's equations; Keras calls this `reset_after=True`):
 * ```
 * r = σ(W_ir x + b_ir + W_hr h + b_hr)            reset gate
 * z = σ(W_iz x + b_iz + W_hz h + b_hz)            update gate
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   new gate: the reset scales the projected state
 * h' = (1 − z) ⊙ n + z ⊙ h
 * ```
 */
export function gruStep(xProj: Tensor2D, h: Tensor2D, w: CellWeights): Tensor2D {
  const hProj = projectHidden(h, w);
  const [xr, xz, xn] = tf.split(xProj, 3, 1) as Tensor2D[];
  const [hr, hz, hn] = tf.split(hProj, 3, 1) as Tensor2D[];
  const r = tf.sigmoid(tf.add(xr, hr));
  const z = tf.sigmoid(tf.add(xz, hz));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  // (1 − z)·n + z·h  =  n + z·(h − n)
  return tf.add<Tensor2D>(n, tf.mul(z, tf.sub(h, n)));
}

/** SimpleRNN cell on one input step `x` `[B, input]`: projects `x`, then {@link rnnStep}. */
export function rnnCell(x: Tensor2D, h: Tensor2D, w: CellWeights, nonlinearity: 'tanh' | 'relu' = 'tanh'): Tensor2D {
  return rnnStep(projectInput(x, w), h, w, nonlinearity);
}

/** LSTM cell on one input step `x` `[B, input]`: projects `x`, then {@link lstmStep}. */
export function lstmCell(x: Tensor2D, h: Tensor2D, c: Tensor2D, w: CellWeights): { h: Tensor2D; c: Tensor2D } {
  return lstmStep(projectInput(x, w), h, c, w);
}

/** GRU cell on one input step `x` `[B, input]`: projects `x`, then {@link gruStep}. */
export function gruCell(x: Tensor2D, h: Tensor2D, w: CellWeights): Tensor2D {
  return gruStep(projectInput(x, w), h, w);
}

/**
 * The LSTM step as one differentiable op with its backward pass written out — the same numbers
 * as {@link lstmStep}, in about half the kernel launches (the layer uses it; tfjs's tape then
 * records one node per step instead of a dozen). State travels packed as `hc = [h | c]` `[B, 2H]`;
 * `xProj` already holds `x·W_ihᵀ + b_ih + b_hh`, and `whhT` is `W_hhᵀ` `[H, 4H]`.
 *
 * Backward, from `dh'` and `dc'`:
 * ```
 * dc  = dc' + dh' ⊙ o ⊙ (1 − tanh²c')        the cell's total gradient
 * do = dh' ⊙ tanh c'   di = dc ⊙ g   dg = dc ⊙ i   df = dc ⊙ c_prev   dc_prev = dc ⊙ f
 * dgates = [di ⊙ i(1−i), df ⊙ f(1−f), dg ⊙ (1−g²), do ⊙ o(1−o)]
 * dxProj = dgates    dh_prev = dgates · W_hh    dW_hhᵀ = h_prevᵀ · dgates
 * ```
 */
export const lstmStepPacked: (xProj: Tensor2D, hc: Tensor2D, whhT: Tensor2D) => Tensor2D = tf.customGrad(((xProj: Tensor2D, hc: Tensor2D, whhT: Tensor2D, save: tf.GradSaveFunc) => {
  const H = whhT.shape[0];
  const [h, c] = tf.split(hc, 2, 1) as Tensor2D[];
  const gates = tf.add(xProj, tf.matMul(h!, whhT));
  const [gi, gf, gg, go] = tf.split(gates, 4, 1) as Tensor2D[];
  const i = tf.sigmoid(gi!);
  const f = tf.sigmoid(gf!);
  const g = tf.tanh(gg!);
  const o = tf.sigmoid(go!);
  const cNext = tf.add(tf.mul(f, c!), tf.mul(i, g));
  const tc = tf.tanh(cNext);
  const hNext = tf.mul(o, tc);
  save([h!, c!, i, f, g, o, tc, whhT]);
  return {
    value: tf.concat([hNext, cNext], 1),
    gradFunc: (dy: Tensor2D, saved: Tensor2D[]) => {
      const [sh, sc, si, sf, sg, so, stc, sw] = saved as [Tensor2D, Tensor2D, Tensor2D, Tensor2D, Tensor2D, Tensor2D, Tensor2D, Tensor2D];
      const [dh, dcn] = tf.split(dy, [H, H], 1) as Tensor2D[];
      const dc = tf.add(dcn!, tf.mul(tf.mul(dh!, so), tf.sub(1, tf.square(stc))));
      const dO = tf.mul(dh!, stc);
      const dI = tf.mul(dc, sg);
      const dG = tf.mul(dc, si);
      const dF = tf.mul(dc, sc);
      const dcPrev = tf.mul(dc, sf);
      const dgates = tf.concat([
        tf.mul(dI, tf.mul(si, tf.sub(1, si))),
        tf.mul(dF, tf.mul(sf, tf.sub(1, sf))),
        tf.mul(dG, tf.sub(1, tf.square(sg))),
        tf.mul(dO, tf.mul(so, tf.sub(1, so))),
      ], 1) as Tensor2D;
      const dhPrev = tf.matMul(dgates, tf.transpose(sw));
      const dW = tf.matMul(tf.transpose(sh), dgates);
      return [dgates, tf.concat([dhPrev, dcPrev], 1), dW];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (xProj: Tensor2D, hc: Tensor2D, whhT: Tensor2D) => Tensor2D;
