/**
 * Inference of an exported causal model (`DIR/onnx/model.onnx` + `DIR/config.json`) with
 * onnxruntime-node, as an `AsyncCausalLM`: plug it into `TransformerLanguageModel` to get a
 * `LanguageModel` on the ONNX path. onnxruntime-node is an optional peer dependency, loaded on
 * first use. The export has no KV-cache inputs, so each token recomputes the prefix.
 */
import { join } from 'node:path';
import { ConfigError } from '@llm/core';
import { readHfConfig } from '../checkpoint.js';
import type { AsyncCausalLM } from '../model.js';

interface OrtTensor { data: unknown; dims: readonly number[] }
interface OrtSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  InferenceSession: { create(path: string, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: BigInt64Array | Float32Array, dims: number[]) => OrtTensor;
}

/**
 * An exported GPT-2 folder run by onnxruntime-node. When the graph has KV-cache inputs
 * (`exportOnnx(m, dir, { kvCache: true })`), a call whose ids extend the previous call's ids by
 * one token feeds only that token and the stored `present.*` tensors.
 */
export class OnnxCausalLM implements AsyncCausalLM {
  private readonly pastNames: string[];
  private prev: { ids: number[]; present: Record<string, OrtTensor> } | undefined;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    readonly vocabSize: number,
    readonly contextLength: number,
    readonly eosTokenIds: readonly number[],
    private readonly heads: number,
    private readonly headDim: number,
  ) {
    this.pastNames = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
  }

  /** Whether the graph takes KV-cache inputs. */
  get hasKvCache(): boolean {
    return this.pastNames.length > 0;
  }

  /** Open `dir/onnx/model.onnx` with the vocabulary and context from `dir/config.json`. */
  static async load(dir: string, options: { intraOpNumThreads?: number } = {}): Promise<OnnxCausalLM> {
    let ort: OrtModule;
    try {
      ort = (await import('onnxruntime-node')) as unknown as OrtModule;
    } catch (err) {
      throw new ConfigError('onnxruntime-node is not installed (add it to use the ONNX path)', { field: 'onnxruntime-node' }, { cause: err });
    }
    const { config, file } = await readHfConfig(dir);
    const vocab = config.vocab_size;
    const ctx = config.n_positions ?? config.max_position_embeddings;
    if (typeof vocab !== 'number') throw new ConfigError("config key 'vocab_size' is missing", { file, field: 'vocab_size' });
    if (typeof ctx !== 'number') throw new ConfigError("config key 'n_positions' is missing", { file, field: 'n_positions' });
    const eos = config.eos_token_id;
    const eosIds = Array.isArray(eos) ? (eos as number[]) : typeof eos === 'number' ? [eos] : [];
    const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {});
    const heads = Number(config.n_head ?? config.num_attention_heads ?? 1);
    const d = Number(config.n_embd ?? config.hidden_size ?? 0);
    return new OnnxCausalLM(ort, session, vocab, ctx, eosIds, heads, d / heads);
  }

  /** Logits `[B, T, vocab]` for a batch of equal-length id rows. */
  async logits(ids: readonly (readonly number[])[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const out = await this.run(ids, undefined);
    return { data: out.logits!.data as Float32Array, dims: out.logits!.dims };
  }

  private async run(ids: readonly (readonly number[])[], past: { length: number; present: Record<string, OrtTensor> } | undefined): Promise<Record<string, OrtTensor>> {
    const b = ids.length;
    const t = ids[0]?.length ?? 0;
    const total = (past?.length ?? 0) + t;
    const feeds: Record<string, OrtTensor> = {
      input_ids: new this.ort.Tensor('int64', BigInt64Array.from(ids.flat().map((x) => BigInt(x))), [b, t]),
      attention_mask: new this.ort.Tensor('int64', new BigInt64Array(b * total).fill(1n), [b, total]),
    };
    for (const n of this.pastNames) {
      feeds[n] = past ? past.present[n.replace('past_key_values.', 'present.')]! : new this.ort.Tensor('float32', new Float32Array(0), [b, this.heads, 0, this.headDim]);
    }
    return this.session.run(feeds);
  }

  async lastLogits(ids: readonly number[]): Promise<Float32Array> {
    const prev = this.prev;
    const extends1 = this.hasKvCache && prev !== undefined && ids.length === prev.ids.length + 1 && prev.ids.every((x, i) => x === ids[i]);
    const out = extends1 ? await this.run([[ids[ids.length - 1]!]], { length: prev.ids.length, present: prev.present }) : await this.run([ids], undefined);
    if (this.hasKvCache) {
      const present: Record<string, OrtTensor> = {};
      for (const [k, v] of Object.entries(out)) if (k.startsWith('present.')) present[k] = v;
      this.prev = { ids: [...ids], present };
    }
    const data = out.logits!.data as Float32Array;
    const rows = data.length / this.vocabSize;
    return data.slice((rows - 1) * this.vocabSize, rows * this.vocabSize);
  }

  dispose(): void {
    void this.session.release();
  }
}
