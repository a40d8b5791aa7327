/**
 * Attention, top to bottom:
 *
 * 1. project the input to queries, keys and values, split into heads `[B, H, T, hd]`;
 * 2. (decoder) append this step's keys/values to the KV cache, so earlier positions are never
 *    recomputed;
 * 3. grouped-query attention: each of the `kvHeads` key/value heads serves `H / kvHeads`
 *    query heads (`repeatKv`, HF's `repeat_kv`);
 * 4. scores `q·kᵀ · scale + bias + mask` where the additive mask is 0 where allowed and a large
 *    negative number where not (causal, padding, or both), softmax over keys, weighted sum of values;
 * 5. merge heads and project out.
 */
import { causalSelfAttention as fusedCausalSelfAttention, fusedMaskedSoftmax, tf, type Tensor } from '@llm/core';
import { workCounter } from './work.js';

/** Additive mask value for "may not attend" (HF uses the dtype's minimum; any large negative gives the same softmax). */
export const MASK_VALUE = -1e9;

/** `[B, T, H*hd]` → `[B, H, T, hd]`. */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, t, d] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [b, t, heads, d / heads]), [0, 2, 1, 3]);
}

/** `[B, H, T, hd]` → `[B, T, H*hd]`. */
export function mergeHeads(x: Tensor): Tensor {
  const [b, h, t, hd] = x.shape as [number, number, number, number];
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, h * hd]);
}

/** Grouped-query attention: repeat each KV head `rep` times along the head axis (head j uses KV head ⌊j/rep⌋). */
export function repeatKv(x: Tensor, rep: number): Tensor {
  if (rep === 1) return x;
  const kvh = x.shape[1]!;
  // Head h*rep + r reads KV head h (HF's repeat_kv order). A gather, not a rank-5 tile: tfjs has
  // no gradient for rank-5 tile, and LoRA/fine-tuning of GQA models backpropagates through here.
  const index = new Int32Array(kvh * rep);
  for (let i = 0; i < index.length; i++) index[i] = Math.floor(i / rep);
  return tf.gather(x, tf.tensor1d(index, 'int32'), 1);
}

/**
 * Causal mask for `t` new queries over `pastLength + t` keys: query i (absolute position
 * `pastLength + i`) may see keys `0..pastLength + i`. Shape `[1, 1, t, pastLength + t]`, additive.
 */
export function causalMask(t: number, pastLength = 0): Tensor {
  const s = pastLength + t;
  const data = new Float32Array(t * s);
  for (let i = 0; i < t; i++) for (let j = pastLength + i + 1; j < s; j++) data[i * s + j] = MASK_VALUE;
  return tf.tensor4d(data, [1, 1, t, s]);
}

/**
 * Padding mask from an attention mask (`1` = real token, `0` = padding) shaped `[B, S]`:
 * additive `[B, 1, 1, S]`, so padded keys are never attended to. Used for encoder
 * self-attention and for cross-attention over the encoder's padded output.
 */
export function paddingMask(attentionMask: Tensor): Tensor {
  const [b, s] = attentionMask.shape as [number, number];
  return tf.reshape(tf.mul(tf.sub(1, tf.cast(attentionMask, 'float32')), MASK_VALUE), [b, 1, 1, s]);
}

/** Options for {@link scaledDotProductAttention}. */
export interface AttentionOptions {
  /** Additive mask broadcastable to `[B, H, T, S]` (see {@link causalMask}, {@link paddingMask}). */
  mask?: Tensor;
  /** Additive score bias broadcastable to `[B, H, T, S]` (T5's relative position bias, ALiBi). */
  bias?: Tensor;
  /** Score scale; default `1/√hd`. T5 uses 1. */
  scale?: number;
}

/**
 * `softmax(q kᵀ · scale + bias + mask) v` for q `[B, H, T, hd]`, k and v `[B, H, S, hd]`.
 * Returns `[B, H, T, hd]`.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const [b, h, t, hd] = q.shape as [number, number, number, number];
  const s = k.shape[2]!;
  workCounter.attentionScores += b * h * t * s;
  const scale = options.scale ?? 1 / Math.sqrt(hd);
  let scores: Tensor = tf.matMul(q, k, false, true);
  if (!options.bias) {
    // Scale, constant mask and softmax in one fused op (one native pass each way on the native backend).
    return tf.matMul(fusedMaskedSoftmax(scores, scale, options.mask), v);
  }
  if (scale !== 1) scores = tf.mul(scores, scale);
  scores = tf.add(scores, options.bias);
  if (options.mask) scores = tf.add(scores, options.mask);
  return tf.matMul(tf.softmax(scores, -1), v);
}

/**
 * Causal self-attention over a whole sequence straight from a packed projection `qkv`
 * `[B, T, 3d]` (q, k, v side by side, as GPT-2's `c_attn` produces): the same result as
 * splitting, {@link splitHeads}, {@link scaledDotProductAttention} with {@link causalMask} and
 * {@link mergeHeads}, returned `[B, T, d]`. One fused op each way on the native backend.
 */
export function causalSelfAttention(qkv: Tensor, heads: number): Tensor {
  const [b, t] = qkv.shape as [number, number, number];
  workCounter.attentionScores += b * heads * t * t;
  return fusedCausalSelfAttention(qkv, heads);
}

/**
 * Per-layer key/value cache. Keys and values are stored after head splitting (and after RoPE for
 * LLaMA), shaped `[B, kvHeads, S, hd]`; each decode step appends its new positions. Tensors are
 * kept (`tf.keep`) and disposed when replaced, so a cache can live across `tf.tidy` scopes.
 */
export class KVCache {
  private keys: Array<Tensor | undefined>;
  private values: Array<Tensor | undefined>;
  /** Cross-attention keys/values (encoder–decoder), computed once per encoder output. */
  readonly cross: Array<{ k: Tensor; v: Tensor } | undefined>;

  constructor(readonly layers: number) {
    this.keys = new Array<Tensor | undefined>(layers).fill(undefined);
    this.values = new Array<Tensor | undefined>(layers).fill(undefined);
    this.cross = new Array<{ k: Tensor; v: Tensor } | undefined>(layers).fill(undefined);
  }

  /** Number of cached positions (0 when empty). */
  get length(): number {
    return this.keys[0]?.shape[2] ?? 0;
  }

  /** Append `k`, `v` (`[B, kvH, T, hd]`) for `layer` and return the full keys and values. */
  append(layer: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const pk = this.keys[layer];
    const pv = this.values[layer];
    const nk = tf.keep(pk ? tf.concat([pk, k], 2) : k.clone());
    const nv = tf.keep(pv ? tf.concat([pv, v], 2) : v.clone());
    pk?.dispose();
    pv?.dispose();
    this.keys[layer] = nk;
    this.values[layer] = nv;
    return { k: nk, v: nv };
  }

  /** Store cross-attention keys/values for `layer` (kept). */
  setCross(layer: number, k: Tensor, v: Tensor): void {
    const old = this.cross[layer];
    old?.k.dispose();
    old?.v.dispose();
    this.cross[layer] = { k: tf.keep(k.clone()), v: tf.keep(v.clone()) };
  }

  /** Reorder the batch (beam search): row i of the new cache is row `indices[i]` of the old one. */
  reorder(indices: readonly number[]): void {
    const idx = tf.tensor1d(Int32Array.from(indices), 'int32');
    const pick = (t: Tensor | undefined): Tensor | undefined => {
      if (!t) return undefined;
      const n = tf.keep(tf.gather(t, idx, 0));
      t.dispose();
      return n;
    };
    for (let l = 0; l < this.layers; l++) {
      this.keys[l] = pick(this.keys[l]);
      this.values[l] = pick(this.values[l]);
      const c = this.cross[l];
      if (c) this.cross[l] = { k: pick(c.k)!, v: pick(c.v)! };
    }
    idx.dispose();
  }

  /** Free every cached tensor. */
  dispose(): void {
    for (let l = 0; l < this.layers; l++) {
      this.keys[l]?.dispose();
      this.values[l]?.dispose();
      this.cross[l]?.k.dispose();
      this.cross[l]?.v.dispose();
      this.keys[l] = undefined;
      this.values[l] = undefined;
      this.cross[l] = undefined;
    }
  }
}
