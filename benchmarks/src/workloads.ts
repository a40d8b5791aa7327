import { loadNativeAddon, NativeAdam, Rng, tf, useBackend, type BackendName } from '@llm/core';
import type { Contender } from './harness.js';

/**
 * This project's side of each benchmark: the same workloads as the Python peers, written with
 * `tf` from @llm/core and run on a chosen tensor backend.
 */

/** A prepared tfjs workload. */
export interface TfWorkload {
  step(): void;
  dispose(): void;
}

/** Options of a tfjs contender. */
export interface TfContenderOptions {
  /** Threads of the native kernel pack (only for the `native` backend). */
  nativeThreads?: number;
}

/**
 * A harness contender running `build()`'s workload on `backend`. The backend (and the native
 * pack's thread count) is re-selected before every repetition, outside the timed region, so
 * contenders on different backends can be interleaved in one process.
 */
export function tfContender(name: string, backend: BackendName, build: () => TfWorkload, options: TfContenderOptions = {}): Contender {
  return {
    name,
    side: 'ours',
    prepare: async () => {
      try {
        const report = await useBackend(backend);
        if (report.active !== backend) return { skipped: `backend ${backend} not active (${report.active})` };
      } catch (err) {
        return { skipped: `backend ${backend} unavailable: ${err instanceof Error ? err.message : String(err)}` };
      }
      const tfName = tf.getBackend();
      const setThreads = (): void => {
        if (backend === 'native' && options.nativeThreads !== undefined) loadNativeAddon().addon.setThreads(options.nativeThreads);
      };
      const defaultThreads = backend === 'native' ? loadNativeAddon().addon.info().threads : 0;
      setThreads();
      const work = build();
      return {
        before: async () => {
          if (tf.getBackend() !== tfName) await tf.setBackend(tfName);
          setThreads();
        },
        run: () => work.step(),
        dispose: () => {
          work.dispose();
          if (backend === 'native') loadNativeAddon().addon.setThreads(defaultThreads);
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// matmul

/** n×n float32 matmul, result read back. */
export function matmulWorkload(a: Float32Array, b: Float32Array, n: number): () => TfWorkload {
  return () => {
    const ta = tf.tensor2d(a, [n, n]);
    const tb = tf.tensor2d(b, [n, n]);
    return {
      step: () => {
        const c = tf.matMul(ta, tb);
        c.dataSync();
        c.dispose();
      },
      dispose: () => {
        ta.dispose();
        tb.dispose();
      },
    };
  };
}

// ---------------------------------------------------------------------------------------------
// Embedding → LSTM → Dense classifier, one Adam step

/** Sizes of the LSTM classifier (the Python peer gets the same). */
export interface LstmConfig {
  batch: number;
  seq: number;
  vocab: number;
  embed: number;
  hidden: number;
  classes: number;
}

function glorot(rng: Rng, rows: number, cols: number): tf.Tensor2D {
  const s = Math.sqrt(6 / (rows + cols));
  return tf.tensor2d(rng.uniformArray(rows * cols, -s, s), [rows, cols]);
}

type Optimizer = { applyGradients(grads: tf.NamedTensorMap): void; dispose?(): void };

function makeOptimizer(nativeAdam: boolean): Optimizer {
  if (nativeAdam) return new NativeAdam(1e-3);
  const adam = tf.train.adam(1e-3);
  return {
    applyGradients: (grads) => adam.applyGradients(grads as unknown as Parameters<typeof adam.applyGradients>[0]),
    dispose: () => adam.dispose(),
  };
}

let uid = 0;

/** One training step (forward, backward, Adam) of Embedding → LSTM → Dense on cross-entropy. */
export function lstmWorkload(cfg: LstmConfig, nativeAdam = false): () => TfWorkload {
  return () => {
    const rng = new Rng('bench-lstm');
    const id = `lstm${uid++}`;
    const { batch: B, seq: T, vocab: V, embed: E, hidden: H, classes: C } = cfg;
    const vars = {
      emb: tf.variable(tf.tensor2d(rng.split('emb').normalArray(V * E, 0, 0.1), [V, E]), true, `${id}/emb`),
      kernel: tf.variable(glorot(rng.split('k'), E + H, 4 * H), true, `${id}/kernel`),
      bias: tf.variable(tf.zeros([4 * H]), true, `${id}/bias`),
      wOut: tf.variable(glorot(rng.split('o'), H, C), true, `${id}/wOut`),
      bOut: tf.variable(tf.zeros([C]), true, `${id}/bOut`),
    };
    const ids = tf.tensor2d(Int32Array.from({ length: B * T }, () => rng.int(V)), [B, T], 'int32');
    const labels = tf.oneHot(tf.tensor1d(Int32Array.from({ length: B }, () => rng.int(C)), 'int32'), C);
    const forget = tf.scalar(1);
    const opt = makeOptimizer(nativeAdam);
    const loss = (): tf.Scalar => {
      const steps = tf.unstack(tf.gather(vars.emb, ids), 1);
      let c: tf.Tensor2D = tf.zeros([B, H]);
      let h: tf.Tensor2D = tf.zeros([B, H]);
      for (const xt of steps) [c, h] = tf.basicLSTMCell(forget, vars.kernel as tf.Tensor2D, vars.bias as tf.Tensor1D, xt as tf.Tensor2D, c, h);
      const logits = tf.fused.matMul({ a: h, b: vars.wOut, bias: vars.bOut });
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    };
    return {
      step: () => {
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(loss);
          opt.applyGradients(grads);
          value.dataSync();
        });
      },
      dispose: () => {
        Object.values(vars).forEach((v) => v.dispose());
        ids.dispose();
        labels.dispose();
        forget.dispose();
        opt.dispose?.();
      },
    };
  };
}

// ---------------------------------------------------------------------------------------------
// Causal self-attention blocks (pre-LayerNorm, GELU MLP); with a vocabulary, a small GPT

/** Sizes of the attention workload (the Python peer gets the same). */
export interface AttentionConfig {
  batch: number;
  seq: number;
  dim: number;
  heads: number;
  layers: number;
  /** 0: blocks on random inputs, loss mean(y²); > 0: token/position embeddings, LM head, cross-entropy. */
  vocab: number;
}

function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
}

function gelu(x: tf.Tensor): tf.Tensor {
  // tanh approximation, as torch.nn.functional.gelu(approximate="tanh")
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

function linear(x2d: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.fused.matMul({ a: x2d as tf.Tensor2D, b: w as tf.Tensor2D, bias: b }) as tf.Tensor2D;
}

/** Parameter count of {@link attentionWorkload}'s model. */
export function attentionParams(cfg: AttentionConfig): number {
  const D = cfg.dim;
  const block = 2 * D + (D * 3 * D + 3 * D) + (D * D + D) + 2 * D + (D * 4 * D + 4 * D) + (4 * D * D + D);
  const emb = cfg.vocab > 0 ? cfg.vocab * D + cfg.seq * D + 2 * D + D * cfg.vocab + cfg.vocab : 0;
  return cfg.layers * block + emb;
}

/** One training step (forward, backward, Adam) of the attention workload. */
export function attentionWorkload(cfg: AttentionConfig, nativeAdam = false): () => TfWorkload {
  return () => {
    const rng = new Rng('bench-attention');
    const id = `att${uid++}`;
    const { batch: B, seq: T, dim: D, heads: NH, layers: L, vocab: V } = cfg;
    const hd = D / NH;
    const vars: Record<string, tf.Variable> = {};
    const v = (name: string, t: tf.Tensor): tf.Variable => (vars[name] = tf.variable(t, true, `${id}/${name}`));
    const blocks = Array.from({ length: L }, (_, l) => ({
      ln1g: v(`${l}/ln1g`, tf.ones([D])), ln1b: v(`${l}/ln1b`, tf.zeros([D])),
      wqkv: v(`${l}/wqkv`, glorot(rng.split(`qkv${l}`), D, 3 * D)), bqkv: v(`${l}/bqkv`, tf.zeros([3 * D])),
      wproj: v(`${l}/wproj`, glorot(rng.split(`proj${l}`), D, D)), bproj: v(`${l}/bproj`, tf.zeros([D])),
      ln2g: v(`${l}/ln2g`, tf.ones([D])), ln2b: v(`${l}/ln2b`, tf.zeros([D])),
      wfc: v(`${l}/wfc`, glorot(rng.split(`fc${l}`), D, 4 * D)), bfc: v(`${l}/bfc`, tf.zeros([4 * D])),
      wfc2: v(`${l}/wfc2`, glorot(rng.split(`fc2${l}`), 4 * D, D)), bfc2: v(`${l}/bfc2`, tf.zeros([D])),
    }));
    const gpt = V > 0
      ? {
        tok: v('tok', tf.tensor2d(rng.split('tok').normalArray(V * D, 0, 0.02), [V, D])),
        pos: v('pos', tf.tensor2d(rng.split('pos').normalArray(T * D, 0, 0.02), [T, D])),
        lnfg: v('lnfg', tf.ones([D])), lnfb: v('lnfb', tf.zeros([D])),
        head: v('head', glorot(rng.split('head'), D, V)), bhead: v('bhead', tf.zeros([V])),
      }
      : undefined;
    const mask = tf.tensor2d(Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0)), [T, T]);
    const x0 = V > 0 ? undefined : tf.tensor3d(rng.split('x').normalArray(B * T * D), [B, T, D]);
    const ids = V > 0 ? tf.tensor2d(Int32Array.from({ length: B * T }, () => rng.int(V)), [B, T], 'int32') : undefined;
    const targets = V > 0 ? tf.oneHot(tf.tensor1d(Int32Array.from({ length: B * T }, () => rng.int(V)), 'int32'), V) : undefined;
    const opt = makeOptimizer(nativeAdam);
    const scale = 1 / Math.sqrt(hd);

    const heads = (t: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(t, [B, T, NH, hd]), [0, 2, 1, 3]);
    const loss = (): tf.Scalar => {
      let x: tf.Tensor = gpt ? tf.add(tf.gather(gpt.tok, ids!), gpt.pos) : x0!;
      for (const p of blocks) {
        const h = tf.reshape(layerNorm(x, p.ln1g, p.ln1b), [B * T, D]);
        const [q, k, vv] = tf.split(linear(h, p.wqkv, p.bqkv), 3, 1);
        const att = tf.add(tf.mul(tf.matMul(heads(q!), heads(k!), false, true), scale), mask);
        const y = tf.matMul(tf.softmax(att), heads(vv!));
        const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, D]);
        x = tf.add(x, tf.reshape(linear(merged, p.wproj, p.bproj), [B, T, D]));
        const m = gelu(linear(tf.reshape(layerNorm(x, p.ln2g, p.ln2b), [B * T, D]), p.wfc, p.bfc));
        x = tf.add(x, tf.reshape(linear(m, p.wfc2, p.bfc2), [B, T, D]));
      }
      if (!gpt) return tf.mean(tf.square(x)) as tf.Scalar;
      const logits = linear(tf.reshape(layerNorm(x, gpt.lnfg, gpt.lnfb), [B * T, D]), gpt.head, gpt.bhead);
      return tf.losses.softmaxCrossEntropy(targets!, logits) as tf.Scalar;
    };
    return {
      step: () => {
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(loss);
          opt.applyGradients(grads);
          value.dataSync();
        });
      },
      dispose: () => {
        Object.values(vars).forEach((t) => t.dispose());
        mask.dispose();
        x0?.dispose();
        ids?.dispose();
        targets?.dispose();
        opt.dispose?.();
      },
    };
  };
}
