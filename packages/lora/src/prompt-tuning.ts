import { ConfigError, Rng, tf, type Tensor, type Tokenizer, type Variable } from '@llm/core';
import type { ForwardOptions, PretrainedModel } from '@llm/transformer';
import { loadAdapter, saveAdapter, type PromptTuningConfig } from './peft.js';

/** A causal model that accepts soft-prompt prefix embeddings (`Gpt2`, `Llama`). */
export type PrefixableModel = PretrainedModel & { forward(ids: readonly (readonly number[])[], options?: ForwardOptions): Tensor; readonly vocabSize: number };

const EMBEDDING: Record<string, string> = { gpt2: 'transformer.wte.weight', llama: 'model.embed_tokens.weight', mistral: 'model.embed_tokens.weight' };

let counter = 0;

/**
 * Prompt tuning (Lester et al. 2021, PEFT's `PROMPT_TUNING`): `n` trainable virtual-token
 * embeddings placed before every input of a frozen model; only they are trained.
 */
export class PromptTuning {
  readonly embeddings: Variable;

  private constructor(readonly model: PrefixableModel, readonly config: PromptTuningConfig, init: Float32Array) {
    this.embeddings = tf.variable(tf.tensor2d(init, [config.num_virtual_tokens, config.token_dim]), true, `prompt-tuning/${counter++}`);
  }

  private static tableName(model: PrefixableModel): string {
    const name = EMBEDDING[model.modelType];
    if (!name) throw new ConfigError(`prompt tuning supports gpt2 and llama models, not ${model.modelType}`);
    return name;
  }

  /**
   * New soft prompt of `numVirtualTokens`, initialised from the embeddings of `initText`'s tokens
   * (repeated to fill, as PEFT does) or, without text, from random vocabulary rows.
   */
  static create(model: PrefixableModel, options: { numVirtualTokens: number; initText?: string; tokenizer?: Tokenizer; seed?: number }): PromptTuning {
    const n = options.numVirtualTokens;
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`numVirtualTokens must be a positive integer, got ${n}`);
    const table = model.w(PromptTuning.tableName(model));
    const [vocab, d] = table.shape as [number, number];
    let rows: number[];
    if (options.initText !== undefined) {
      if (!options.tokenizer) throw new ConfigError('initText needs a tokenizer');
      const ids = options.tokenizer.encode(options.initText, undefined, { addSpecialTokens: false }).ids;
      if (ids.length === 0) throw new ConfigError('initText encodes to no tokens');
      rows = Array.from({ length: n }, (_, i) => ids[i % ids.length]!);
    } else {
      const rng = new Rng(options.seed ?? 0);
      rows = Array.from({ length: n }, () => rng.int(vocab));
    }
    const init = tf.tidy(() => tf.gather(table, tf.tensor1d(rows, 'int32')).dataSync() as Float32Array);
    const config: PromptTuningConfig = {
      peft_type: 'PROMPT_TUNING', task_type: 'CAUSAL_LM', num_virtual_tokens: n, token_dim: d, num_transformer_submodules: 1,
      prompt_tuning_init: options.initText !== undefined ? 'TEXT' : 'RANDOM', prompt_tuning_init_text: options.initText ?? null,
      tokenizer_name_or_path: null, base_model_name_or_path: null, inference_mode: true,
    };
    return new PromptTuning(model, config, Float32Array.from(init));
  }

  /** Load a PEFT prompt-tuning folder for `model`. */
  static async load(model: PrefixableModel, dir: string): Promise<PromptTuning> {
    const a = await loadAdapter(dir);
    if (a.config.peft_type !== 'PROMPT_TUNING' || !a.promptEmbeddings) throw new ConfigError(`${dir} holds a ${a.config.peft_type} adapter, not prompt tuning`);
    const d = (model.w(PromptTuning.tableName(model)).shape as number[])[1];
    if (a.promptEmbeddings.shape[1] !== d) throw new ConfigError(`soft prompt has width ${a.promptEmbeddings.shape[1]}, the model's embeddings ${d}`);
    return new PromptTuning(model, a.config, a.promptEmbeddings.data);
  }

  /** Logits `[B, T, vocab]` for the real tokens (the virtual positions are dropped). */
  forward(ids: readonly (readonly number[])[], options: ForwardOptions = {}): Tensor {
    const n = this.config.num_virtual_tokens;
    const full = this.model.forward(ids, { ...options, prefixEmbeddings: this.embeddings });
    const [b, t, v] = full.shape as [number, number, number];
    return tf.slice(full, [0, n, 0], [b, t - n, v]);
  }

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  /** The trainable variable, keyed by PEFT's tensor name. */
  variables(): Map<string, Variable> {
    return new Map([['prompt_embeddings', this.embeddings]]);
  }

  /** Save as a PEFT prompt-tuning folder. */
  async save(dir: string): Promise<void> {
    await saveAdapter(dir, { config: this.config, lora: new Map(), promptEmbeddings: { data: this.embeddings.dataSync() as Float32Array, shape: [this.config.num_virtual_tokens, this.config.token_dim] } });
  }

  dispose(): void {
    this.embeddings.dispose();
  }
}
