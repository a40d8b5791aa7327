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
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  InferenceSession: { create(path: string, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => OrtTensor;
}

/** An exported GPT-2 folder run by onnxruntime-node. */
export class OnnxCausalLM implements AsyncCausalLM {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    readonly vocabSize: number,
    readonly contextLength: number,
    readonly eosTokenIds: readonly number[],
  ) {}

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
    return new OnnxCausalLM(ort, session, vocab, ctx, eosIds);
  }

  /** Logits `[B, T, vocab]` for a batch of equal-length id rows. */
  async logits(ids: readonly (readonly number[])[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const b = ids.length;
    const t = ids[0]?.length ?? 0;
    const flat = BigInt64Array.from(ids.flat().map((x) => BigInt(x)));
    const out = await this.session.run({
      input_ids: new this.ort.Tensor('int64', flat, [b, t]),
      attention_mask: new this.ort.Tensor('int64', new BigInt64Array(b * t).fill(1n), [b, t]),
    });
    return { data: out.logits!.data as Float32Array, dims: out.logits!.dims };
  }

  async lastLogits(ids: readonly number[]): Promise<Float32Array> {
    const { data } = await this.logits([ids]);
    return data.slice((ids.length - 1) * this.vocabSize, ids.length * this.vocabSize);
  }

  dispose(): void {
    void this.session.release();
  }
}
