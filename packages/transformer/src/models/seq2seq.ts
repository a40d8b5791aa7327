/**
 * The original encoder–decoder Transformer (Vaswani et al. 2017) built from the generic blocks:
 * shared token embeddings scaled by √d plus sinusoidal positions, an encoder stack, a causal
 * decoder stack with cross-attention, and an output layer tied to the embeddings. `norm: 'post'`
 * is the paper's layout; `'pre'` trains more easily. For exercises (translation, copy tasks).
 * Parameter names follow a BART-like scheme; there is no HF architecture for it.
 */
import { tf, type Tensor } from '@llm/core';
import { KVCache, causalMask, paddingMask } from '../nn/attention.js';
import { transformerStack, type AttentionWeights, type BlockOptions, type BlockWeights, type NormWeights } from '../nn/blocks.js';
import { embedding, linear, type ActivationName } from '../nn/layers.js';
import { sinusoidalPositions } from '../nn/positions.js';
import { PretrainedModel, idsTensor, type ParamSpec, type Seq2SeqLM } from '../model.js';

/** Hyper-parameters of {@link Seq2SeqTransformer}. */
export interface Seq2SeqConfig {
  vocabSize: number;
  dModel: number;
  heads: number;
  encoderLayers: number;
  decoderLayers: number;
  dFf: number;
  maxPositions: number;
  norm: 'pre' | 'post';
  activation: ActivationName;
  dropout: number;
  padTokenId: number;
  bosTokenId: number;
  eosTokenId: number;
}

/** Vaswani-style encoder–decoder. */
export class Seq2SeqTransformer extends PretrainedModel implements Seq2SeqLM {
  readonly modelType = 'llm-seq2seq';
  private readonly positions: Tensor;

  constructor(readonly config: Seq2SeqConfig) {
    super();
    this.positions = tf.keep(sinusoidalPositions(config.maxPositions, config.dModel));
  }

  get vocabSize(): number { return this.config.vocabSize; }
  get eosTokenIds(): number[] { return [this.config.eosTokenId]; }
  get decoderStartTokenId(): number { return this.config.bosTokenId; }

  paramSpec(): ParamSpec[] {
    const c = this.config;
    const d = c.dModel;
    const std = d ** -0.5;
    const lin = (p: string, o: number, i: number): ParamSpec[] => [{ name: `${p}.weight`, shape: [o, i], init: 'normal', std: i ** -0.5 }, { name: `${p}.bias`, shape: [o], init: 'zeros' }];
    const ln = (p: string): ParamSpec[] => [{ name: `${p}.weight`, shape: [d], init: 'ones' }, { name: `${p}.bias`, shape: [d], init: 'zeros' }];
    const attn = (p: string): ParamSpec[] => ['q_proj', 'k_proj', 'v_proj', 'out_proj'].flatMap((n) => lin(`${p}.${n}`, d, d));
    const spec: ParamSpec[] = [{ name: 'shared.weight', shape: [c.vocabSize, d], init: 'normal', std }];
    for (const [stack, n] of [['encoder', c.encoderLayers], ['decoder', c.decoderLayers]] as const) {
      for (let i = 0; i < n; i++) {
        const l = `${stack}.layers.${i}`;
        spec.push(...attn(`${l}.self_attn`), ...ln(`${l}.self_attn_layer_norm`));
        if (stack === 'decoder') spec.push(...attn(`${l}.encoder_attn`), ...ln(`${l}.encoder_attn_layer_norm`));
        spec.push(...lin(`${l}.fc1`, c.dFf, d), ...lin(`${l}.fc2`, d, c.dFf), ...ln(`${l}.final_layer_norm`));
      }
      if (c.norm === 'pre') spec.push(...ln(`${stack}.layer_norm`));
    }
    return spec;
  }

  toHfConfig(): Record<string, unknown> {
    const c = this.config;
    return {
      model_type: this.modelType, vocab_size: c.vocabSize, d_model: c.dModel, heads: c.heads, encoder_layers: c.encoderLayers, decoder_layers: c.decoderLayers,
      d_ff: c.dFf, max_position_embeddings: c.maxPositions, norm: c.norm, activation_function: c.activation, dropout: c.dropout,
      pad_token_id: c.padTokenId, bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenId,
    };
  }

  newCache(): KVCache {
    return new KVCache(this.config.decoderLayers);
  }

  private blocks(stack: 'encoder' | 'decoder'): BlockWeights[] {
    const n = stack === 'encoder' ? this.config.encoderLayers : this.config.decoderLayers;
    const L = (p: string) => ({ weight: this.w(`${p}.weight`), bias: this.w(`${p}.bias`) });
    const A = (p: string): AttentionWeights => ({ q: L(`${p}.q_proj`), k: L(`${p}.k_proj`), v: L(`${p}.v_proj`), o: L(`${p}.out_proj`) });
    return Array.from({ length: n }, (_, i) => {
      const l = `${stack}.layers.${i}`;
      return {
        selfAttn: A(`${l}.self_attn`), norm1: L(`${l}.self_attn_layer_norm`),
        crossAttn: stack === 'decoder' ? A(`${l}.encoder_attn`) : undefined,
        normCross: stack === 'decoder' ? L(`${l}.encoder_attn_layer_norm`) : undefined,
        mlp: { fc: L(`${l}.fc1`), proj: L(`${l}.fc2`) }, norm2: L(`${l}.final_layer_norm`),
      };
    });
  }

  private embed(ids: readonly (readonly number[])[], offset: number): Tensor {
    const t = ids[0]?.length ?? 0;
    const pos = tf.slice(this.positions, [offset, 0], [t, this.config.dModel]);
    return tf.add(tf.mul(embedding(idsTensor(ids), this.w('shared.weight')), Math.sqrt(this.config.dModel)), pos);
  }

  private options(dropoutSeed?: number): BlockOptions {
    const c = this.config;
    return { heads: c.heads, norm: c.norm, normKind: 'layer', eps: 1e-5, activation: c.activation, dropout: dropoutSeed !== undefined && c.dropout > 0 ? { rate: c.dropout, seed: dropoutSeed } : undefined };
  }

  private finalNorm(stack: 'encoder' | 'decoder'): NormWeights | undefined {
    return this.config.norm === 'pre' ? { weight: this.w(`${stack}.layer_norm.weight`), bias: this.w(`${stack}.layer_norm.bias`) } : undefined;
  }

  /** Encoder output `[B, S, d]`. */
  encode(ids: readonly (readonly number[])[], attentionMask?: readonly (readonly number[])[], dropoutSeed?: number): Tensor {
    const mask = attentionMask ? paddingMask(idsTensor(attentionMask)) : undefined;
    return transformerStack(this.embed(ids, 0), this.blocks('encoder'), { ...this.options(dropoutSeed), mask }, this.finalNorm('encoder'));
  }

  /** Decoder logits `[B, T, vocab]` (output layer tied to the embeddings). */
  decode(decoderIds: readonly (readonly number[])[], encoderStates: Tensor, encoderMask?: readonly (readonly number[])[], cache?: KVCache, dropoutSeed?: number): Tensor {
    const past = cache?.length ?? 0;
    const t = decoderIds[0]?.length ?? 0;
    const o: BlockOptions = { ...this.options(dropoutSeed), mask: causalMask(t, past), memory: encoderStates, memoryMask: encoderMask ? paddingMask(idsTensor(encoderMask)) : undefined, cache };
    const h = transformerStack(this.embed(decoderIds, past), this.blocks('decoder'), o, this.finalNorm('decoder'));
    return linear(h, this.w('shared.weight'));
  }

  override dispose(): void {
    super.dispose();
    this.positions.dispose();
  }
}
