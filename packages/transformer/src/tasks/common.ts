/**
 * Pieces the exercise tasks share: length-bucketed batch sampling, padding, a generic training
 * loop (AdamW + warmup/cosine + clipping, validation curve), and a heat-map SVG writer.
 */
import { Rng, createProgress, tf, throwIfAborted, writeFileAtomic, type Tensor } from '@llm/core';
import { AdamW, cosineWithWarmup, trainStep, writeLossCurve } from '../train.js';
import type { PretrainedModel } from '../model.js';

/** Optimisation settings every task loop takes. */
export interface LoopOptions {
  /** Optimizer steps. */
  steps: number;
  /** Peak learning rate. */
  lr: number;
  /** Linear warm-up steps (default 5% of `steps`). */
  warmupSteps?: number;
  /** AdamW weight decay (default 0.01). */
  weightDecay?: number;
  /** Global gradient-norm clip (default 1). */
  maxGradNorm?: number;
  /** Validate every this many steps (default `steps/10`, at least 1). */
  evalEvery?: number;
  /** Seed of batch sampling and dropout. */
  seed?: number;
  signal?: AbortSignal;
  /** A line of log per evaluation (default none). */
  log?: (line: string) => void;
}

/** One point of the training curves. */
export interface CurvePoint {
  step: number;
  trainLoss: number;
  evalLoss?: number;
  seconds: number;
}

/** What {@link trainLoop} returns. */
export interface LoopResult {
  curve: CurvePoint[];
  seconds: number;
  finalEvalLoss: number;
}

/**
 * Train `model` for `o.steps` AdamW steps. `batch(step, rng)` gives the loss of one sampled batch
 * (called inside the gradient tape with a dropout seed); `evalLoss()` the validation loss.
 */
export async function trainLoop(model: PretrainedModel, o: LoopOptions, batchLoss: (rng: Rng, dropoutSeed: number) => Tensor, evalLoss: () => Promise<number>): Promise<LoopResult> {
  const rng = new Rng(o.seed ?? 0).split('batches');
  const opt = new AdamW({ lr: o.lr, weightDecay: o.weightDecay ?? 0.01 });
  const warmup = o.warmupSteps ?? Math.max(1, Math.round(o.steps * 0.05));
  const every = Math.max(1, o.evalEvery ?? Math.round(o.steps / 10));
  const curve: CurvePoint[] = [];
  const t0 = performance.now();
  const progress = createProgress({ label: 'train', total: o.steps, unit: 'steps' });
  let recent = 0;
  let recentN = 0;
  let finalEvalLoss = Number.NaN;
  try {
    for (let step = 1; step <= o.steps; step++) {
      throwIfAborted(o.signal);
      const lr = o.lr * cosineWithWarmup(step, { warmupSteps: warmup, totalSteps: o.steps, minLrRatio: 0.1 });
      const seed = (o.seed ?? 0) * 1_000_003 + step;
      const { loss } = trainStep(model, opt, 1, () => batchLoss(rng, seed), { lr, maxGradNorm: o.maxGradNorm ?? 1 });
      recent += loss;
      recentN++;
      progress.tick(1, { loss: loss.toFixed(3) });
      if (step % every === 0 || step === o.steps) {
        finalEvalLoss = await evalLoss();
        const p: CurvePoint = { step, trainLoss: recent / recentN, evalLoss: finalEvalLoss, seconds: (performance.now() - t0) / 1000 };
        curve.push(p);
        o.log?.(`step ${step}/${o.steps}  train ${p.trainLoss.toFixed(3)}  val ${finalEvalLoss.toFixed(3)} (ppl ${Math.exp(finalEvalLoss).toFixed(1)})  ${p.seconds.toFixed(0)} s`);
        recent = 0;
        recentN = 0;
      }
    }
  } finally {
    progress.done();
    opt.dispose();
  }
  return { curve, seconds: (performance.now() - t0) / 1000, finalEvalLoss };
}

/** Mean loss of `lossFn` over fixed batches (no gradients). */
export async function meanLoss<B>(batches: readonly B[], lossFn: (b: B) => Tensor, signal?: AbortSignal): Promise<number> {
  let sum = 0;
  for (const b of batches) {
    throwIfAborted(signal);
    const l = tf.tidy(() => lossFn(b));
    sum += (await l.data())[0]!;
    l.dispose();
  }
  return batches.length ? sum / batches.length : Number.NaN;
}

/** Write the training/validation loss curve of a {@link LoopResult} as SVG. */
export async function writeCurve(path: string, curve: readonly CurvePoint[]): Promise<void> {
  await writeLossCurve(path, {
    train: curve.map((p) => [p.step, p.trainLoss]),
    eval: curve.filter((p) => p.evalLoss !== undefined).map((p) => [p.step, p.evalLoss!]),
  });
}

/** Right-pad rows to the longest with `pad`. */
export function padRows(rows: readonly (readonly number[])[], pad: number, width?: number): number[][] {
  const w = width ?? Math.max(1, ...rows.map((r) => r.length));
  return rows.map((r) => [...r, ...new Array<number>(Math.max(0, w - r.length)).fill(pad)]);
}

/** 1 for real positions, 0 for padding. */
export function maskRows(rows: readonly (readonly number[])[], width?: number): number[][] {
  const w = width ?? Math.max(1, ...rows.map((r) => r.length));
  return rows.map((r) => Array.from({ length: w }, (_, i) => (i < r.length ? 1 : 0)));
}

/**
 * Pick `size` examples of similar length: `sortedIdx` is sorted by length; a random window of it
 * is taken (so padding stays small), deterministic given `rng`.
 */
export function bucketBatch(sortedIdx: readonly number[], size: number, rng: Rng): number[] {
  const n = sortedIdx.length;
  if (n <= size) return [...sortedIdx];
  const start = Math.floor(rng.next() * (n - size + 1));
  return sortedIdx.slice(start, start + size);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * An attention heat-map as SVG: one row per query token, one column per key token, darker =
 * more weight. `weights[i][j]` is query i's weight on key j (rows sum to 1).
 */
export function heatmapSvg(rowLabels: readonly string[], colLabels: readonly string[], weights: readonly (readonly number[])[], title = 'attention'): string {
  const cell = 22;
  const left = 10 + 7 * Math.max(4, ...rowLabels.map((l) => l.length));
  const top = 30 + 7 * Math.max(4, ...colLabels.map((l) => l.length));
  const w = left + cell * colLabels.length + 10;
  const h = top + cell * rowLabels.length + 10;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="monospace" font-size="11">`, `<rect width="${w}" height="${h}" fill="white"/>`, `<text x="5" y="15" font-size="13">${esc(title)}</text>`];
  colLabels.forEach((l, j) => {
    const x = left + j * cell + cell / 2 + 4;
    out.push(`<text transform="translate(${x},${top - 4}) rotate(-90)">${esc(l)}</text>`);
  });
  rowLabels.forEach((l, i) => {
    out.push(`<text x="${left - 4}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${esc(l)}</text>`);
    (weights[i] ?? []).forEach((v, j) => {
      const g = Math.round(255 * (1 - Math.max(0, Math.min(1, v))));
      out.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="rgb(${g},${g},255)"><title>${esc(l)} → ${esc(colLabels[j] ?? '')}: ${v.toFixed(3)}</title></rect>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Write {@link heatmapSvg} atomically. */
export async function writeHeatmapSvg(path: string, rowLabels: readonly string[], colLabels: readonly string[], weights: readonly (readonly number[])[], title?: string): Promise<void> {
  await writeFileAtomic(path, heatmapSvg(rowLabels, colLabels, weights, title));
}
