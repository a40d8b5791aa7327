import { ConfigError, Rng, tf, type Tensor, type Variable } from '@llm/core';
import { Gpt2, Llama, type ForwardOptions, type KVCache } from '@llm/transformer';
import { loadAdapter, saveAdapter, type PrefixTuningConfig } from './peft.js';
import type { PrefixableModel } from './prompt-tuning.js';

let counter = 0;

/** Layers, key/value heads and head size of a GPT-2 or LLaMA model (what a prefix must match). */
function kvGeometry(model: PrefixableModel): { layers: number; kvHeads: number; headDim: number } {
  if (model instanceof Llama) return { layers: model.config.numLayers, kvHeads: model.config.numKvHeads, headDim: model.config.headDim };
  if (model instanceof Gpt2) return { layers: model.config.nLayer, kvHeads: model.config.nHead, headDim: model.config.nEmbd / model.config.nHead };
  throw new ConfigError(`prefix tuning supports gpt2 and llama models, not ${model.modelType}`);
}

/**
 * Prefix tuning (Li & Liang 2021, PEFT's `PREFIX_TUNING` without the reparametrising MLP):
 * `n` trainable key/value vectors per layer and head, placed before every input's keys and
 * values in each attention layer of a frozen model; the real tokens take positions `n…n+T-1`, as
 * in PEFT (which passes the prefix as `past_key_values`). Stored as PEFT does:
 * `prompt_embeddings` `[n, numLayers × 2 × tokenDim]` with `tokenDim` = key/value heads × head
 * size; row `v` holds, for layer `l`, the key at columns `2l·tokenDim…` and the value at
 * `(2l+1)·tokenDim…`, each laid out head-major (`[heads, headDim]`).
 *
 * The prefix travels through the model's KV cache, whose tensors outlive `tf.tidy`: after a
 * training step (or a batch of inference), call {@link releaseCaches}.
 */
export class PrefixTuning {
  readonly embeddings: Variable;
  private readonly geometry: { layers: number; kvHeads: number; headDim: number };
  private pending: KVCache[] = [];

  private constructor(readonly model: PrefixableModel, readonly config: PrefixTuningConfig, init: Float32Array) {
    this.geometry = kvGeometry(model);
    this.embeddings = tf.variable(tf.tensor2d(init, [config.num_virtual_tokens, config.num_layers * 2 * config.token_dim]), true, `prefix-tuning/${counter++}`);
  }

  private static configFor(model: PrefixableModel, n: number): PrefixTuningConfig {
    const g = kvGeometry(model);
    const tokenDim = g.kvHeads * g.headDim;
    return {
      peft_type: 'PREFIX_TUNING', task_type: 'CAUSAL_LM', num_virtual_tokens: n, token_dim: tokenDim, num_transformer_submodules: 1,
      num_attention_heads: g.kvHeads, num_layers: g.layers, encoder_hidden_size: tokenDim, prefix_projection: false,
      base_model_name_or_path: null, revision: null, modules_to_save: null, inference_mode: true,
    };
  }

  /**
   * A new prefix of `numVirtualTokens` positions, initialised N(0, std²) (PEFT's `nn.Embedding`
   * init is std 1; a smaller std starts closer to the base model's behaviour).
   */
  static create(model: PrefixableModel, options: { numVirtualTokens: number; std?: number; seed?: number }): PrefixTuning {
    const n = options.numVirtualTokens;
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`numVirtualTokens must be a positive integer, got ${n}`);
    const config = PrefixTuning.configFor(model, n);
    const init = new Rng(options.seed ?? 0).normalArray(n * config.num_layers * 2 * config.token_dim, 0, options.std ?? 1);
    return new PrefixTuning(model, config, init);
  }

  /** Load a PEFT prefix-tuning folder for `model` (its layers and key/value geometry must match). */
  static async load(model: PrefixableModel, dir: string): Promise<PrefixTuning> {
    const a = await loadAdapter(dir);
    if (a.config.peft_type !== 'PREFIX_TUNING' || !a.promptEmbeddings) throw new ConfigError(`${dir} holds a ${a.config.peft_type} adapter, not prefix tuning`);
    const want = PrefixTuning.configFor(model, a.config.num_virtual_tokens);
    for (const field of ['num_layers', 'token_dim', 'num_attention_heads'] as const) {
      if (a.config[field] !== want[field]) throw new ConfigError(`adapter_config ${field} is ${a.config[field]}, this model needs ${want[field]}`, { file: dir, field });
    }
    if (a.config.num_transformer_submodules !== 1) throw new ConfigError('prefix tuning of encoder-decoder models (num_transformer_submodules 2) is not supported', { file: dir, field: 'num_transformer_submodules' });
    return new PrefixTuning(model, a.config, a.promptEmbeddings.data);
  }

  /**
   * A KV cache holding the prefix for a batch of `batch` rows (keys and values `[B, kvHeads, n,
   * headDim]` per layer, differentiable with respect to {@link embeddings}). It is also registered
   * for {@link releaseCaches}.
   */
  prefixCache(batch: number): KVCache {
    const { layers, kvHeads, headDim } = this.geometry;
    const n = this.config.num_virtual_tokens;
    const cache = (this.model as Llama | Gpt2).newCache(); // kvGeometry admitted only these
    // [n, L·2·kvH·hd] → [n, L·2, kvH, hd] → [L·2, kvH, n, hd]: PEFT's view + permute([2, 0, 3, 1, 4]).
    const kv = tf.transpose(tf.reshape(this.embeddings, [n, layers * 2, kvHeads, headDim]), [1, 2, 0, 3]);
    const parts = tf.unstack(kv, 0);
    for (let l = 0; l < layers; l++) {
      const rows = (t: Tensor) => tf.tile(tf.expandDims(t, 0), [batch, 1, 1, 1]);
      cache.append(l, rows(parts[2 * l]!), rows(parts[2 * l + 1]!));
    }
    this.pending.push(cache);
    return cache;
  }

  /**
   * Logits `[B, T, vocab]` for the real tokens. `attentionMask`, when given, covers the real tokens
   * only (the prefix is always attended to).
   */
  forward(ids: readonly (readonly number[])[], options: ForwardOptions = {}): Tensor {
    if (options.cache || options.prefixEmbeddings) throw new ConfigError('prefix tuning supplies the cache itself; pass neither cache nor prefixEmbeddings');
    const n = this.config.num_virtual_tokens;
    const attentionMask = options.attentionMask?.map((row) => [...new Array<number>(n).fill(1), ...row]);
    return this.model.forward(ids, { ...options, cache: this.prefixCache(ids.length), attentionMask });
  }

  /** Free the caches made by {@link forward} / {@link prefixCache} (after the gradients are taken). */
  releaseCaches(): void {
    for (const c of this.pending) c.dispose();
    this.pending = [];
  }

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  /** The trainable variable, keyed by PEFT's tensor name. */
  variables(): Map<string, Variable> {
    return new Map([['prompt_embeddings', this.embeddings]]);
  }

  /** Save as a PEFT prefix-tuning folder. */
  async save(dir: string): Promise<void> {
    await saveAdapter(dir, { config: this.config, lora: new Map(), promptEmbeddings: { data: this.embeddings.dataSync() as Float32Array, shape: [this.config.num_virtual_tokens, this.config.num_layers * 2 * this.config.token_dim] } });
  }

  dispose(): void {
    this.releaseCaches();
    this.embeddings.dispose();
  }
}
