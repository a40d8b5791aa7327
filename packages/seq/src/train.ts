import { existsSync, mkdirSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError, FormatError, InputError, MetricsLog, Rng, createProgress, parseJson, tf,
  throwIfAborted, writeCurvesSvg, writeJsonAtomic,
} from '@llm/core';
import type { NamedTensorMap, Tensor, Tokenizer } from '@llm/core';
import { RecurrentClassifier, weightedCrossEntropy, type ClassifierConfig, type PretrainedVectors } from './classifier.js';
import { classificationReport, majorityBaseline, type ClassificationReport } from './metrics.js';
import { clipGradNorm } from './recurrent.js';
import { readStateDict, writeStateDict, type FloatTensor } from './state-dict.js';
import { pretrainLanguageModel, type LanguageModelOptions } from './lm.js';
import { WordTokenizer, type BuildVocabOptions } from './vocab.js';

/** One labelled example. */
export interface LabelledText {
  text: string;
  label: string;
}

/** Architecture choices for {@link trainClassifier} (labels and vocabulary size come from the data). */
export type ModelOptions = Partial<Omit<ClassifierConfig, 'labels' | 'vocabSize'>>;

/** Default architecture: small enough to train on 2 CPU cores in a few minutes. */
export const DEFAULT_MODEL: Required<Omit<ModelOptions, 'padId'>> = {
  cell: 'lstm',
  embeddingDim: 64,
  hiddenSize: 64,
  numLayers: 1,
  bidirectional: false,
  dropout: 0.2,
  pooling: 'max',
  maxLength: 120,
};

/** Options of {@link trainClassifier}. */
export interface TrainOptions {
  train: readonly LabelledText[];
  dev: readonly LabelledText[];
  model?: ModelOptions;
  /** Tokenizer to use; default: a {@link WordTokenizer} built from the training texts. */
  tokenizer?: Tokenizer;
  /** Options for the built word vocabulary. */
  vocab?: BuildVocabOptions;
  /** Word vectors to initialise the embedding. */
  pretrained?: PretrainedVectors;
  /**
   * Pre-train the embedding and recurrent layer as a next-token language model before the
   * classification epochs ({@link pretrainLanguageModel}, ULMFiT's first step), on `texts`
   * (default: the training texts; labels unused). Skipped when resuming. Unidirectional models only.
   */
  languageModel?: LanguageModelOptions & { texts?: readonly string[] };
  /** Label order; default: sorted labels of the training set. */
  labels?: string[];
  /** Default 8. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Adam's learning rate. Default 5e-3. */
  learningRate?: number;
  /** Stop after this many epochs without a better dev score. Default 2. */
  patience?: number;
  /** Dev score that decides the best epoch and early stopping. Default `macroF1`. */
  monitor?: 'macroF1' | 'accuracy' | 'loss';
  /** `balanced` (n / (C·count), as scikit-learn), `none` (default), or a weight per label. */
  classWeights?: 'balanced' | 'none' | Record<string, number>;
  /** Clip the global gradient norm to this (0 turns clipping off). Default 5. */
  clipNorm?: number;
  /** Seeds initialisation, batch order and dropout. Default 0. */
  seed?: number;
  /**
   * Folder for the run: the best model (`config.json`, `model.safetensors`, `tokenizer.json`), a
   * resumable checkpoint (`checkpoint/`), `metrics.jsonl` and `loss.svg`. Default: nothing written.
   */
  outDir?: string;
  /** Continue from `outDir/checkpoint` when it exists. Default false (an existing checkpoint is an error). */
  resume?: boolean;
  /** Stop after this many optimiser steps in total (for tests and benchmarks). */
  maxSteps?: number;
  signal?: AbortSignal;
  /** Draw a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
  /** Called with one line per epoch. */
  log?: (line: string) => void;
}

/** One epoch's numbers. */
export interface EpochRecord {
  epoch: number;
  step: number;
  trainLoss: number;
  devLoss: number;
  devAccuracy: number;
  devMacroF1: number;
  seconds: number;
}

/** What {@link trainClassifier} returns. */
export interface TrainResult {
  /** The model with the best dev weights. */
  model: RecurrentClassifier;
  history: EpochRecord[];
  bestEpoch: number;
  /** Dev scores of the best epoch. */
  dev: ClassificationReport;
  /** Majority-class baseline on dev. */
  devMajority: ClassificationReport & { label: string };
  stoppedEarly: boolean;
  /** Epoch the run resumed after, when it resumed. */
  resumedFrom?: number;
  /** Training examples processed per second (this run). */
  examplesPerSecond: number;
  seconds: number;
  classWeights: number[];
}

interface TrainerState {
  version: 1;
  epoch: number;
  step: number;
  bestEpoch: number;
  bestScore: number;
  badEpochs: number;
  history: EpochRecord[];
  config: ClassifierConfig;
  classWeights: number[];
  seed: number;
  modelFile: string;
  optimizerFile: string;
  bestFile: string;
}

/**
 * Mini-batches of similar lengths, so little time goes into padding: shuffle, cut into pools of
 * `50·batchSize`, sort each pool by length, cut into batches, and shuffle the batches. The order
 * depends only on `rng` (one per epoch).
 */
export function bucketedBatches(lengths: readonly number[], batchSize: number, rng: Rng): number[][] {
  const perm = Array.from(rng.permutation(lengths.length));
  const pool = 50 * batchSize;
  const out: number[][] = [];
  for (let i = 0; i < perm.length; i += pool) {
    const chunk = perm.slice(i, i + pool).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
    for (let j = 0; j < chunk.length; j += batchSize) out.push(chunk.slice(j, j + batchSize));
  }
  return rng.shuffle(out);
}

function score(rec: { devLoss: number; devAccuracy: number; devMacroF1: number }, monitor: 'macroF1' | 'accuracy' | 'loss'): number {
  return monitor === 'loss' ? -rec.devLoss : monitor === 'accuracy' ? rec.devAccuracy : rec.devMacroF1;
}

/** Dev loss and scores of `model` on labelled rows. */
export async function evaluateClassifier(model: RecurrentClassifier, rows: readonly LabelledText[], options: { batchSize?: number; classWeights?: readonly number[]; signal?: AbortSignal } = {}): Promise<ClassificationReport & { loss: number; predicted: number[] }> {
  const labels = model.config.labels;
  const index = new Map(labels.map((l, i) => [l, i]));
  const gold = rows.map((r, i) => {
    const y = index.get(r.label);
    if (y === undefined) throw new InputError(`row ${i + 1}: label '${r.label}' is not one of the model's labels (${labels.join(', ')})`);
    return y;
  });
  const bs = options.batchSize ?? 64;
  // Batches of similar lengths (sorted by token count), so little time goes into padding; the
  // predictions go back to row order.
  const ids = rows.map((r) => model.tokenize(r.text));
  const order = Array.from(ids.keys()).sort((a, b) => ids[a]!.length - ids[b]!.length || a - b);
  const predicted = new Array<number>(rows.length);
  let lossSum = 0;
  for (let i = 0; i < order.length; i += bs) {
    throwIfAborted(options.signal);
    const chunk = order.slice(i, i + bs);
    const batch = model.batchFromIds(chunk.map((k) => ids[k]!));
    const y = Int32Array.from(chunk, (k) => gold[k]!);
    const logits = model.logits(batch);
    const loss = weightedCrossEntropy(logits, y, options.classWeights);
    const am = tf.argMax(logits, 1);
    lossSum += (await loss.data())[0]! * chunk.length;
    const p = await am.data();
    chunk.forEach((k, j) => { predicted[k] = p[j]!; });
    tf.dispose([logits, loss, am]);
  }
  return { ...classificationReport(gold, predicted, labels), loss: rows.length ? lossSum / rows.length : 0, predicted };
}

async function optimizerState(opt: tf.AdamOptimizer, names: readonly string[]): Promise<Map<string, FloatTensor>> {
  const weights = await opt.getWeights();
  const out = new Map<string, FloatTensor>();
  const iter = weights[0]!;
  out.set('adam.iterations', { shape: [1], data: Float32Array.from(await iter.tensor.data()) });
  const rest = weights.slice(1);
  const n = rest.length / 2;
  for (let i = 0; i < n; i++) {
    out.set(`adam.m.${names[i]}`, { shape: [...rest[i]!.tensor.shape], data: (await rest[i]!.tensor.data()) as Float32Array });
    out.set(`adam.v.${names[i]}`, { shape: [...rest[n + i]!.tensor.shape], data: (await rest[n + i]!.tensor.data()) as Float32Array });
  }
  return out;
}

async function restoreOptimizer(opt: tf.AdamOptimizer, names: readonly string[], state: ReadonlyMap<string, FloatTensor>, file: string): Promise<void> {
  const it = state.get('adam.iterations');
  if (!it) throw new FormatError('safetensors', 'missing adam.iterations', { file, field: 'adam.iterations' });
  // tfjs's Adam keeps its moments by position in the variable list, so they go back in the same order.
  const list: Array<{ name: string; tensor: Tensor }> = [{ name: 'iter', tensor: tf.scalar(it.data[0]!, 'int32') }];
  for (const kind of ['m', 'v']) {
    for (const n of names) {
      const t = state.get(`adam.${kind}.${n}`);
      if (!t) throw new FormatError('safetensors', `missing adam.${kind}.${n}`, { file, field: `adam.${kind}.${n}` });
      list.push({ name: `${n}/${kind}`, tensor: tf.tensor(t.data, t.shape, 'float32') });
    }
  }
  await opt.setWeights(list);
  tf.dispose(list.map((l) => l.tensor));
}

/**
 * Train a recurrent classifier with Adam: shuffled mini-batches (deterministic by seed), class
 * weights, gradient clipping, one dev evaluation per epoch, early stopping, the best weights kept.
 * With `outDir`, each epoch writes a resumable checkpoint atomically (the state file, written
 * last, names the weight files it belongs to), appends to `metrics.jsonl`, redraws `loss.svg`, and
 * saves the best model as `config.json` + `model.safetensors` (+ `tokenizer.json`).
 */
export async function trainClassifier(options: TrainOptions): Promise<TrainResult> {
  const { train, dev, signal } = options;
  if (train.length === 0) throw new InputError('no training examples');
  if (dev.length === 0) throw new InputError('no dev examples (early stopping needs a dev set)');
  const epochs = options.epochs ?? 8;
  const batchSize = options.batchSize ?? 32;
  const lr = options.learningRate ?? 5e-3;
  const patience = options.patience ?? 2;
  const monitor = options.monitor ?? 'macroF1';
  const clip = options.clipNorm ?? 5;
  const seed = options.seed ?? 0;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new ConfigError(`epochs must be a positive integer, got ${epochs}`, { field: 'epochs' });
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new ConfigError(`batchSize must be a positive integer, got ${batchSize}`, { field: 'batchSize' });
  if (!(lr > 0)) throw new ConfigError(`learningRate must be positive, got ${lr}`, { field: 'learningRate' });
  const outDir = options.outDir;
  const ckptDir = outDir ? join(outDir, 'checkpoint') : undefined;
  const statePath = ckptDir ? join(ckptDir, 'trainer_state.json') : undefined;
  let resumed: TrainerState | undefined;
  if (statePath && existsSync(statePath)) {
    if (!options.resume) throw new ConfigError(`${outDir} already holds a checkpoint: pass resume to continue it, or choose a new folder`, { file: outDir });
    resumed = parseJson(readFileSync(statePath, 'utf8'), { file: statePath }) as TrainerState;
    if (resumed.version !== 1) throw new FormatError('trainer_state.json', `unknown version ${resumed.version}`, { file: statePath, field: 'version' });
  }

  // Tokenizer and labels.
  let tokenizer = options.tokenizer;
  if (!tokenizer && resumed && outDir && existsSync(join(outDir, 'tokenizer.json'))) {
    const p = join(outDir, 'tokenizer.json');
    tokenizer = WordTokenizer.fromJSON(parseJson(readFileSync(p, 'utf8'), { file: p }), p);
  }
  tokenizer ??= WordTokenizer.build(train.map((r) => r.text), options.vocab);
  const labels = resumed?.config.labels ?? options.labels ?? [...new Set(train.map((r) => r.label))].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const encodeLabels = (rows: readonly LabelledText[], what: string) => Int32Array.from(rows, (r, i) => {
    const y = index.get(r.label);
    if (y === undefined) throw new InputError(`${what} row ${i + 1}: label '${r.label}' is not among ${labels.join(', ')}`);
    return y;
  });
  const yTrain = encodeLabels(train, 'train');
  const yDev = encodeLabels(dev, 'dev');

  // Class weights.
  let classWeights: number[];
  const cw = options.classWeights ?? 'none';
  if (resumed) classWeights = resumed.classWeights;
  else if (cw === 'none') classWeights = labels.map(() => 1);
  else if (cw === 'balanced') {
    const counts = labels.map(() => 0);
    for (const y of yTrain) counts[y]!++;
    classWeights = counts.map((c) => (c > 0 ? train.length / (labels.length * c) : 0));
  } else {
    classWeights = labels.map((l) => {
      const w = cw[l];
      if (w === undefined || !(w >= 0)) throw new ConfigError(`class weight for '${l}' must be a non-negative number`, { field: `classWeights.${l}` });
      return w;
    });
  }

  const config: ClassifierConfig = resumed?.config ?? { ...DEFAULT_MODEL, ...options.model, labels, vocabSize: tokenizer.vocabSize };
  const model = RecurrentClassifier.create(config, tokenizer, { seed, pretrained: resumed ? undefined : options.pretrained });
  if (options.languageModel && !resumed) {
    const { texts, ...lmOptions } = options.languageModel;
    await pretrainLanguageModel(model, texts ?? train.map((r) => r.text), { seed, signal, progress: options.progress, log: options.log, ...lmOptions });
  }
  const named = model.namedParameters();
  const names = named.map(([n]) => n);
  const vars = named.map(([, v]) => v);
  const opt = tf.train.adam(lr);
  const rng = new Rng(seed);
  const dataRng = rng.split('data');

  let step = 0;
  let startEpoch = 0;
  let bestEpoch = -1;
  let bestScore = -Infinity;
  let badEpochs = 0;
  const history: EpochRecord[] = [];
  let best: Map<string, FloatTensor> | undefined;
  if (resumed && ckptDir) {
    const mf = join(ckptDir, resumed.modelFile);
    model.loadStateDict((await readStateDict(mf)).tensors, mf);
    const of = join(ckptDir, resumed.optimizerFile);
    await restoreOptimizer(opt, names, (await readStateDict(of)).tensors, of);
    best = (await readStateDict(join(ckptDir, resumed.bestFile))).tensors;
    step = resumed.step;
    startEpoch = resumed.epoch + 1;
    bestEpoch = resumed.bestEpoch;
    bestScore = resumed.bestScore;
    badEpochs = resumed.badEpochs;
    history.push(...resumed.history);
  }
  if (outDir) {
    mkdirSync(ckptDir!, { recursive: true });
    if (model.tokenizer instanceof WordTokenizer && !existsSync(join(outDir, 'tokenizer.json'))) await writeJsonAtomic(join(outDir, 'tokenizer.json'), model.tokenizer.toJSON());
  }
  const metrics = new MetricsLog(outDir ? join(outDir, 'metrics.jsonl') : undefined);
  const devMajority = majorityBaseline(yTrain, yDev, labels);
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const totalSteps = Math.min(epochs * stepsPerEpoch, options.maxSteps ?? Infinity);
  const progress = createProgress({ label: `train ${config.bidirectional ? 'bi' : ''}${config.cell}`, total: totalSteps, unit: 'steps', enabled: options.progress });
  progress.update(Math.min(step, totalSteps));
  const trainIds = train.map((r) => model.tokenize(r.text));
  const t0 = performance.now();
  let examples = 0;
  let stoppedEarly = false;
  const say = options.log ?? (() => undefined);
  if (resumed) say(`resumed after epoch ${resumed.epoch + 1} (step ${step})`);
  try {
    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      if (badEpochs >= patience || step >= totalSteps) break;
      const te = performance.now();
      let lossSum = 0;
      let lossN = 0;
      for (const batchIdx of bucketedBatches(trainIds.map((s) => s.length), batchSize, dataRng.split(`epoch:${epoch}`))) {
        if (step >= totalSteps) break;
        throwIfAborted(signal);
        const batch = model.batchFromIds(batchIdx.map((i) => trainIds[i]!));
        const y = Int32Array.from(batchIdx, (i) => yTrain[i]!);
        const dropRng = rng.split(`dropout:${step}`);
        const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(model.logits(batch, { training: true, rng: dropRng }), y, classWeights), vars);
        let applied: NamedTensorMap = grads;
        let norm = NaN;
        if (clip > 0) {
          const c = clipGradNorm(grads, clip);
          applied = c.grads;
          norm = c.norm;
        }
        opt.applyGradients(vars.map((v) => ({ name: v.name, tensor: applied[v.name]! })));
        const loss = (await value.data())[0]!;
        tf.dispose([value, ...Object.values(grads), ...(applied === grads ? [] : Object.values(applied))]);
        step++;
        examples += batchIdx.length;
        lossSum += loss * batchIdx.length;
        lossN += batchIdx.length;
        metrics.log({ step, epoch: epoch + 1, loss, gradNorm: norm });
        progress.update(step, { epoch: epoch + 1, loss });
      }
      const rep = await evaluateClassifier(model, dev, { classWeights, signal });
      const rec: EpochRecord = {
        epoch: epoch + 1, step, trainLoss: lossN ? lossSum / lossN : NaN, devLoss: rep.loss, devAccuracy: rep.accuracy, devMacroF1: rep.macroF1,
        seconds: (performance.now() - te) / 1000,
      };
      history.push(rec);
      metrics.log({ step, epoch: rec.epoch, trainLoss: rec.trainLoss, devLoss: rec.devLoss, devAccuracy: rec.devAccuracy, devMacroF1: rec.devMacroF1 });
      const s = score(rec, monitor);
      const improved = s > bestScore;
      if (improved) {
        bestScore = s;
        bestEpoch = epoch;
        badEpochs = 0;
        best = await model.stateDict();
        if (outDir) await model.save(outDir, { training: { epoch: rec.epoch, step, seed, dev: { accuracy: rep.accuracy, macroF1: rep.macroF1, loss: rep.loss } } });
      } else {
        badEpochs++;
      }
      say(`epoch ${rec.epoch}: train loss ${rec.trainLoss.toFixed(4)}, dev loss ${rec.devLoss.toFixed(4)}, dev acc ${(rec.devAccuracy * 100).toFixed(1)}%, macro-F1 ${rec.devMacroF1.toFixed(3)}${improved ? ' (best)' : ''} [${rec.seconds.toFixed(1)} s]`);
      if (outDir && ckptDir && statePath) {
        const tag = `e${epoch + 1}`;
        const state: TrainerState = {
          version: 1, epoch, step, bestEpoch, bestScore, badEpochs, history, config, classWeights, seed,
          modelFile: `model-${tag}.safetensors`, optimizerFile: `optimizer-${tag}.safetensors`, bestFile: `best-${tag}.safetensors`,
        };
        await writeStateDict(join(ckptDir, state.modelFile), await model.stateDict());
        await writeStateDict(join(ckptDir, state.optimizerFile), await optimizerState(opt, names));
        await writeStateDict(join(ckptDir, state.bestFile), best!);
        await writeJsonAtomic(statePath, state); // the commit point: names the three files above
        const keep = new Set([state.modelFile, state.optimizerFile, state.bestFile, 'trainer_state.json']);
        for (const f of readdirSync(ckptDir)) if (!keep.has(f) && f.endsWith('.safetensors')) rmSync(join(ckptDir, f), { force: true });
        await writeCurvesSvg(join(outDir, 'loss.svg'), [
          { name: 'train loss', points: history.map((h) => [h.epoch, h.trainLoss] as const) },
          { name: 'dev loss', points: history.map((h) => [h.epoch, h.devLoss] as const) },
        ], { title: `${config.bidirectional ? 'Bi' : ''}${config.cell.toUpperCase()} classifier`, xLabel: 'epoch', yLabel: 'cross-entropy' });
      }
      if (badEpochs >= patience && epoch + 1 < epochs) {
        stoppedEarly = true;
        say(`early stop: no better dev ${monitor} for ${patience} epochs`);
        break;
      }
    }
  } catch (err) {
    model.dispose();
    opt.dispose();
    throw err;
  } finally {
    progress.done();
  }
  opt.dispose();
  if (best) model.loadStateDict(best);
  const devReport = await evaluateClassifier(model, dev, { classWeights, signal });
  const seconds = (performance.now() - t0) / 1000;
  return {
    model, history, bestEpoch: bestEpoch + 1, dev: devReport, devMajority, stoppedEarly, resumedFrom: resumed ? resumed.epoch + 1 : undefined,
    examplesPerSecond: seconds > 0 ? examples / seconds : 0, seconds, classWeights,
  };
}
