/**
 * GPT-2 (`GPT2LMHeadModel`), HF names and layout:
 *
 *   x = wte[ids] + wpe[positions]
 *   for each block h.i:   x += attn(ln_1(x))      (pre-norm, causal)
 *                          x += mlp(ln_2(x))       (c_fc → gelu_new → c_proj)
 *   logits = ln_f(x) @ wteᵀ                        (lm_head tied to wte, not stored)
 *
 * GPT-2 uses `Conv1D`, whose weights are stored `[in, out]` — transposed relative to
 * `nn.Linear`; `c_attn` packs q, k, v side by side along its output axis.
 */
import { tf, type Tensor } from '@llm/core';
import { ConfigReader } from '../checkpoint.js';
import { KVCache, causalMask, causalSelfAttention, mergeHeads, paddingMask, scaledDotProductAttention, splitHeads } from '../nn/attention.js';
import { activation, conv1d, dropout, embedding, layerNorm, linear, type ActivationName } from '../nn/layers.js';
import { PretrainedModel, idsTensor, positionIds, type CausalLM, type ForwardOptions, type ParamSpec } from '../model.js';

/** GPT-2 hyper-parameters (HF `GPT2Config` names in comments). */
export interface Gpt2Config {
  vocabSize: number; // vocab_size
  nPositions: number; // n_positions
  nEmbd: number; // n_embd
  nLayer: number; // n_layer
  nHead: number; // n_head
  nInner: number; // n_inner (null → 4·n_embd)
  activation: ActivationName; // activation_function
  layerNormEps: number; // layer_norm_epsilon
  dropout: number; // resid_pdrop (used for embd/attn too when training)
  bosTokenId?: number;
  eosTokenId?: number;
}

/** Parse an HF GPT-2 `config.json` object. */
export function gpt2ConfigFromHf(raw: Record<string, unknown>, file?: string): Gpt2Config {
  const r = new ConfigReader(raw, file);
  const nEmbd = r.int('n_embd');
  const nHead = r.int('n_head');
  r.divisible('n_embd', nEmbd, 'n_head', nHead);
  return {
    vocabSize: r.int('vocab_size'),
    nPositions: r.int('n_positions', r.int('n_ctx', 1024)),
    nEmbd,
    nLayer: r.int('n_layer'),
    nHead,
    nInner: r.int('n_inner', 4 * nEmbd),
    activation: r.str<ActivationName>('activation_function', 'gelu_new', ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu', 'silu', 'swish']),
    layerNormEps: r.num('layer_norm_epsilon', 1e-5),
    dropout: r.num('resid_pdrop', 0.1),
    bosTokenId: r.ids('bos_token_id')[0],
    eosTokenId: r.ids('eos_token_id')[0],
  };
}

/** GPT-2 language model. */
export class Gpt2 extends PretrainedModel implements CausalLM {
  readonly modelType = 'gpt2';

  constructor(readonly config: Gpt2Config) {
    super();
  }

  get vocabSize(): number { return this.config.vocabSize; }
  get contextLength(): number { return this.config.nPositions; }
  get eosTokenIds(): number[] { return this.config.eosTokenId === undefined ? [] : [this.config.eosTokenId]; }

  paramSpec(): ParamSpec[] {
    const { vocabSize: v, nPositions: p, nEmbd: d, nInner: f, nLayer } = this.config;
    const std = 0.02;
    const resid = 0.02 / Math.sqrt(2 * nLayer); // GPT-2's scaled init of residual projections
    const spec: ParamSpec[] = [
      { name: 'transformer.wte.weight', shape: [v, d], init: 'normal', std },
      { name: 'transformer.wpe.weight', shape: [p, d], init: 'normal', std: 0.01 },
    ];
    for (let i = 0; i < nLayer; i++) {
      const h = `transformer.h.${i}`;
      spec.push(
        { name: `${h}.ln_1.weight`, shape: [d], init: 'ones' },
        { name: `${h}.ln_1.bias`, shape: [d], init: 'zeros' },
        { name: `${h}.attn.c_attn.weight`, shape: [d, 3 * d], init: 'normal', std },
        { name: `${h}.attn.c_attn.bias`, shape: [3 * d], init: 'zeros' },
        { name: `${h}.attn.c_proj.weight`, shape: [d, d], init: 'normal', std: resid },
        { name: `${h}.attn.c_proj.bias`, shape: [d], init: 'zeros' },
        { name: `${h}.ln_2.weight`, shape: [d], init: 'ones' },
        { name: `${h}.ln_2.bias`, shape: [d], init: 'zeros' },
        { name: `${h}.mlp.c_fc.weight`, shape: [d, f], init: 'normal', std },
        { name: `${h}.mlp.c_fc.bias`, shape: [f], init: 'zeros' },
        { name: `${h}.mlp.c_proj.weight`, shape: [f, d], init: 'normal', std: resid },
        { name: `${h}.mlp.c_proj.bias`, shape: [d], init: 'zeros' },
      );
    }
    spec.push({ name: 'transformer.ln_f.weight', shape: [d], init: 'ones' }, { name: 'transformer.ln_f.bias', shape: [d], init: 'zeros' });
    return spec;
  }

  protected override aliases(name: string): string[] {
    // Files saved from GPT2Model (e.g. the original `gpt2` upload) have no `transformer.` prefix.
    return name.startsWith('transformer.') ? [name.slice('transformer.'.length)] : [];
  }

  protected override ignorable(name: string): boolean {
    return /(^|\.)attn\.(bias|masked_bias)$/.test(name) || name === 'lm_head.weight';
  }

  toHfConfig(): Record<string, unknown> {
    const c = this.config;
    return {
      architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: c.vocabSize, n_positions: c.nPositions, n_ctx: c.nPositions,
      n_embd: c.nEmbd, n_layer: c.nLayer, n_head: c.nHead, n_inner: c.nInner === 4 * c.nEmbd ? null : c.nInner,
      activation_function: c.activation, layer_norm_epsilon: c.layerNormEps, resid_pdrop: c.dropout, embd_pdrop: c.dropout, attn_pdrop: c.dropout,
      bos_token_id: c.bosTokenId ?? null, eos_token_id: c.eosTokenId ?? null, tie_word_embeddings: true, scale_attn_weights: true,
      initializer_range: 0.02, use_cache: true, torch_dtype: 'float32',
    };
  }

  newCache(): KVCache {
    return new KVCache(this.config.nLayer);
  }

  /** Final hidden states `[B, T, d]` (after `ln_f`). */
  hiddenStates(ids: readonly (readonly number[])[], options: ForwardOptions = {}): Tensor {
    const { nLayer, nHead, nEmbd, layerNormEps: eps } = this.config;
    const act = activation(this.config.activation);
    const cache = options.cache;
    const past = cache?.length ?? 0;
    const b = ids.length;
    const prefix = past === 0 ? options.prefixEmbeddings : undefined;
    const n = prefix?.shape[0] ?? 0;
    const t = (ids[0]?.length ?? 0) + n;
    const attentionMask = n && options.attentionMask ? options.attentionMask.map((row) => [...new Array<number>(n).fill(1), ...row]) : options.attentionMask;
    if (past + t > this.config.nPositions) throw new RangeError(`sequence of ${past + t} tokens exceeds n_positions ${this.config.nPositions}`);
    const pdrop = options.dropoutSeed === undefined ? 0 : this.config.dropout;
    let seed = options.dropoutSeed ?? 0;
    const drop = (x: Tensor): Tensor => dropout(x, pdrop, pdrop > 0 ? seed++ : undefined);

    const pos = idsTensor(positionIds(t, past, b, attentionMask));
    let tok = embedding(idsTensor(ids), this.w('transformer.wte.weight'));
    if (prefix) tok = tf.concat([tf.tile(tf.expandDims(prefix, 0), [b, 1, 1]), tok], 1);
    let x = tf.add(tok, embedding(pos, this.w('transformer.wpe.weight')));
    x = drop(x);
    let mask = causalMask(t, past);
    if (attentionMask) mask = tf.add(mask, paddingMask(idsTensor(attentionMask)));
    for (let i = 0; i < nLayer; i++) {
      const h = `transformer.h.${i}`;
      // attention
      const a = layerNorm(x, this.w(`${h}.ln_1.weight`), this.w(`${h}.ln_1.bias`), eps);
      const qkv = this.proj(`${h}.attn.c_attn`, a, 'conv1d');
      let y: Tensor;
      if (!cache && !attentionMask) {
        // a whole sequence, causal only (training, scoring): one fused op from the packed q|k|v
        y = causalSelfAttention(qkv, nHead);
      } else {
        const [q, k, v] = tf.split(qkv, 3, -1) as [Tensor, Tensor, Tensor];
        let kh = splitHeads(k, nHead);
        let vh = splitHeads(v, nHead);
        if (cache) ({ k: kh, v: vh } = cache.append(i, kh, vh));
        y = mergeHeads(scaledDotProductAttention(splitHeads(q, nHead), kh, vh, { mask }));
      }
      x = tf.add(x, drop(this.proj(`${h}.attn.c_proj`, y, 'conv1d')));
      // MLP
      const m = layerNorm(x, this.w(`${h}.ln_2.weight`), this.w(`${h}.ln_2.bias`), eps);
      const f = act(this.proj(`${h}.mlp.c_fc`, m, 'conv1d'));
      x = tf.add(x, drop(this.proj(`${h}.mlp.c_proj`, f, 'conv1d')));
    }
    void nEmbd;
    return layerNorm(x, this.w('transformer.ln_f.weight'), this.w('transformer.ln_f.bias'), eps);
  }

  /** Logits `[B, T, vocab]` (lm_head tied to `wte`). */
  forward(ids: readonly (readonly number[])[], options: ForwardOptions = {}): Tensor {
    return linear(this.hiddenStates(ids, options), this.w('transformer.wte.weight'));
  }
}
