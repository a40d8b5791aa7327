/**
 * LLaMA (`LlamaForCausalLM`; Mistral has the same names and layout), HF names:
 *
 *   x = model.embed_tokens[ids]
 *   for each model.layers.i:
 *     h = input_layernorm(x)                                   (RMSNorm)
 *     q, k, v = q_proj(h), k_proj(h), v_proj(h)                 (k, v with num_key_value_heads: GQA)
 *     q, k = RoPE(q), RoPE(k)                                   (rotate_half convention)
 *     x += o_proj(attention(q, repeat_kv(k), repeat_kv(v)))     (causal)
 *     x += down_proj(silu(gate_proj(h')) * up_proj(h')),  h' = post_attention_layernorm(x)
 *   logits = lm_head(model.norm(x))                             (or embed_tokens when tied)
 */
import { tf, type Tensor } from '@llm/core';
import { ConfigError } from '@llm/core';
import { ConfigReader } from '../checkpoint.js';
import { KVCache, causalMask, mergeHeads, paddingMask, repeatKv, scaledDotProductAttention, splitHeads } from '../nn/attention.js';
import { embedding, linear, rmsNorm, silu } from '../nn/layers.js';
import { applyRotary, rotaryCosSin } from '../nn/positions.js';
import { PretrainedModel, idsTensor, positionIds, type CausalLM, type ForwardOptions, type ParamSpec } from '../model.js';

/** LLaMA / Mistral hyper-parameters. */
export interface LlamaConfig {
  modelType: 'llama' | 'mistral';
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  maxPositions: number;
  rmsNormEps: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  attentionBias: boolean;
  /** Mistral's sliding window (keys older than this are not attended); undefined = full causal. */
  slidingWindow?: number;
  bosTokenId?: number;
  eosTokenIds: number[];
}

/** Parse an HF LLaMA/Mistral `config.json` object. */
export function llamaConfigFromHf(raw: Record<string, unknown>, file?: string): LlamaConfig {
  const r = new ConfigReader(raw, file);
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  const numKvHeads = r.int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) throw new ConfigError(`config key 'num_attention_heads' (${numHeads}) must be a multiple of 'num_key_value_heads' (${numKvHeads})`, { file, field: 'num_key_value_heads' });
  const headDim = r.int('head_dim', Math.floor(hiddenSize / numHeads));
  if (raw.head_dim === undefined) r.divisible('hidden_size', hiddenSize, 'num_attention_heads', numHeads);
  if (headDim % 2 !== 0) throw new ConfigError(`head dimension ${headDim} must be even for RoPE`, { file, field: 'head_dim' });
  const act = r.str('hidden_act', 'silu', ['silu', 'swish']);
  void act;
  if (raw.rope_scaling !== undefined && raw.rope_scaling !== null) throw new ConfigError('rope_scaling is not supported', { file, field: 'rope_scaling' });
  const modelType = r.str<'llama' | 'mistral'>('model_type', 'llama', ['llama', 'mistral']);
  return {
    modelType,
    vocabSize: r.int('vocab_size'),
    hiddenSize,
    intermediateSize: r.int('intermediate_size'),
    numLayers: r.int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    maxPositions: r.int('max_position_embeddings', 2048),
    rmsNormEps: r.num('rms_norm_eps', 1e-6),
    ropeTheta: r.num('rope_theta', 10000),
    tieWordEmbeddings: r.bool('tie_word_embeddings', false),
    attentionBias: r.bool('attention_bias', false),
    slidingWindow: raw.sliding_window === null || raw.sliding_window === undefined ? undefined : r.int('sliding_window'),
    bosTokenId: r.ids('bos_token_id')[0],
    eosTokenIds: r.ids('eos_token_id'),
  };
}

/** LLaMA / Mistral causal language model. */
export class Llama extends PretrainedModel implements CausalLM {
  get modelType(): string { return this.config.modelType; }

  constructor(readonly config: LlamaConfig) {
    super();
  }

  get vocabSize(): number { return this.config.vocabSize; }
  get contextLength(): number { return this.config.maxPositions; }
  get eosTokenIds(): number[] { return this.config.eosTokenIds; }

  paramSpec(): ParamSpec[] {
    const c = this.config;
    const d = c.hiddenSize;
    const qd = c.numHeads * c.headDim;
    const kvd = c.numKvHeads * c.headDim;
    const std = 0.02;
    const spec: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, d], init: 'normal', std }];
    for (let i = 0; i < c.numLayers; i++) {
      const l = `model.layers.${i}`;
      spec.push(
        { name: `${l}.input_layernorm.weight`, shape: [d], init: 'ones' },
        { name: `${l}.self_attn.q_proj.weight`, shape: [qd, d], init: 'normal', std },
        { name: `${l}.self_attn.k_proj.weight`, shape: [kvd, d], init: 'normal', std },
        { name: `${l}.self_attn.v_proj.weight`, shape: [kvd, d], init: 'normal', std },
        { name: `${l}.self_attn.o_proj.weight`, shape: [d, qd], init: 'normal', std },
      );
      if (c.attentionBias) {
        spec.push(
          { name: `${l}.self_attn.q_proj.bias`, shape: [qd], init: 'zeros' },
          { name: `${l}.self_attn.k_proj.bias`, shape: [kvd], init: 'zeros' },
          { name: `${l}.self_attn.v_proj.bias`, shape: [kvd], init: 'zeros' },
          { name: `${l}.self_attn.o_proj.bias`, shape: [d], init: 'zeros' },
        );
      }
      spec.push(
        { name: `${l}.post_attention_layernorm.weight`, shape: [d], init: 'ones' },
        { name: `${l}.mlp.gate_proj.weight`, shape: [c.intermediateSize, d], init: 'normal', std },
        { name: `${l}.mlp.up_proj.weight`, shape: [c.intermediateSize, d], init: 'normal', std },
        { name: `${l}.mlp.down_proj.weight`, shape: [d, c.intermediateSize], init: 'normal', std },
      );
    }
    spec.push({ name: 'model.norm.weight', shape: [d], init: 'ones' });
    if (!c.tieWordEmbeddings) spec.push({ name: 'lm_head.weight', shape: [c.vocabSize, d], init: 'normal', std });
    return spec;
  }

  protected override ignorable(name: string): boolean {
    return /rotary_emb\.inv_freq$/.test(name) || (this.config.tieWordEmbeddings && name === 'lm_head.weight');
  }

  toHfConfig(): Record<string, unknown> {
    const c = this.config;
    const out: Record<string, unknown> = {
      architectures: [c.modelType === 'mistral' ? 'MistralForCausalLM' : 'LlamaForCausalLM'], model_type: c.modelType,
      vocab_size: c.vocabSize, hidden_size: c.hiddenSize, intermediate_size: c.intermediateSize, num_hidden_layers: c.numLayers,
      num_attention_heads: c.numHeads, num_key_value_heads: c.numKvHeads, head_dim: c.headDim, hidden_act: 'silu',
      max_position_embeddings: c.maxPositions, rms_norm_eps: c.rmsNormEps, rope_theta: c.ropeTheta, rope_scaling: null,
      attention_bias: c.attentionBias, tie_word_embeddings: c.tieWordEmbeddings, bos_token_id: c.bosTokenId ?? null,
      eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds, initializer_range: 0.02, use_cache: true, torch_dtype: 'float32',
    };
    if (c.modelType === 'mistral') out.sliding_window = c.slidingWindow ?? null;
    return out;
  }

  newCache(): KVCache {
    return new KVCache(this.config.numLayers);
  }

  /** Final hidden states `[B, T, d]` (after `model.norm`). */
  hiddenStates(ids: readonly (readonly number[])[], options: ForwardOptions = {}): Tensor {
    const c = this.config;
    const cache = options.cache;
    const past = cache?.length ?? 0;
    const b = ids.length;
    const prefix = past === 0 ? options.prefixEmbeddings : undefined;
    const n = prefix?.shape[0] ?? 0;
    const t = (ids[0]?.length ?? 0) + n;
    const attentionMask = n && options.attentionMask ? options.attentionMask.map((row) => [...new Array<number>(n).fill(1), ...row]) : options.attentionMask;
    const { cos, sin } = rotaryCosSin(positionIds(t, past, b, attentionMask), c.headDim, c.ropeTheta);
    let mask = causalMask(t, past);
    if (c.slidingWindow !== undefined) mask = tf.add(mask, slidingWindowMask(t, past, c.slidingWindow));
    if (attentionMask) mask = tf.add(mask, paddingMask(idsTensor(attentionMask)));
    const rep = c.numHeads / c.numKvHeads;
    let x = embedding(idsTensor(ids), this.w('model.embed_tokens.weight'));
    if (prefix) x = tf.concat([tf.tile(tf.expandDims(prefix, 0), [b, 1, 1]), x], 1);
    for (let i = 0; i < c.numLayers; i++) {
      const l = `model.layers.${i}`;
      const h = rmsNorm(x, this.w(`${l}.input_layernorm.weight`), c.rmsNormEps);
      const q = applyRotary(splitHeads(this.proj(`${l}.self_attn.q_proj`, h), c.numHeads), cos, sin);
      let k = applyRotary(splitHeads(this.proj(`${l}.self_attn.k_proj`, h), c.numKvHeads), cos, sin);
      let v = splitHeads(this.proj(`${l}.self_attn.v_proj`, h), c.numKvHeads);
      if (cache) ({ k, v } = cache.append(i, k, v)); // the cache stores the few KV heads, not the repeated ones
      const y = mergeHeads(scaledDotProductAttention(q, repeatKv(k, rep), repeatKv(v, rep), { mask }));
      x = tf.add(x, this.proj(`${l}.self_attn.o_proj`, y));
      const m = rmsNorm(x, this.w(`${l}.post_attention_layernorm.weight`), c.rmsNormEps);
      const f = tf.mul(silu(this.proj(`${l}.mlp.gate_proj`, m)), this.proj(`${l}.mlp.up_proj`, m));
      x = tf.add(x, this.proj(`${l}.mlp.down_proj`, f));
    }
    return rmsNorm(x, this.w('model.norm.weight'), c.rmsNormEps);
  }

  /** Logits `[B, T, vocab]`. */
  forward(ids: readonly (readonly number[])[], options: ForwardOptions = {}): Tensor {
    const h = this.hiddenStates(ids, options);
    return this.config.tieWordEmbeddings ? linear(h, this.w('model.embed_tokens.weight')) : this.proj('lm_head', h);
  }
}

/** Mistral's sliding window: query at absolute position p may not see keys at positions ≤ p − window. */
function slidingWindowMask(t: number, past: number, window: number): Tensor {
  const s = past + t;
  const data = new Float32Array(t * s);
  for (let i = 0; i < t; i++) for (let j = 0; j <= past + i - window; j++) data[i * s + j] = -1e9;
  return tf.tensor4d(data, [1, 1, t, s]);
}
