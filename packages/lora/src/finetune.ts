import { ConfigError, createProgress, MetricsLog, Rng, tf, throwIfAborted, writeCurvesSvg, writeJsonAtomic, type Tensor, type Tokenizer, type Variable } from '@llm/core';
import { AdamW, crossEntropy, trainStep, type ForwardOptions } from '@llm/transformer';
import { join } from 'node:path';
import { LoraAdapters } from './adapters.js';
import type { TrainingExample } from './data.js';
import { defaultTargetModules, loraConfig } from './peft.js';
import { PromptTuning, type PrefixableModel } from './prompt-tuning.js';
import { PrefixTuning } from './prefix-tuning.js';

/** Fine-tuning methods compared by the level-3 exercise. */
export type FineTuneMethod = 'full' | 'lora' | 'qlora' | 'prompt' | 'prefix';

/** Options for {@link fineTune}. */
export interface FineTuneOptions {
  method: FineTuneMethod;
  /** LoRA rank, alpha, dropout and target module names. */
  r?: number;
  alpha?: number;
  dropout?: number;
  targets?: string[];
  /** Recorded as `base_model_name_or_path` in the saved adapter config (e.g. the base folder). */
  baseModelNameOrPath?: string;
  /** Prompt and prefix tuning: virtual tokens; prompt tuning: optional init text. */
  numVirtualTokens?: number;
  initText?: string;
  /** Prefix tuning: std of the prefix's normal init (default 1, PEFT's `nn.Embedding` init). */
  prefixStd?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** Longest sequence (prompt + completion); longer examples are cut from the left of the prompt. */
  maxLength?: number;
  seed?: number;
  /** Folder for the metrics log, loss curve and the adapter (or model, for full fine-tuning). */
  out?: string;
  signal?: AbortSignal;
}

/** Memory of a fine-tuning setup, in bytes, counted from the tensors that exist. */
export interface MemoryReport {
  base: number;
  trainable: number;
  optimizerState: number;
  total: number;
  trainableParameters: number;
  totalParameters: number;
}

/** What {@link fineTune} returns. */
export interface FineTuneResult {
  method: FineTuneMethod;
  losses: number[];
  memory: MemoryReport;
  seconds: number;
  /** The adapter (LoRA/QLoRA), soft prompt, prefix, or nothing for full fine-tuning. */
  lora?: LoraAdapters;
  prompt?: PromptTuning;
  prefix?: PrefixTuning;
}

/** Token ids and labels of an example: the prompt's labels are -100 (no loss on the prompt). */
export function encodeExample(tokenizer: Tokenizer, ex: TrainingExample, eosId: number | undefined, maxLength: number): { ids: number[]; labels: number[] } {
  const enc = (s: string) => tokenizer.encode(s, undefined, { addSpecialTokens: false }).ids;
  let ids: number[];
  let labels: number[];
  if ('text' in ex) {
    ids = enc(ex.text);
    if (eosId !== undefined) ids.push(eosId);
    labels = [...ids];
  } else {
    const p = enc(ex.prompt);
    const c = enc(ex.completion);
    if (eosId !== undefined) c.push(eosId);
    ids = [...p, ...c];
    labels = [...p.map(() => -100), ...c];
  }
  if (ids.length > maxLength) {
    ids = ids.slice(ids.length - maxLength);
    labels = labels.slice(labels.length - maxLength);
  }
  return { ids, labels };
}

/**
 * Fine-tune a GPT-2/LLaMA model on instruction data by one of five methods: all weights, LoRA,
 * QLoRA (NF4 base + LoRA), prompt tuning or prefix tuning. Loss is on the completion only. Deterministic by seed.
 */
export async function fineTune(model: PrefixableModel, tokenizer: Tokenizer, examples: readonly TrainingExample[], options: FineTuneOptions): Promise<FineTuneResult> {
  const t0 = performance.now();
  const rng = new Rng(options.seed ?? 0);
  const maxLength = options.maxLength ?? 128;
  const eos = (model as unknown as { eosTokenIds?: readonly number[] }).eosTokenIds?.[0];
  const encoded = examples.map((e) => encodeExample(tokenizer, e, eos, maxLength)).filter((e) => e.labels.some((l) => l !== -100) && e.ids.length >= 2);
  if (encoded.length === 0) throw new ConfigError('no example has a completion to learn');
  let lora: LoraAdapters | undefined;
  let prompt: PromptTuning | undefined;
  let prefix: PrefixTuning | undefined;
  let params: Map<string, Variable>;
  let forward: (ids: readonly (readonly number[])[], o?: ForwardOptions) => Tensor = (ids, o) => model.forward(ids, o);
  switch (options.method) {
    case 'full':
      params = model.weights;
      break;
    case 'lora':
    case 'qlora': {
      lora = new LoraAdapters(model);
      if (options.method === 'qlora') lora.quantizeBase();
      lora.add('default', loraConfig({ r: options.r ?? 8, lora_alpha: options.alpha ?? 16, lora_dropout: options.dropout ?? 0.05, target_modules: options.targets ?? defaultTargetModules(model.modelType), base_model_name_or_path: options.baseModelNameOrPath ?? null }), { seed: rng.split('lora').nextSeed() });
      lora.training = true;
      params = lora.variables();
      break;
    }
    case 'prompt':
      prompt = PromptTuning.create(model, { numVirtualTokens: options.numVirtualTokens ?? 16, initText: options.initText, tokenizer, seed: rng.split('prompt').nextSeed() });
      prompt.config.base_model_name_or_path = options.baseModelNameOrPath ?? null;
      params = prompt.variables();
      forward = (ids, o) => prompt!.forward(ids, o);
      break;
    case 'prefix':
      prefix = PrefixTuning.create(model, { numVirtualTokens: options.numVirtualTokens ?? 16, std: options.prefixStd, seed: rng.split('prefix').nextSeed() });
      prefix.config.base_model_name_or_path = options.baseModelNameOrPath ?? null;
      params = prefix.variables();
      forward = (ids, o) => prefix!.forward(ids, o);
      break;
    default:
      throw new ConfigError(`unknown method '${String(options.method)}' (full, lora, qlora, prompt, prefix)`);
  }
  const trainable = [...params.values()].reduce((a, v) => a + v.size, 0);
  const baseBytes = [...model.weights.values()].reduce((a, v) => a + v.size * 4, 0) + (lora ? lora.quantizedBytes : 0);
  const optimizer = new AdamW({ lr: options.lr ?? (options.method === 'full' ? 3e-4 : options.method === 'prompt' || options.method === 'prefix' ? 3e-2 : 2e-3), weightDecay: options.method === 'full' ? 0.01 : 0 });
  const memory: MemoryReport = {
    base: options.method === 'full' ? 0 : baseBytes,
    trainable: trainable * 4,
    optimizerState: trainable * 8,
    total: 0,
    trainableParameters: trainable,
    totalParameters: model.parameterCount(),
  };
  memory.total = memory.base + memory.trainable + memory.optimizerState;
  const batchSize = options.batchSize ?? 8;
  const epochs = options.epochs ?? 1;
  const steps = epochs * Math.ceil(encoded.length / batchSize);
  const log = new MetricsLog(options.out ? join(options.out, 'metrics.jsonl') : undefined);
  const progress = createProgress({ label: `fine-tune (${options.method})`, total: steps, unit: 'steps' });
  const losses: number[] = [];
  const pad = eos ?? 0;
  try {
    let step = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = rng.split(`epoch${epoch}`).permutation(encoded.length);
      for (let i = 0; i < order.length; i += batchSize) {
        throwIfAborted(options.signal);
        const batch = Array.from(order.subarray(i, i + batchSize), (k) => encoded[k]!);
        const len = Math.max(...batch.map((b) => b.ids.length));
        const ids = batch.map((b) => [...b.ids, ...new Array<number>(len - b.ids.length).fill(pad)]);
        const labels = batch.map((b) => [...b.labels, ...new Array<number>(len - b.labels.length).fill(-100)]);
        const mask = batch.map((b) => [...new Array<number>(b.ids.length).fill(1), ...new Array<number>(len - b.ids.length).fill(0)]);
        const seed = rng.split(`dropout${step}`).nextSeed();
        const { loss } = trainStep(params, optimizer, 1, () => {
          const logits = forward(ids.map((r) => r.slice(0, -1)), { attentionMask: mask.map((r) => r.slice(0, -1)), dropoutSeed: options.method === 'full' ? seed : undefined });
          const targets = labels.flatMap((r) => r.slice(1));
          return crossEntropy(tf.reshape(logits, [targets.length, model.vocabSize]), targets);
        }, { maxGradNorm: 1 });
        prefix?.releaseCaches();
        losses.push(loss);
        log.log({ step: ++step, epoch, loss });
        progress.tick(1, { loss });
      }
    }
  } finally {
    progress.done();
    if (lora) lora.training = false;
  }
  if (options.out) {
    await writeCurvesSvg(join(options.out, 'loss.svg'), [{ name: `${options.method} train loss`, points: log.series('loss') }], { title: `fine-tuning (${options.method})`, xLabel: 'step', yLabel: 'loss' });
    if (lora) await lora.save(join(options.out, 'adapter'));
    else if (prompt) await prompt.save(join(options.out, 'adapter'));
    else if (prefix) await prefix.save(join(options.out, 'adapter'));
    else await model.save(join(options.out, 'model'));
    await writeJsonAtomic(join(options.out, 'summary.json'), { method: options.method, memory, losses: { first: losses[0], last: losses[losses.length - 1] }, steps: losses.length });
  }
  return { method: options.method, losses, memory, seconds: (performance.now() - t0) / 1000, lora, prompt, prefix };
}
