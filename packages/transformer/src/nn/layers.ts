/**
 * Small functional layers. Every function takes tensors and returns a tensor; weights are passed
 * in explicitly, in PyTorch's layout (`nn.Linear.weight` is `[out, in]`), so a Hugging Face
 * checkpoint's tensors can be used as they are.
 */
import { fusedGelu, fusedLayerNorm, tf, type Tensor } from '@llm/core';
import { workCounter } from './work.js';

/**
 * 2-D `a @ b` whose gradient also uses plain (untransposed-flag) matmuls. On the wasm backend
 * a matmul with `transposeA`/`transposeB` flags is 10–40× slower than transposing explicitly and
 * multiplying (measured: [258,8192]ᵀ·[258,256] 6.5 s vs 0.16 s), and tfjs' own matMul gradient
 * uses those flags; this keeps training on wasm usable.
 */
export const matmul2d = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      // Elsewhere (native, cpu) the flags are free: the transposes fold into the kernel's packing.
      if (!slowTransposeFlags()) return [tf.matMul(g, sb, false, true), tf.matMul(sa, g, true, false)];
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
}) as (a: Tensor, b: Tensor) => Tensor;

/** Whether the active backend's matmul is slow with transpose flags (wasm; see {@link matmul2d}). */
export function slowTransposeFlags(): boolean {
  return tf.getBackend() === 'wasm';
}

const transposed = new WeakMap<Tensor, { dataId: object; t: Tensor }>();

/**
 * `weightᵀ`, cached per weight outside gradient recording (inference, decoding): transposing every
 * projection on every decode step dominated decode time. Under `tf.variableGrads` the transpose is
 * recomputed so gradients reach the weight. A cache entry follows the weight's data (`assign`
 * replaces it) and is freed by {@link releaseTransposed}.
 */
export function transposedWeight(weight: Tensor): Tensor {
  const recording = (tf.engine().state as unknown as { gradientDepth?: number }).gradientDepth ?? 0;
  if (recording > 0) return tf.transpose(weight);
  const hit = transposed.get(weight);
  if (hit && hit.dataId === weight.dataId && !hit.t.isDisposed) return hit.t;
  hit?.t.dispose();
  const t = tf.keep(tf.transpose(weight));
  transposed.set(weight, { dataId: weight.dataId, t });
  return t;
}

/** Free the cached transpose of `weight` (call before disposing it). */
export function releaseTransposed(weight: Tensor): void {
  transposed.get(weight)?.t.dispose();
  transposed.delete(weight);
}

/** `x @ weight^T + bias` with `weight` shaped `[out, in]` (torch `nn.Linear`). Works on any leading shape. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const inDim = x.shape[x.shape.length - 1]!;
  const outDim = weight.shape[0]!;
  const lead = x.shape.slice(0, -1);
  const rows = x.size / inDim;
  workCounter.linearMacs += rows * inDim * outDim;
  const recording = ((tf.engine().state as unknown as { gradientDepth?: number }).gradientDepth ?? 0) > 0;
  // While recording gradients on a backend with free transpose flags, multiply by the weight as
  // stored (tfjs's matMul gradient then needs no transposed copies either).
  const x2 = tf.reshape(x, [rows, inDim]);
  let y: Tensor;
  if (slowTransposeFlags()) {
    y = matmul2d(x2, transposedWeight(weight));
    if (bias) y = tf.add(y, bias);
  } else {
    // The bias is added in the product's epilogue (its gradient is the same column sum).
    y = recording ? matmulBias(x2, weight, bias, true) : matmulBias(x2, transposedWeight(weight), bias, false);
  }
  return tf.reshape(y, [...lead, outDim]);
}

/** `a @ b (+ bias)` (`bᵀ` with `transposeB`) as one kernel, bias included; for backends whose transpose flags are free. */
function matmulBias(a: Tensor, b: Tensor, bias: Tensor | undefined, transposeB: boolean): Tensor {
  return tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeB, bias });
}

/** GPT-2's `Conv1D`: `x @ weight + bias` with `weight` shaped `[in, out]` (transposed relative to `nn.Linear`). */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const inDim = weight.shape[0]!;
  const outDim = weight.shape[1]!;
  const lead = x.shape.slice(0, -1);
  const rows = x.size / inDim;
  workCounter.linearMacs += rows * inDim * outDim;
  const x2 = tf.reshape(x, [rows, inDim]);
  let y: Tensor;
  if (slowTransposeFlags()) {
    y = matmul2d(x2, weight);
    if (bias) y = tf.add(y, bias);
  } else {
    y = matmulBias(x2, weight, bias, false);
  }
  return tf.reshape(y, [...lead, outDim]);
}

/** Row lookup: `ids` int32 of any shape → `[...ids.shape, dim]`. */
export function embedding(ids: Tensor, table: Tensor): Tensor {
  return tf.gather(table, ids);
}

/**
 * LayerNorm over the last axis: `(x - mean) / sqrt(var + eps) * weight + bias` (biased variance, as torch).
 * One fused kernel (forward and backward) on the native backend, tfjs ops elsewhere.
 */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor | undefined, eps: number): Tensor {
  return fusedLayerNorm(x, weight, bias, eps);
}

/** RMSNorm (LLaMA, and T5's LayerNorm): `x / sqrt(mean(x^2) + eps) * weight`; no mean subtraction, no bias. */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), weight);
}

/** Exact GELU, `0.5 x (1 + erf(x / √2))` (BERT's `"gelu"`). */
export function gelu(x: Tensor): Tensor {
  return fusedGelu(x, false);
}

/** The tanh approximation of GELU (GPT-2's `"gelu_new"`, `gelu_pytorch_tanh`). */
export function geluTanh(x: Tensor): Tensor {
  return fusedGelu(x, true);
}

/** ReLU. */
export function relu(x: Tensor): Tensor {
  return tf.relu(x);
}

/** SiLU / swish, `x * sigmoid(x)`. */
export function silu(x: Tensor): Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** Activation names used in HF configs. */
export type ActivationName = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu' | 'silu' | 'swish';

/** Look up an activation by its HF config name. */
export function activation(name: ActivationName): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu': return gelu;
    case 'gelu_new':
    case 'gelu_pytorch_tanh': return geluTanh;
    case 'relu': return relu;
    case 'silu':
    case 'swish': return silu;
  }
}

/** SwiGLU MLP (LLaMA): `down(silu(gate(x)) * up(x))`. */
export function swiGluMlp(x: Tensor, gate: Tensor, up: Tensor, down: Tensor): Tensor {
  return linear(tf.mul(silu(linear(x, gate)), linear(x, up)), down);
}

/**
 * Inverted dropout: during training zero each element with probability `rate` and scale the rest
 * by `1/(1-rate)`; identity when `rate` is 0 or `seed` undefined (inference).
 */
export function dropout(x: Tensor, rate: number, seed: number | undefined): Tensor {
  if (rate <= 0 || seed === undefined) return x;
  return tf.dropout(x, rate, undefined, seed);
}
