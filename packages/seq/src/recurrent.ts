import { ConfigError, InputError, Rng, lstmLayer, tf } from '@llm/core';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, Variable } from '@llm/core';
import { linearT, stackFast, unstackFast } from './fast.js';
import { GATE_COUNT, gruStep, rnnStep, type CellKind, type CellWeights } from './cells.js';

/**
 * A recurrent layer (SimpleRNN, LSTM or GRU): stacked, optionally bidirectional, with dropout
 * between layers, variable-length batches with PyTorch's packed-sequence semantics, an initial
 * state, and parameters named exactly as PyTorch's `state_dict` names them.
 */

/** Configuration of a {@link RecurrentLayer}; the field names follow PyTorch's constructor. */
export interface RecurrentConfig {
  /** Which cell. */
  kind: CellKind;
  /** Features per input step. */
  inputSize: number;
  /** Units in the state. */
  hiddenSize: number;
  /** Stacked layers. Default 1. */
  numLayers?: number;
  /** Run a second layer from the end backwards and concatenate. Default false. */
  bidirectional?: boolean;
  /** Dropout probability on each layer's output except the last, when training. Default 0. */
  dropout?: number;
  /** SimpleRNN only: `tanh` (default) or `relu`. */
  nonlinearity?: 'tanh' | 'relu';
  /** Use `bias_ih`/`bias_hh`. Default true. */
  bias?: boolean;
}

/** The recurrent state: `h` `[numLayers·D, B, H]` and, for LSTM, `c` of the same shape (D = 2 if bidirectional). */
export interface RecurrentState {
  h: Tensor3D;
  c?: Tensor3D;
}

/** Options for {@link RecurrentLayer.forward}. */
export interface ForwardOptions {
  /**
   * True length of each sequence in the batch (padding at the end). Steps past a sequence's
   * length leave its state untouched and output zeros, so the final state is the state at the
   * true length, and the reverse direction starts at each sequence's true end — what PyTorch
   * computes for a `pack_padded_sequence`. Default: every sequence is full length.
   */
  lengths?: ArrayLike<number>;
  /** Initial state, `[numLayers·D, B, H]` (and `c` for LSTM). Default zeros. */
  initialState?: RecurrentState;
  /** Apply dropout between layers. Default false. */
  training?: boolean;
  /** Draws the dropout masks (required for determinism when `training` and `dropout > 0`). */
  rng?: Rng;
  /** Also return the full output sequence (default true); false returns only the final state. */
  returnSequences?: boolean;
}

/** What {@link RecurrentLayer.forward} returns. */
export interface ForwardResult {
  /** `[B, T, D·H]`: the last layer's output at every step (zeros past each length); absent when `returnSequences` is false. */
  output?: Tensor3D;
  /** Final state of every layer and direction, PyTorch's `h_n` (and `c_n`). */
  state: RecurrentState;
}

/** PyTorch's parameter names of layer `layer`, direction `reverse`. */
export function paramNames(layer: number, reverse: boolean): { weightIh: string; weightHh: string; biasIh: string; biasHh: string } {
  const s = `_l${layer}${reverse ? '_reverse' : ''}`;
  return { weightIh: `weight_ih${s}`, weightHh: `weight_hh${s}`, biasIh: `bias_ih${s}`, biasHh: `bias_hh${s}` };
}

/** The shape of every parameter of a configuration, keyed by its PyTorch name, in PyTorch's order. */
export function parameterShapes(config: RecurrentConfig): Map<string, number[]> {
  const c = normalizeConfig(config);
  const G = GATE_COUNT[c.kind];
  const D = c.bidirectional ? 2 : 1;
  const out = new Map<string, number[]>();
  for (let l = 0; l < c.numLayers; l++) {
    const inSize = l === 0 ? c.inputSize : c.hiddenSize * D;
    for (let d = 0; d < D; d++) {
      const n = paramNames(l, d === 1);
      out.set(n.weightIh, [G * c.hiddenSize, inSize]);
      out.set(n.weightHh, [G * c.hiddenSize, c.hiddenSize]);
      if (c.bias) {
        out.set(n.biasIh, [G * c.hiddenSize]);
        out.set(n.biasHh, [G * c.hiddenSize]);
      }
    }
  }
  return out;
}

/** A config with every default filled in. */
export type FullRecurrentConfig = Required<RecurrentConfig>;

/** Fill defaults and validate; a {@link ConfigError} names the bad field. */
export function normalizeConfig(config: RecurrentConfig): FullRecurrentConfig {
  const c: FullRecurrentConfig = {
    kind: config.kind,
    inputSize: config.inputSize,
    hiddenSize: config.hiddenSize,
    numLayers: config.numLayers ?? 1,
    bidirectional: config.bidirectional ?? false,
    dropout: config.dropout ?? 0,
    nonlinearity: config.nonlinearity ?? 'tanh',
    bias: config.bias ?? true,
  };
  if (!(c.kind in GATE_COUNT)) throw new ConfigError(`kind must be rnn, lstm or gru, got ${JSON.stringify(c.kind)}`, { field: 'kind' });
  for (const f of ['inputSize', 'hiddenSize', 'numLayers'] as const) {
    if (!Number.isInteger(c[f]) || c[f] < 1) throw new ConfigError(`${f} must be a positive integer, got ${c[f]}`, { field: f });
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new ConfigError(`dropout must be in [0, 1), got ${c.dropout}`, { field: 'dropout' });
  if (c.nonlinearity !== 'tanh' && c.nonlinearity !== 'relu') throw new ConfigError(`nonlinearity must be tanh or relu`, { field: 'nonlinearity' });
  return c;
}

/**
 * A stacked, optionally bidirectional SimpleRNN / LSTM / GRU whose parameters are tfjs variables
 * named as PyTorch names them (see {@link RecurrentLayer.parameters}).
 *
 * Input is batch-first `[B, T, F]` (PyTorch's `batch_first=True`).
 */
export class RecurrentLayer {
  readonly config: FullRecurrentConfig;
  /** Parameters by PyTorch `state_dict` name, in PyTorch's order. */
  readonly parameters: Map<string, Variable>;

  /**
   * Create a layer initialised as PyTorch does: every parameter uniform in ±1/√H, drawn from `rng`
   * (default `new Rng(0)`), so the same seed gives the same weights.
   */
  constructor(config: RecurrentConfig, rng: Rng = new Rng(0)) {
    this.config = normalizeConfig(config);
    const k = 1 / Math.sqrt(this.config.hiddenSize);
    this.parameters = new Map();
    for (const [name, shape] of parameterShapes(this.config)) {
      const r = rng.split(name);
      const n = shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = r.uniform(-k, k);
      this.parameters.set(name, tf.variable(tf.tensor(v, shape, 'float32'), true));
    }
  }

  /** Directions: 2 if bidirectional, else 1. */
  get numDirections(): number {
    return this.config.bidirectional ? 2 : 1;
  }

  /** Features per output step: `D·H`. */
  get outputSize(): number {
    return this.numDirections * this.config.hiddenSize;
  }

  /** The trainable variables, for an optimizer's var list. */
  trainableVariables(): Variable[] {
    return [...this.parameters.values()];
  }

  /** Weights of one layer and direction. */
  cellWeights(layer: number, reverse: boolean): CellWeights {
    const n = paramNames(layer, reverse);
    const get = (name: string) => this.parameters.get(name);
    return {
      weightIh: get(n.weightIh) as unknown as Tensor2D,
      weightHh: get(n.weightHh) as unknown as Tensor2D,
      biasIh: get(n.biasIh) as unknown as Tensor1D | undefined,
      biasHh: get(n.biasHh) as unknown as Tensor1D | undefined,
    };
  }

  /**
   * Copy values into the parameters from a PyTorch-named map (a `state_dict`). Every parameter
   * must be present with its exact shape; names that are not parameters are ignored unless
   * `strict` (default true), which makes them an error too, as in `load_state_dict`.
   */
  loadStateDict(values: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>, options: { strict?: boolean; prefix?: string } = {}): void {
    const prefix = options.prefix ?? '';
    const strict = options.strict ?? true;
    for (const [name, v] of this.parameters) {
      const src = values.get(prefix + name);
      if (!src) throw new InputError(`state_dict has no '${prefix}${name}'`, { field: prefix + name });
      if (src.shape.length !== v.shape.length || src.shape.some((d, i) => d !== v.shape[i])) {
        throw new InputError(`'${prefix}${name}' has shape ${JSON.stringify(src.shape)}, this layer needs ${JSON.stringify(v.shape)}`, { field: prefix + name });
      }
    }
    if (strict) {
      for (const key of values.keys()) {
        if (key.startsWith(prefix) && !this.parameters.has(key.slice(prefix.length))) throw new InputError(`unexpected key '${key}' in state_dict`, { field: key });
      }
    }
    for (const [name, v] of this.parameters) {
      const src = values.get(prefix + name)!;
      v.assign(tf.tensor(src.data, v.shape, 'float32'));
    }
  }

  /** The parameters' current values by PyTorch name. */
  async stateDict(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.parameters) out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  /** Release the variables. */
  dispose(): void {
    for (const v of this.parameters.values()) v.dispose();
  }

  /**
   * Run the layer over `x` `[B, T, F]`. Returns the last layer's output sequence `[B, T, D·H]`
   * (forward half first, then reverse half, as PyTorch concatenates) and the final state
   * `[numLayers·D, B, H]` ordered layer-major (`l·D + d`), as PyTorch's `h_n`.
   */
  forward(x: Tensor3D, options: ForwardOptions = {}): ForwardResult {
    const c = this.config;
    if (x.rank !== 3) throw new InputError(`input must be [batch, time, features], got shape ${JSON.stringify(x.shape)}`);
    const [B, T, F] = x.shape;
    if (F !== c.inputSize) throw new InputError(`input has ${F} features, the layer expects ${c.inputSize}`);
    const D = this.numDirections;
    const H = c.hiddenSize;
    const lengths = options.lengths;
    if (lengths !== undefined) {
      if (lengths.length !== B) throw new InputError(`lengths has ${lengths.length} entries for a batch of ${B}`, { field: 'lengths' });
      for (let b = 0; b < B; b++) {
        const L = lengths[b]!;
        if (!Number.isInteger(L) || L < 1 || L > T) throw new InputError(`lengths[${b}] = ${L} must be an integer in 1..${T}`, { field: `lengths[${b}]` });
      }
    }
    const init = options.initialState;
    if (init) {
      const want = [c.numLayers * D, B, H];
      const bad = (t: Tensor | undefined) => !t || t.shape.length !== 3 || t.shape.some((d, i) => d !== want[i]);
      if (bad(init.h)) throw new InputError(`initial h must have shape ${JSON.stringify(want)}`, { field: 'initialState.h' });
      if (c.kind === 'lstm' && bad(init.c)) throw new InputError(`initial c must have shape ${JSON.stringify(want)}`, { field: 'initialState.c' });
    }
    const needMask = lengths !== undefined && Array.from(lengths).some((L) => L < T);
    // Steps before the shortest sequence ends need no mask: every row is inside its sequence.
    const minLen = needMask ? Math.min(...Array.from(lengths!)) : T;
    const returnSequences = options.returnSequences ?? true;

    const [outT, hT, cT] = tf.tidy((): Tensor[] => {
      // Per-step masks [B, 1]: 1 where the step is inside the sequence.
      const keep: Tensor2D[] = [];
      const hold: Tensor2D[] = [];
      if (needMask && c.kind !== 'lstm') {
        for (let t = 0; t < T; t++) {
          const m = new Float32Array(B);
          for (let b = 0; b < B; b++) m[b] = t < lengths![b]! ? 1 : 0;
          keep.push(tf.tensor2d(m, [B, 1]));
          hold.push(tf.tensor2d(m.map((v) => 1 - v), [B, 1]));
        }
      }
      const h0 = init ? tf.unstack(init.h) as Tensor2D[] : undefined;
      const c0 = init?.c ? tf.unstack(init.c) as Tensor2D[] : undefined;
      const zeros = tf.zeros([B, H]) as Tensor2D;
      const hN: Tensor2D[] = [];
      const cN: Tensor2D[] = [];
      let layerInput: Tensor3D = x;
      for (let l = 0; l < c.numLayers; l++) {
        const outs: Tensor3D[] = [];
        for (let d = 0; d < D; d++) {
          const reverse = d === 1;
          const cw = this.cellWeights(l, reverse);
          const idx = l * D + d;
          const inSize = layerInput.shape[2];
          let h: Tensor2D = h0 ? h0[idx]! : zeros;
          let cs: Tensor2D = c0 ? c0[idx]! : zeros;
          const needSeq = returnSequences || l < c.numLayers - 1;
          if (c.kind === 'lstm') {
            // The whole layer-direction as one op (@llm/core's lstmLayer: on the native backend one
            // call forward, with the input projection inside each step's product, and one backward
            // that also yields dx, dW_ih, dW_hh and the bias gradient; matMul + the same equations
            // in tfjs ops elsewhere), fed the batch-first input as it is, with b_ih + b_hh.
            // Rows past their length keep their state and output zeros (packed-sequence semantics).
            const bias = cw.biasIh && cw.biasHh ? tf.add(cw.biasIh, cw.biasHh) : (cw.biasIh ?? cw.biasHh);
            // [B, T + 2, H] (outputs, final h, final c), or only [B, 2, H] when no layer needs the outputs.
            const all = lstmLayer(layerInput, cw.weightIh, cw.weightHh, h, cs, { reverse, lengths: needMask ? lengths : undefined, bias, batchFirst: true, sequence: needSeq });
            const fin = needSeq ? T : 0;
            h = tf.reshape(tf.slice(all, [0, fin, 0], [B, 1, H]), [B, H]) as Tensor2D;
            cs = tf.reshape(tf.slice(all, [0, fin + 1, 0], [B, 1, H]), [B, H]) as Tensor2D;
            hN.push(h);
            cN.push(cs);
            if (needSeq) outs.push(tf.slice(all, [0, 0, 0], [B, T, H]) as Tensor3D);
            continue;
          }
          // Project every step at once: [B·T, F] · W_ihᵀ → [T, B, G·H], one slice per step.
          const w: CellWeights & { weightHhT: Tensor2D } = { ...cw, weightHhT: tf.transpose(cw.weightHh) }; // Wᵀ once per sequence
          const proj = linearT(tf.reshape(layerInput, [B * T, inSize]), w.weightIh);
          let biased: Tensor2D = proj;
          if (w.biasIh) biased = tf.add(biased, w.biasIh) as Tensor2D;
          if (c.kind !== 'gru' && w.biasHh) {
            // SimpleRNN only uses b_ih + b_hh: add b_hh once for the whole sequence, not per step.
            biased = tf.add(biased, w.biasHh) as Tensor2D;
            delete w.biasHh;
          }
          const stepMajor = tf.transpose(tf.reshape(biased, [B, T, -1]), [1, 0, 2]) as Tensor3D;
          const seq: Tensor2D[] = new Array<Tensor2D>(T);
          const steps = unstackFast<Tensor2D>(stepMajor);
          for (let s = 0; s < T; s++) {
            const t = reverse ? T - 1 - s : s;
            const xp = steps[t]!;
            const hNew = c.kind === 'gru' ? gruStep(xp, h, w) : rnnStep(xp, h, w, c.nonlinearity);
            if (needMask && t >= minLen) {
              // Packed semantics: inside the sequence take the new state, past its end keep the old one.
              const out = tf.mul(hNew, keep[t]!) as Tensor2D;
              seq[t] = out;
              h = tf.add(out, tf.mul(h, hold[t]!)) as Tensor2D;
            } else {
              seq[t] = hNew;
              h = hNew;
            }
          }
          hN.push(h);
          if (needSeq) outs.push(tf.transpose(stackFast(seq), [1, 0, 2]) as Tensor3D);
        }
        if (outs.length === 0) break;
        let out = D === 1 ? outs[0]! : (tf.concat(outs, 2) as Tensor3D);
        if (options.training && c.dropout > 0 && l < c.numLayers - 1) {
          if (!options.rng) throw new ConfigError('dropout while training needs an rng (ForwardOptions.rng) to stay deterministic', { field: 'rng' });
          out = dropoutWithRng(out, c.dropout, options.rng);
        }
        layerInput = out;
      }
      const out: Tensor[] = [returnSequences ? layerInput : tf.zeros([0]), tf.stack(hN)];
      if (c.kind === 'lstm') out.push(tf.stack(cN));
      return out;
    });
    const state: RecurrentState = { h: hT as Tensor3D };
    if (cT) state.c = cT as Tensor3D;
    if (returnSequences) return { output: outT as Tensor3D, state };
    outT!.dispose();
    return { state };
  }
}

/** Inverted dropout with a mask drawn from `rng`: zero each element with probability `p`, scale the rest by 1/(1−p). */
export function dropoutWithRng<T extends Tensor>(x: T, p: number, rng: Rng): T {
  if (p <= 0) return x;
  const n = x.size;
  const m = new Float32Array(n);
  const scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) m[i] = rng.next() < p ? 0 : scale;
  return tf.mul(x, tf.tensor(m, x.shape, 'float32')) as T;
}

/** Convenience: an LSTM layer. */
export class LSTM extends RecurrentLayer {
  constructor(config: Omit<RecurrentConfig, 'kind' | 'nonlinearity'>, rng?: Rng) {
    super({ ...config, kind: 'lstm' }, rng);
  }
}

/** Convenience: a GRU layer. */
export class GRU extends RecurrentLayer {
  constructor(config: Omit<RecurrentConfig, 'kind' | 'nonlinearity'>, rng?: Rng) {
    super({ ...config, kind: 'gru' }, rng);
  }
}

/** Convenience: an Elman RNN layer (tanh or relu). */
export class SimpleRNN extends RecurrentLayer {
  constructor(config: Omit<RecurrentConfig, 'kind'>, rng?: Rng) {
    super({ ...config, kind: 'rnn' }, rng);
  }
}

/**
 * Scale gradients so their global L2 norm is at most `maxNorm`, as `torch.nn.utils.clip_grad_norm_`
 * does (factor `maxNorm / (norm + 1e-6)`, applied only when below 1). Returns the clipped gradients
 * (new tensors; the inputs are not disposed) and the norm before clipping.
 */
export function clipGradNorm<K extends string>(grads: Readonly<Record<K, Tensor>>, maxNorm: number): { grads: Record<K, Tensor>; norm: number } {
  if (!(maxNorm > 0)) throw new ConfigError(`maxNorm must be positive, got ${maxNorm}`, { field: 'maxNorm' });
  const keys = Object.keys(grads) as K[];
  const normT = tf.tidy(() => tf.sqrt(tf.addN(keys.map((k) => tf.sum(tf.square(grads[k]))))));
  const norm = normT.dataSync()[0]!;
  normT.dispose();
  const coef = maxNorm / (norm + 1e-6);
  const out = {} as Record<K, Tensor>;
  for (const k of keys) out[k] = coef < 1 ? tf.mul(grads[k], coef) : tf.clone(grads[k]);
  return { grads: out, norm };
}
