/**
 * T5 (`T5ForConditionalGeneration`), HF names:
 *
 *   encoder: x = shared[ids]; each encoder.block.i:
 *     layer.0: x += SelfAttention(layer_norm(x)) with relative position bias (block 0 owns the
 *              `relative_attention_bias` table; every block reuses the same bias), no 1/√d scale
 *     layer.1: x += DenseReluDense(layer_norm(x))          (wi → relu → wo; gated: wi_0/wi_1)
 *   final_layer_norm (RMS-style, no mean, no bias)
 *   decoder: same, plus layer.1 EncDecAttention over the encoder output (padding mask), FF in layer.2;
 *     causal self-attention with unidirectional buckets
 *   logits = (decoder_out · d_model^-0.5) @ sharedᵀ when embeddings are tied (T5's rescaling),
 *            lm_head(decoder_out) otherwise (T5 v1.1)
 */
import { tf, type Tensor } from '@llm/core';
import { ConfigError } from '@llm/core';
import { ConfigReader } from '../checkpoint.js';
import { KVCache, causalMask, mergeHeads, paddingMask, scaledDotProductAttention, splitHeads } from '../nn/attention.js';
import { activation, embedding, linear, rmsNorm, type ActivationName } from '../nn/layers.js';
import { t5PositionBias } from '../nn/positions.js';
import { PretrainedModel, idsTensor, type ParamSpec, type Seq2SeqLM } from '../model.js';

/** T5 hyper-parameters. */
export interface T5Config {
  vocabSize: number;
  dModel: number;
  dKv: number;
  dFf: number;
  numLayers: number;
  numDecoderLayers: number;
  numHeads: number;
  numBuckets: number;
  maxDistance: number;
  layerNormEps: number;
  /** `relu` (T5 1.0) or gated (`gated-gelu`, T5 1.1 / Flan-T5). */
  gated: boolean;
  activation: ActivationName;
  tieWordEmbeddings: boolean;
  padTokenId: number;
  eosTokenId: number;
  decoderStartTokenId: number;
}

/** Parse an HF T5 `config.json` object. */
export function t5ConfigFromHf(raw: Record<string, unknown>, file?: string): T5Config {
  const r = new ConfigReader(raw, file);
  const proj = r.str('feed_forward_proj', 'relu');
  const m = /^(gated-)?(\w+)$/.exec(proj);
  const act = m?.[2] === 'gelu' && m[1] ? 'gelu_new' : m?.[2];
  if (!m || !['relu', 'gelu', 'gelu_new', 'silu'].includes(act ?? '')) throw new ConfigError(`feed_forward_proj '${proj}' is not supported`, { file, field: 'feed_forward_proj' });
  const numLayers = r.int('num_layers');
  return {
    vocabSize: r.int('vocab_size'),
    dModel: r.int('d_model'),
    dKv: r.int('d_kv'),
    dFf: r.int('d_ff'),
    numLayers,
    numDecoderLayers: r.int('num_decoder_layers', numLayers),
    numHeads: r.int('num_heads'),
    numBuckets: r.int('relative_attention_num_buckets', 32),
    maxDistance: r.int('relative_attention_max_distance', 128),
    layerNormEps: r.num('layer_norm_epsilon', 1e-6),
    gated: m[1] !== undefined,
    activation: act as ActivationName,
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    padTokenId: r.int('pad_token_id', 0, 0),
    eosTokenId: r.int('eos_token_id', 1, 0),
    decoderStartTokenId: r.int('decoder_start_token_id', 0, 0),
  };
}

/** T5 encoder–decoder. */
export class T5 extends PretrainedModel implements Seq2SeqLM {
  readonly modelType = 't5';

  constructor(readonly config: T5Config) {
    super();
  }

  get vocabSize(): number { return this.config.vocabSize; }
  get eosTokenIds(): number[] { return [this.config.eosTokenId]; }
  get decoderStartTokenId(): number { return this.config.decoderStartTokenId; }

  paramSpec(): ParamSpec[] {
    const c = this.config;
    const inner = c.numHeads * c.dKv;
    const d = c.dModel;
    const spec: ParamSpec[] = [{ name: 'shared.weight', shape: [c.vocabSize, d], init: 'normal', std: 1 }];
    const attn = (p: string, bias: boolean): ParamSpec[] => [
      { name: `${p}.q.weight`, shape: [inner, d], init: 'normal', std: (d * c.dKv) ** -0.5 },
      { name: `${p}.k.weight`, shape: [inner, d], init: 'normal', std: d ** -0.5 },
      { name: `${p}.v.weight`, shape: [inner, d], init: 'normal', std: d ** -0.5 },
      { name: `${p}.o.weight`, shape: [d, inner], init: 'normal', std: inner ** -0.5 },
      ...(bias ? [{ name: `${p}.relative_attention_bias.weight`, shape: [c.numBuckets, c.numHeads], init: 'normal' as const, std: d ** -0.5 }] : []),
    ];
    const ff = (p: string): ParamSpec[] => [
      ...(c.gated
        ? [{ name: `${p}.DenseReluDense.wi_0.weight`, shape: [c.dFf, d], init: 'normal' as const, std: d ** -0.5 }, { name: `${p}.DenseReluDense.wi_1.weight`, shape: [c.dFf, d], init: 'normal' as const, std: d ** -0.5 }]
        : [{ name: `${p}.DenseReluDense.wi.weight`, shape: [c.dFf, d], init: 'normal' as const, std: d ** -0.5 }]),
      { name: `${p}.DenseReluDense.wo.weight`, shape: [d, c.dFf], init: 'normal', std: c.dFf ** -0.5 },
      { name: `${p}.layer_norm.weight`, shape: [d], init: 'ones' },
    ];
    for (let i = 0; i < c.numLayers; i++) {
      const b = `encoder.block.${i}.layer`;
      spec.push(...attn(`${b}.0.SelfAttention`, i === 0), { name: `${b}.0.layer_norm.weight`, shape: [d], init: 'ones' }, ...ff(`${b}.1`));
    }
    spec.push({ name: 'encoder.final_layer_norm.weight', shape: [d], init: 'ones' });
    for (let i = 0; i < c.numDecoderLayers; i++) {
      const b = `decoder.block.${i}.layer`;
      spec.push(
        ...attn(`${b}.0.SelfAttention`, i === 0), { name: `${b}.0.layer_norm.weight`, shape: [d], init: 'ones' },
        ...attn(`${b}.1.EncDecAttention`, false), { name: `${b}.1.layer_norm.weight`, shape: [d], init: 'ones' },
        ...ff(`${b}.2`),
      );
    }
    spec.push({ name: 'decoder.final_layer_norm.weight', shape: [d], init: 'ones' });
    if (!c.tieWordEmbeddings) spec.push({ name: 'lm_head.weight', shape: [c.vocabSize, d], init: 'normal', std: d ** -0.5 });
    return spec;
  }

  protected override aliases(name: string): string[] {
    return name === 'shared.weight' ? ['encoder.embed_tokens.weight', 'decoder.embed_tokens.weight'] : [];
  }

  protected override ignorable(name: string): boolean {
    return name === 'encoder.embed_tokens.weight' || name === 'decoder.embed_tokens.weight' || (this.config.tieWordEmbeddings && name === 'lm_head.weight');
  }

  toHfConfig(): Record<string, unknown> {
    const c = this.config;
    const proj = c.gated ? `gated-${c.activation === 'gelu_new' ? 'gelu' : c.activation}` : c.activation;
    return {
      architectures: ['T5ForConditionalGeneration'], model_type: 't5', vocab_size: c.vocabSize, d_model: c.dModel, d_kv: c.dKv, d_ff: c.dFf,
      num_layers: c.numLayers, num_decoder_layers: c.numDecoderLayers, num_heads: c.numHeads, relative_attention_num_buckets: c.numBuckets,
      relative_attention_max_distance: c.maxDistance, dropout_rate: 0.1, layer_norm_epsilon: c.layerNormEps, initializer_factor: 1.0,
      feed_forward_proj: proj, is_encoder_decoder: true, tie_word_embeddings: c.tieWordEmbeddings, use_cache: true,
      pad_token_id: c.padTokenId, eos_token_id: c.eosTokenId, decoder_start_token_id: c.decoderStartTokenId, torch_dtype: 'float32',
    };
  }

  newCache(): KVCache {
    return new KVCache(this.config.numDecoderLayers);
  }

  private ff(p: string, x: Tensor): Tensor {
    const c = this.config;
    const h = rmsNorm(x, this.w(`${p}.layer_norm.weight`), c.layerNormEps);
    const act = activation(c.activation);
    const mid = c.gated
      ? tf.mul(act(linear(h, this.w(`${p}.DenseReluDense.wi_0.weight`))), linear(h, this.w(`${p}.DenseReluDense.wi_1.weight`)))
      : act(linear(h, this.w(`${p}.DenseReluDense.wi.weight`)));
    return tf.add(x, linear(mid, this.w(`${p}.DenseReluDense.wo.weight`)));
  }

  /** Encoder output `[B, S, d]`. */
  encode(ids: readonly (readonly number[])[], attentionMask?: readonly (readonly number[])[]): Tensor {
    const c = this.config;
    const s = ids[0]?.length ?? 0;
    let x = embedding(idsTensor(ids), this.w('shared.weight'));
    let bias = t5PositionBias(this.w('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'), s, s, true, c.maxDistance);
    if (attentionMask) bias = tf.add(bias, paddingMask(idsTensor(attentionMask)));
    for (let i = 0; i < c.numLayers; i++) {
      const p = `encoder.block.${i}.layer`;
      const h = rmsNorm(x, this.w(`${p}.0.layer_norm.weight`), c.layerNormEps);
      const a = `${p}.0.SelfAttention`;
      const q = splitHeads(linear(h, this.w(`${a}.q.weight`)), c.numHeads);
      const k = splitHeads(linear(h, this.w(`${a}.k.weight`)), c.numHeads);
      const v = splitHeads(linear(h, this.w(`${a}.v.weight`)), c.numHeads);
      x = tf.add(x, linear(mergeHeads(scaledDotProductAttention(q, k, v, { bias, scale: 1 })), this.w(`${a}.o.weight`)));
      x = this.ff(`${p}.1`, x);
    }
    return rmsNorm(x, this.w('encoder.final_layer_norm.weight'), c.layerNormEps);
  }

  /** Decoder output `[B, T, d]` (before the LM head). */
  decoderStates(decoderIds: readonly (readonly number[])[], encoderStates: Tensor, encoderMask?: readonly (readonly number[])[], cache?: KVCache): Tensor {
    const c = this.config;
    const t = decoderIds[0]?.length ?? 0;
    const past = cache?.length ?? 0;
    let x = embedding(idsTensor(decoderIds), this.w('shared.weight'));
    const selfBias = tf.add(t5PositionBias(this.w('decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'), t, past + t, false, c.maxDistance, past), causalMask(t, past));
    const crossMask = encoderMask ? paddingMask(idsTensor(encoderMask)) : undefined;
    for (let i = 0; i < c.numDecoderLayers; i++) {
      const p = `decoder.block.${i}.layer`;
      // causal self-attention
      const h = rmsNorm(x, this.w(`${p}.0.layer_norm.weight`), c.layerNormEps);
      const a = `${p}.0.SelfAttention`;
      const q = splitHeads(linear(h, this.w(`${a}.q.weight`)), c.numHeads);
      let k = splitHeads(linear(h, this.w(`${a}.k.weight`)), c.numHeads);
      let v = splitHeads(linear(h, this.w(`${a}.v.weight`)), c.numHeads);
      if (cache) ({ k, v } = cache.append(i, k, v));
      x = tf.add(x, linear(mergeHeads(scaledDotProductAttention(q, k, v, { bias: selfBias, scale: 1 })), this.w(`${a}.o.weight`)));
      // cross-attention over the encoder output (keys/values computed once per encoder output when cached)
      const hc = rmsNorm(x, this.w(`${p}.1.layer_norm.weight`), c.layerNormEps);
      const ca = `${p}.1.EncDecAttention`;
      const qc = splitHeads(linear(hc, this.w(`${ca}.q.weight`)), c.numHeads);
      let kv = cache?.cross[i];
      if (!kv) {
        kv = { k: splitHeads(linear(encoderStates, this.w(`${ca}.k.weight`)), c.numHeads), v: splitHeads(linear(encoderStates, this.w(`${ca}.v.weight`)), c.numHeads) };
        if (cache) cache.setCross(i, kv.k, kv.v);
      }
      x = tf.add(x, linear(mergeHeads(scaledDotProductAttention(qc, kv.k, kv.v, { mask: crossMask, scale: 1 })), this.w(`${ca}.o.weight`)));
      x = this.ff(`${p}.2`, x);
    }
    return rmsNorm(x, this.w('decoder.final_layer_norm.weight'), c.layerNormEps);
  }

  /** Decoder logits `[B, T, vocab]`. */
  decode(decoderIds: readonly (readonly number[])[], encoderStates: Tensor, encoderMask?: readonly (readonly number[])[], cache?: KVCache): Tensor {
    const h = this.decoderStates(decoderIds, encoderStates, encoderMask, cache);
    if (this.config.tieWordEmbeddings) return linear(tf.mul(h, this.config.dModel ** -0.5), this.w('shared.weight'));
    return linear(h, this.w('lm_head.weight'));
  }
}
