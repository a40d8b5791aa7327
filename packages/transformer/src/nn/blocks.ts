/**
 * Generic transformer blocks, readable top to bottom, and the three ways to stack them.
 *
 *   pre-norm  (GPT-2, LLaMA):  x = x + Attn(Norm(x));          x = x + MLP(Norm(x))
 *   post-norm (BERT, Vaswani): x = Norm(x + Attn(x));          x = Norm(x + MLP(x))
 *
 * A decoder block adds causal self-attention (and a KV cache) and, in an encoder–decoder,
 * cross-attention over the encoder output between self-attention and the MLP.
 * The architecture files (gpt2.ts, bert.ts, t5.ts, llama.ts) inline the same steps with their
 * checkpoint's parameter names; these functions take the weights as plain objects.
 */
import { tf, type Tensor } from '@llm/core';
import { KVCache, mergeHeads, repeatKv, scaledDotProductAttention, splitHeads } from './attention.js';
import { activation, dropout, layerNorm, linear, rmsNorm, type ActivationName } from './layers.js';

/** A linear layer in torch layout (`weight` `[out, in]`). */
export interface LinearWeights {
  weight: Tensor;
  bias?: Tensor;
}

/** Norm weights: LayerNorm when `bias` is given or `kind` is `layer`, RMSNorm otherwise. */
export interface NormWeights {
  weight: Tensor;
  bias?: Tensor;
}

/** Attention projections. */
export interface AttentionWeights {
  q: LinearWeights;
  k: LinearWeights;
  v: LinearWeights;
  o: LinearWeights;
}

/** One block's weights. */
export interface BlockWeights {
  selfAttn: AttentionWeights;
  norm1: NormWeights;
  /** Encoder–decoder only. */
  crossAttn?: AttentionWeights;
  normCross?: NormWeights;
  /** MLP: `fc` then activation then `proj`; with `gate`, SwiGLU-style `proj(act(gate(x)) * fc(x))`. */
  mlp: { fc: LinearWeights; proj: LinearWeights; gate?: LinearWeights };
  norm2: NormWeights;
}

/** How a block computes. */
export interface BlockOptions {
  heads: number;
  /** Key/value heads (grouped-query attention); default `heads`. */
  kvHeads?: number;
  norm: 'pre' | 'post';
  normKind: 'layer' | 'rms';
  eps: number;
  activation: ActivationName;
  /** Additive self-attention mask (causal and/or padding). */
  mask?: Tensor;
  /** Encoder output for cross-attention, and its additive padding mask. */
  memory?: Tensor;
  memoryMask?: Tensor;
  /** KV cache and this block's layer index in it. */
  cache?: KVCache;
  layer?: number;
  /** Rotary cos/sin (`[B,1,T,hd]`) applied to q and k; omitted for learned/sinusoidal positions. */
  rotary?: { cos: Tensor; sin: Tensor; apply: (x: Tensor, cos: Tensor, sin: Tensor) => Tensor };
  /** Dropout rate and seed (training). */
  dropout?: { rate: number; seed: number };
}

const lin = (x: Tensor, w: LinearWeights): Tensor => linear(x, w.weight, w.bias);

function norm(x: Tensor, w: NormWeights, o: BlockOptions): Tensor {
  return o.normKind === 'layer' ? layerNorm(x, w.weight, w.bias, o.eps) : rmsNorm(x, w.weight, o.eps);
}

/** Multi-head (or grouped-query) attention of `x` over `kvSource` (= `x` for self-attention). */
export function multiHeadAttention(x: Tensor, kvSource: Tensor, w: AttentionWeights, o: BlockOptions, mask: Tensor | undefined, useCache: boolean): Tensor {
  const kvHeads = o.kvHeads ?? o.heads;
  let q = splitHeads(lin(x, w.q), o.heads);
  let k = splitHeads(lin(kvSource, w.k), kvHeads);
  let v = splitHeads(lin(kvSource, w.v), kvHeads);
  if (o.rotary) {
    q = o.rotary.apply(q, o.rotary.cos, o.rotary.sin);
    k = o.rotary.apply(k, o.rotary.cos, o.rotary.sin);
  }
  if (useCache && o.cache) ({ k, v } = o.cache.append(o.layer ?? 0, k, v));
  const rep = o.heads / kvHeads;
  return lin(mergeHeads(scaledDotProductAttention(q, repeatKv(k, rep), repeatKv(v, rep), { mask })), w.o);
}

function mlp(x: Tensor, w: BlockWeights['mlp'], o: BlockOptions): Tensor {
  const act = activation(o.activation);
  const hidden = w.gate ? tf.mul(act(lin(x, w.gate)), lin(x, w.fc)) : act(lin(x, w.fc));
  return lin(hidden, w.proj);
}

/** One transformer block (encoder block without `memory`, decoder block with a causal mask and optional `memory`). */
export function transformerBlock(x: Tensor, w: BlockWeights, o: BlockOptions): Tensor {
  let seed = o.dropout?.seed ?? 0;
  const drop = (t: Tensor): Tensor => (o.dropout ? dropout(t, o.dropout.rate, seed++) : t);
  const sub = (input: Tensor, n: NormWeights, f: (h: Tensor) => Tensor): Tensor =>
    o.norm === 'pre' ? tf.add(input, drop(f(norm(input, n, o)))) : norm(tf.add(input, drop(f(input))), n, o);
  let h = sub(x, w.norm1, (a) => multiHeadAttention(a, a, w.selfAttn, o, o.mask, true));
  if (o.memory && w.crossAttn && w.normCross) {
    const mem = o.memory;
    h = sub(h, w.normCross, (a) => multiHeadAttention(a, mem, w.crossAttn!, { ...o, rotary: undefined }, o.memoryMask, false));
  }
  return sub(h, w.norm2, (a) => mlp(a, w.mlp, o));
}

/** Stack of blocks (encoder or decoder); pre-norm stacks end with `finalNorm`. */
export function transformerStack(x: Tensor, blocks: readonly BlockWeights[], o: BlockOptions, finalNorm?: NormWeights): Tensor {
  let h = x;
  blocks.forEach((b, i) => {
    h = transformerBlock(h, b, { ...o, layer: i, dropout: o.dropout ? { rate: o.dropout.rate, seed: o.dropout.seed + 1000 * i } : undefined });
  });
  return finalNorm ? norm(h, finalNorm, o) : h;
}
