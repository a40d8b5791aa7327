/**
 * What every architecture shares: a named parameter list in Hugging Face's naming, random
 * initialisation from a seed, loading from / saving to an HF folder with shape checks, and the
 * interfaces generation needs (`CausalLM`, `Seq2SeqLM`).
 */
import { FormatError, Rng, createProgress, tf, throwIfAborted, type Tensor, type Variable } from '@llm/core';
import { CheckpointReader, writeCheckpoint, type HostTensor, type WriteCheckpointOptions } from './checkpoint.js';
import type { KVCache } from './nn/attention.js';
import { conv1d, linear } from './nn/layers.js';

/** One parameter: HF name, shape and how to initialise it. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** `normal` draws N(0, std²); `zeros`/`ones` are constants. */
  init: 'normal' | 'zeros' | 'ones';
  std?: number;
}

/** Options for a forward pass of a causal model. */
export interface ForwardOptions {
  /** KV cache: its contents are the prefix; the new positions are appended. */
  cache?: KVCache;
  /** `[B, pastLength + T]`, 1 for real tokens and 0 for (left) padding. */
  attentionMask?: readonly (readonly number[])[];
  /** Training: enables dropout with this seed. */
  dropoutSeed?: number;
  /**
   * Soft-prompt embeddings `[n, d]` placed before the tokens (prompt tuning). Used on the first
   * pass only (`past === 0`); the output then has `n + T` positions, and `attentionMask`, when
   * given, covers the real tokens only (the prefix is always attended to).
   */
  prefixEmbeddings?: Tensor;
}

/**
 * Intercepts a linear projection (LoRA, QLoRA): `module` is its HF name without `.weight`, `x`
 * its input, and `base()` computes the projection with the model's own weight. A hook may add to
 * `base()` (LoRA) or compute the projection from other weights and never call it (QLoRA's NF4).
 */
export type LinearHook = (module: string, x: Tensor, base: () => Tensor) => Tensor;

/** A decoder-only language model (GPT-2, LLaMA). */
export interface CausalLM {
  readonly vocabSize: number;
  readonly contextLength: number;
  /** End-of-sequence ids from the config. */
  readonly eosTokenIds: readonly number[];
  /** Logits `[B, T, vocab]` for token ids `[B, T]`. */
  forward(ids: readonly (readonly number[])[], options?: ForwardOptions): Tensor;
  /** A fresh, empty cache sized for this model. */
  newCache(): KVCache;
  /** Free the weights. */
  dispose(): void;
}

/**
 * A causal LM that only answers "logits after these ids" asynchronously (an ONNX session, a
 * remote model). Generation with it recomputes the prefix each step (no KV cache).
 */
export interface AsyncCausalLM {
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly eosTokenIds: readonly number[];
  /** Logits `[vocab]` for the position after `ids`. */
  lastLogits(ids: readonly number[]): Promise<Float32Array>;
  dispose(): void;
}

/** An encoder–decoder model (T5). */
export interface Seq2SeqLM {
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[];
  readonly decoderStartTokenId: number;
  /** Encoder states `[B, S, d]`. */
  encode(ids: readonly (readonly number[])[], attentionMask?: readonly (readonly number[])[]): Tensor;
  /** Decoder logits `[B, T, vocab]`; with a cache only the new decoder positions are given. */
  decode(decoderIds: readonly (readonly number[])[], encoderStates: Tensor, encoderMask?: readonly (readonly number[])[], cache?: KVCache): Tensor;
  newCache(): KVCache;
}

/** tfjs variable names must be unique in the process. */
let variableCounter = 0;

/** Base class: owns the weights (as tf variables, so they can be trained) keyed by HF name. */
export abstract class PretrainedModel {
  /** Weights keyed by HF parameter name. */
  readonly weights = new Map<string, Variable>();
  /** HF `model_type`. */
  abstract readonly modelType: string;

  /** Every parameter this model owns, in HF naming (tied copies are not listed). */
  abstract paramSpec(): ParamSpec[];
  /** The config as HF writes it in `config.json`. */
  abstract toHfConfig(): Record<string, unknown>;

  /**
   * Other names a checkpoint may use for `name` (older layouts, e.g. GPT-2 files saved from
   * `GPT2Model` without the `transformer.` prefix, or BERT's `gamma`/`beta`).
   */
  protected aliases(name: string): string[] {
    void name;
    return [];
  }

  /** Checkpoint tensors that are known and safely ignored (causal-mask buffers, tied copies). */
  protected ignorable(name: string): boolean {
    void name;
    return false;
  }

  /** Set by adapters (LoRA, QLoRA) to intercept the projections {@link PretrainedModel.proj} computes. */
  linearHook: LinearHook | undefined;

  /**
   * The linear projection `module` (HF name without `.weight`) of `x`, through {@link linearHook}
   * when one is set. `layout: 'conv1d'` is GPT-2's transposed `[in, out]` weight.
   */
  proj(module: string, x: Tensor, layout: 'linear' | 'conv1d' = 'linear'): Tensor {
    const base = () => (layout === 'conv1d' ? conv1d : linear)(x, this.w(`${module}.weight`), this.wOpt(`${module}.bias`));
    return this.linearHook ? this.linearHook(module, x, base) : base();
  }

  /** A weight by HF name. */
  w(name: string): Tensor {
    const t = this.weights.get(name);
    if (!t) throw new Error(`internal: model has no weight '${name}'`);
    return t;
  }

  /** An optional weight (biases some configs omit). */
  wOpt(name: string): Tensor | undefined {
    return this.weights.get(name);
  }

  /** Initialise every parameter from `seed` (each from its own `rng.split(name)` stream). */
  initRandom(seed: number | string = 0): this {
    const rng = new Rng(seed);
    for (const p of this.paramSpec()) {
      const n = p.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      if (p.init === 'ones') data.fill(1);
      else if (p.init === 'normal') {
        const r = rng.split(p.name);
        const std = p.std ?? 0.02;
        for (let i = 0; i < n; i++) data[i] = r.normal() * std;
      }
      this.setWeight(p.name, tf.tensor(data, p.shape));
    }
    return this;
  }

  private setWeight(name: string, value: Tensor): void {
    this.weights.get(name)?.dispose();
    this.weights.set(name, tf.variable(value, true, `${this.modelType}/${name}/${variableCounter++}`));
    value.dispose();
  }

  /**
   * Load weights from an HF folder's safetensors (single or sharded), checking every tensor's
   * shape against the config. Missing tensors and wrong shapes raise a `FormatError` naming the
   * tensor. Returns the checkpoint tensors that were not used.
   */
  async loadWeights(dir: string, options: { signal?: AbortSignal } = {}): Promise<{ unexpected: string[] }> {
    const reader = await CheckpointReader.open(dir);
    const spec = this.paramSpec();
    const progress = createProgress({ label: 'load weights', total: spec.length, unit: 'tensors' });
    try {
      const used = new Set<string>();
      for (const p of spec) {
        throwIfAborted(options.signal);
        const candidates = [p.name, ...this.aliases(p.name)];
        const found = candidates.find((c) => reader.has(c));
        if (!found) throw new FormatError('hf-checkpoint', `missing tensor '${p.name}'`, { file: dir, field: p.name });
        const t: HostTensor = await reader.read(found);
        if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
          throw new FormatError('hf-checkpoint', `tensor '${found}' has shape ${JSON.stringify(t.shape)}, the config needs ${JSON.stringify(p.shape)}`, { file: dir, field: found });
        }
        this.setWeight(p.name, tf.tensor(t.data, p.shape));
        used.add(found);
        progress.tick();
      }
      return { unexpected: reader.names.filter((n) => !used.has(n) && !this.ignorable(n)) };
    } finally {
      progress.done();
      await reader.close();
    }
  }

  /** Weights as host float32 arrays keyed by HF name. */
  hostWeights(): Map<string, HostTensor> {
    const out = new Map<string, HostTensor>();
    for (const p of this.paramSpec()) out.set(p.name, { shape: p.shape, data: this.w(p.name).dataSync() as Float32Array });
    return out;
  }

  /** Save as an HF folder (`config.json` + `model.safetensors`, sharded past `maxShardBytes`). */
  async save(dir: string, options?: WriteCheckpointOptions): Promise<string[]> {
    return writeCheckpoint(dir, this.toHfConfig(), this.hostWeights(), options);
  }

  /** Trainable variables (for optimizers). */
  variables(): Variable[] {
    return [...this.weights.values()];
  }

  /** Number of parameters. */
  parameterCount(): number {
    return this.paramSpec().reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  }

  /** Free the weights. */
  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
  }
}

/** Positions for a batch: `past..past+T-1`, or with a mask, the count of real tokens before each (HF's `cumsum(mask) - 1`). */
export function positionIds(t: number, pastLength: number, batch: number, attentionMask?: readonly (readonly number[])[]): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const row: number[] = [];
    if (attentionMask) {
      const m = attentionMask[b]!;
      let c = 0;
      for (let j = 0; j < pastLength + t; j++) {
        c += m[j] ?? 1;
        if (j >= pastLength) row.push(Math.max(0, c - 1));
      }
    } else {
      for (let j = 0; j < t; j++) row.push(pastLength + j);
    }
    out.push(row);
  }
  return out;
}

/** int32 `[B, T]` tensor from nested arrays. */
export function idsTensor(ids: readonly (readonly number[])[]): Tensor {
  const b = ids.length;
  const t = ids[0]?.length ?? 0;
  const flat = new Int32Array(b * t);
  for (let i = 0; i < b; i++) {
    if (ids[i]!.length !== t) throw new Error(`ragged batch: row ${i} has ${ids[i]!.length} ids, row 0 has ${t}`);
    flat.set(ids[i]!, i * t);
  }
  return tf.tensor2d(flat, [b, t], 'int32');
}
