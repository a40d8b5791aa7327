/**
 * Training utilities shared by the exercises, each with PyTorch's semantics (checked against
 * torch in the golden fixtures):
 *
 * - `AdamW`: decoupled weight decay (`p ← p − lr·λ·p`, then Adam with bias correction), as `torch.optim.AdamW`;
 * - `cosineWithWarmup`: HF's `get_cosine_schedule_with_warmup` factor, optionally floored at a minimum;
 * - `clipGradNorm`: `torch.nn.utils.clip_grad_norm_` (global L2 norm, coefficient `max/(norm+1e-6)` capped at 1);
 * - `crossEntropy`: `F.cross_entropy` with `ignore_index` and `label_smoothing`;
 * - `trainStep` with gradient accumulation, `evaluate`, and atomic checkpoint save / resume.
 */
import { rename, rm, readFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FormatError, NotFoundError, SafetensorsFile, adamwStep, softmaxCrossEntropyRows, sumOfSquares, tf, throwIfAborted, writeCurvesSvg, writeJsonAtomic, writeSafetensors,
  type CurveSeries, type Tensor, type Variable,
} from '@llm/core';
import type { PretrainedModel } from './model.js';

/** Options of {@link AdamW} (torch defaults). */
export interface AdamWOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Which parameters get weight decay (default: all with rank ≥ 2, i.e. not biases and norm weights). */
  decay?: (name: string, v: Variable) => boolean;
}

/** AdamW with decoupled weight decay; state can be saved and restored for resumption. */
export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Steps taken. */
  step = 0;
  private readonly m = new Map<string, Variable>();
  private readonly v = new Map<string, Variable>();
  private readonly decay: (name: string, v: Variable) => boolean;

  constructor(options: AdamWOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.decay = options.decay ?? ((_, v) => v.rank >= 2);
  }

  /**
   * Apply one update to `params` (name → variable) from `grads` (name → gradient), each gradient
   * multiplied by `gradScale` first (a gradient-clipping coefficient; default 1).
   */
  apply(params: ReadonlyMap<string, Variable>, grads: ReadonlyMap<string, Tensor>, gradScale = 1): void {
    this.step += 1;
    const t = this.step;
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) continue;
      if (!this.m.has(name)) {
        // Moments own their storage (the zeros tensor is released), so the native step updates them in place.
        this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
        this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      }
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      // One fused pass per parameter on the native backend (tfjs ops elsewhere), same formula.
      const wd = this.decay(name, p) ? this.weightDecay : 0;
      adamwStep(p, m, v, g, { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: wd, step: t, gradScale, inPlaceMoments: true });
    }
  }

  /** Moments as host tensors (`exp_avg.<name>`, `exp_avg_sq.<name>`) plus the step. */
  state(): { step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    // Copies: the moments' own storage changes in place at the next step.
    for (const [n, m] of this.m) tensors.set(`exp_avg.${n}`, { shape: m.shape, data: Float32Array.from(m.dataSync()) });
    for (const [n, v] of this.v) tensors.set(`exp_avg_sq.${n}`, { shape: v.shape, data: Float32Array.from(v.dataSync()) });
    return { step: this.step, tensors };
  }

  /** Restore what {@link AdamW.state} returned. */
  loadState(step: number, tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>): void {
    this.dispose();
    this.step = step;
    for (const [key, t] of tensors) {
      const m = /^(exp_avg|exp_avg_sq)\.(.+)$/.exec(key);
      if (!m) continue;
      // A copy: the moments are updated in place, and t.data belongs to the caller.
      (m[1] === 'exp_avg' ? this.m : this.v).set(m[2]!, tf.tidy(() => tf.variable(tf.tensor(t.data.slice(), t.shape), false)));
    }
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/** Options of {@link cosineWithWarmup}. */
export interface ScheduleOptions {
  warmupSteps: number;
  totalSteps: number;
  /** Floor as a fraction of the peak (0 = HF's plain cosine). */
  minLrRatio?: number;
}

/** LR multiplier at `step`: linear warmup `step/warmup`, then half-cosine to 0 (or `minLrRatio`), as HF. */
export function cosineWithWarmup(step: number, options: ScheduleOptions): number {
  const { warmupSteps: w, totalSteps: n } = options;
  if (step < w) return step / Math.max(1, w);
  const progress = (step - w) / Math.max(1, n - w);
  const f = Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
  const min = options.minLrRatio ?? 0;
  return min + (1 - min) * f;
}

/** Global L2 norm of all gradients (one fused pass on the native backend; no tensor is left behind). */
export function globalGradNorm(grads: Map<string, Tensor>): number {
  return Math.sqrt(sumOfSquares([...grads.values()]));
}

/** `clip_grad_norm_`'s coefficient: `maxNorm / (norm + 1e-6)`, capped at 1. */
export function clipCoefficient(norm: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (norm + 1e-6));
}

/** `clip_grad_norm_`: scale all gradients so their global L2 norm is at most `maxNorm`. Returns the norm before clipping. */
export function clipGradNorm(grads: Map<string, Tensor>, maxNorm: number): number {
  const norm = globalGradNorm(grads);
  const coef = clipCoefficient(norm, maxNorm);
  if (coef < 1) {
    for (const [k, g] of grads) {
      grads.set(k, tf.mul(g, coef));
      g.dispose();
    }
  }
  return norm;
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Targets equal to this are skipped (torch default −100). */
  ignoreIndex?: number;
  /** ε: the target gets 1−ε, every class ε/C (torch's `label_smoothing`). */
  labelSmoothing?: number;
}

/**
 * Mean cross-entropy of `logits` `[N, C]` against integer `targets` (length N), over the
 * targets that are not ignored; differentiable (use inside `tf.variableGrads`).
 */
export function crossEntropy(logits: Tensor, targets: readonly number[], options: CrossEntropyOptions = {}): Tensor {
  const ignore = options.ignoreIndex ?? -100;
  const eps = options.labelSmoothing ?? 0;
  const [n, c] = logits.shape as [number, number];
  if (targets.length !== n) throw new RangeError(`crossEntropy: ${targets.length} targets for ${n} rows`);
  const keep: number[] = targets.map((t) => (t === ignore ? 0 : 1));
  const count = keep.reduce((a, b) => a + b, 0);
  if (count === 0) return tf.scalar(0);
  // Fused log-softmax + pick on the native backend (no softmax or one-hot matrix); ignored rows give 0.
  const perRow = softmaxCrossEntropyRows(logits, targets.map((t) => (t === ignore ? -1 : t)), { labelSmoothing: eps });
  return tf.div(tf.sum(perRow), count);
}

/** Next-token loss of a causal model on a batch of equal-length sequences `[B, T+1]`. */
export function causalLmLoss(model: { forward(ids: readonly (readonly number[])[], o?: { dropoutSeed?: number }): Tensor; vocabSize: number }, batch: readonly (readonly number[])[], options: CrossEntropyOptions & { dropoutSeed?: number } = {}): Tensor {
  const inputs = batch.map((r) => r.slice(0, -1));
  const targets = batch.flatMap((r) => r.slice(1));
  const logits = model.forward(inputs, { dropoutSeed: options.dropoutSeed });
  return crossEntropy(tf.reshape(logits, [targets.length, model.vocabSize]), targets, options);
}

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** Clip the global gradient norm to this (0/undefined = no clipping). */
  maxGradNorm?: number;
  /** Learning rate for this step (e.g. from a schedule). */
  lr?: number;
}

/**
 * One optimizer step with gradient accumulation: `lossFn` is called once per micro-batch; the
 * gradients are averaged over micro-batches, clipped, and applied. Returns the mean loss and the
 * gradient norm.
 */
export function trainStep(model: PretrainedModel | Map<string, Variable>, optimizer: AdamW, microBatches: number, lossFn: (micro: number) => Tensor, options: TrainStepOptions = {}): { loss: number; gradNorm: number } {
  // A model trains all its weights; a map of variables trains only those (adapters: LoRA, soft prompts).
  const params = model instanceof Map ? model : model.weights;
  const vars = [...params.values()];
  const names = [...params.keys()];
  const acc = new Map<string, Tensor>();
  let lossSum = 0;
  for (let i = 0; i < microBatches; i++) {
    const { value, grads } = tf.variableGrads(() => lossFn(i) as tf.Scalar, vars);
    lossSum += value.dataSync()[0]!;
    value.dispose();
    // The first micro-batch's gradients are kept as they are (no copy); later ones are added in.
    const kept = new Set<Tensor>();
    names.forEach((n, j) => {
      const g = grads[vars[j]!.name];
      if (!g) return;
      const prev = acc.get(n);
      if (prev) {
        acc.set(n, tf.add(prev, g));
        prev.dispose();
      } else {
        acc.set(n, g);
        kept.add(g);
      }
    });
    tf.dispose(Object.values(grads).filter((g) => !kept.has(g)));
  }
  // acc holds sums over micro-batches: the mean is acc / microBatches. Averaging and clipping
  // (clip_grad_norm_) are folded into the update: each gradient is scaled inside its AdamW pass.
  const gradNorm = globalGradNorm(acc) / microBatches;
  if (options.lr !== undefined) optimizer.lr = options.lr;
  const clip = options.maxGradNorm ? clipCoefficient(gradNorm, options.maxGradNorm) : 1;
  optimizer.apply(params, acc, clip / microBatches);
  tf.dispose([...acc.values()]);
  return { loss: lossSum / microBatches, gradNorm };
}

/** Mean loss over batches (no gradients), and its perplexity `exp(loss)`. */
export async function evaluate(batches: Iterable<readonly (readonly number[])[]>, lossFn: (batch: readonly (readonly number[])[]) => Tensor, signal?: AbortSignal): Promise<{ loss: number; perplexity: number; batches: number }> {
  let sum = 0;
  let n = 0;
  for (const b of batches) {
    throwIfAborted(signal);
    const l = tf.tidy(() => lossFn(b));
    sum += (await l.data())[0]!;
    l.dispose();
    n++;
  }
  const loss = n ? sum / n : Number.NaN;
  return { loss, perplexity: Math.exp(loss), batches: n };
}

/** What a training checkpoint records beside the weights. */
export interface TrainerState {
  step: number;
  /** Anything JSON the caller wants back on resume (data position, RNG seed, best loss…). */
  extra?: Record<string, unknown>;
}

/**
 * Save a resumable checkpoint under `dir/checkpoint-<step>`: the model as an HF folder,
 * `optimizer.safetensors` (AdamW moments), `trainer_state.json`. The folder is written under a
 * temporary name and renamed, then `dir/latest.json` is replaced atomically, so a crash leaves
 * the previous checkpoint intact.
 */
export async function saveTrainingCheckpoint(dir: string, model: PretrainedModel, optimizer: AdamW, state: TrainerState): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = `checkpoint-${state.step}`;
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  const final = join(dir, name);
  await rm(tmp, { recursive: true, force: true });
  await model.save(tmp);
  const os = optimizer.state();
  await writeSafetensors(join(tmp, 'optimizer.safetensors'), new Map([...os.tensors].map(([k, t]) => [k, { dtype: 'F32' as const, shape: t.shape, data: t.data }])), { step: String(os.step), lr: String(optimizer.lr) });
  await writeJsonAtomic(join(tmp, 'trainer_state.json'), { ...state, optimizerStep: os.step });
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  await writeJsonAtomic(join(dir, 'latest.json'), { step: state.step, checkpoint: name });
  return final;
}

/** Restore the latest checkpoint of `dir` into `model` and `optimizer`; undefined when there is none. */
export async function resumeTrainingCheckpoint(dir: string, model: PretrainedModel, optimizer: AdamW): Promise<TrainerState | undefined> {
  const latestPath = join(dir, 'latest.json');
  if (!(await stat(latestPath).then(() => true, () => false))) return undefined;
  let latest: { checkpoint?: unknown };
  try {
    latest = JSON.parse(await readFile(latestPath, 'utf8')) as { checkpoint?: unknown };
  } catch (err) {
    throw new FormatError('latest.json', `not valid JSON (${(err as Error).message})`, { file: latestPath }, { cause: err });
  }
  if (typeof latest.checkpoint !== 'string' || latest.checkpoint.includes('/')) throw new FormatError('latest.json', 'missing "checkpoint" folder name', { file: latestPath, field: 'checkpoint' });
  const ck = join(dir, latest.checkpoint);
  if (!(await stat(ck).then(() => true, () => false))) throw new NotFoundError(`checkpoint folder ${latest.checkpoint} named by latest.json does not exist`, { file: ck });
  await model.loadWeights(ck);
  const f = await SafetensorsFile.open(join(ck, 'optimizer.safetensors'));
  try {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const n of f.names) {
      const t = await f.read(n);
      tensors.set(n, { shape: [...t.shape], data: t.data as Float32Array });
    }
    optimizer.loadState(Number(f.metadata.step ?? 0), tensors);
    if (f.metadata.lr !== undefined) optimizer.lr = Number(f.metadata.lr);
  } finally {
    await f.close();
  }
  const state = JSON.parse(await readFile(join(ck, 'trainer_state.json'), 'utf8')) as TrainerState;
  return state;
}

/** Write a loss-curve SVG (train and, if given, eval loss against step). */
export async function writeLossCurve(path: string, points: { train: Array<[number, number]>; eval?: Array<[number, number]> }): Promise<void> {
  const series: CurveSeries[] = [{ name: 'train loss', points: points.train }];
  if (points.eval?.length) series.push({ name: 'eval loss', points: points.eval });
  await writeCurvesSvg(path, series, { title: 'loss', xLabel: 'step', yLabel: 'loss' });
}
