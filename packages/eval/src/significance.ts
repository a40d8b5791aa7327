/**
 * Bootstrap confidence intervals and paired significance tests between systems, as sacreBLEU
 * does them (`--confidence`, `--paired-bs`, `--paired-ar`), on any {@link StatsMetric}.
 * Randomness comes from `@llm/core`'s seeded `Rng`, so numbers are reproducible by seed
 * (they are not numpy's draws, so individual resamples differ from sacreBLEU's; the estimates agree
 * statistically).
 *
 * @packageDocumentation
 */
import { ConfigError, Rng, throwIfAborted } from '@llm/core';
import type { CorpusScore, StatsMetric } from './metric.js';

/** Mean and half-width of the 95% interval of resampled scores (sacreBLEU's `estimate_ci`). */
export interface ConfidenceEstimate {
  /** Mean of the resampled scores. */
  mean: number;
  /** Half the distance between the 2.5th and 97.5th percentile (index n//40 from each end). */
  ci: number;
}

/** sacreBLEU's `estimate_ci`: mean and half-width of the 95% interval. */
export function estimateCi(scores: readonly number[]): ConfidenceEstimate {
  const s = [...scores].sort((a, b) => a - b);
  const n = s.length;
  const lo = Math.floor(n / 40);
  const hi = n - lo - 1;
  let mean = 0;
  for (const x of s) mean += x;
  return { mean: mean / n, ci: 0.5 * (s[hi]! - s[lo]!) };
}

/** Draw `samples` × `n` bootstrap indices. */
function bootstrapIndices(n: number, samples: number, rng: Rng): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let s = 0; s < samples; s++) {
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    out.push(idx);
  }
  return out;
}

function sumRows(stats: readonly number[][], idx: ArrayLike<number>, width: number): Float64Array {
  const out = new Float64Array(width);
  for (let k = 0; k < idx.length; k++) {
    const row = stats[idx[k]!]!;
    for (let j = 0; j < width; j++) out[j]! += row[j]!;
  }
  return out;
}

/** Options of the resampling functions. */
export interface ResampleOptions {
  /** Number of resamples (default 1000 for bootstrap, 10000 for approximate randomization). */
  samples?: number;
  /** Seed (default 12345, like sacreBLEU). */
  seed?: number;
  signal?: AbortSignal;
}

/** Bootstrap resampling of one system's segment statistics: scores of every resample. */
export function bootstrapScores<S extends CorpusScore>(metric: StatsMetric<S>, stats: readonly number[][], options: ResampleOptions = {}): number[] {
  const samples = options.samples ?? 1000;
  if (!(samples > 1)) throw new ConfigError(`bootstrap needs more than 1 sample, got ${samples}`, { field: 'samples' });
  if (stats.length === 0) throw new ConfigError('bootstrap needs at least one segment');
  const rng = new Rng(options.seed ?? 12345);
  const width = stats[0]!.length;
  const scores: number[] = [];
  for (const idx of bootstrapIndices(stats.length, samples, rng)) {
    throwIfAborted(options.signal);
    scores.push(metric.scoreFromStats(sumRows(stats, idx, width)).score);
  }
  return scores;
}

/** Result of a paired test for one system against the baseline. */
export interface PairedResult {
  /** The system's corpus score. */
  score: number;
  /** p-value of the difference to the baseline ((c + 1) / (n + 1)). */
  pValue: number;
  /** Bootstrap mean and 95% half-width of the system's score (paired bootstrap only). */
  mean?: number;
  ci?: number;
}

function pValue(sampleStats: ArrayLike<number>, realDiff: number): number {
  let c = 0;
  for (let i = 0; i < sampleStats.length; i++) if (sampleStats[i]! > realDiff) c++;
  return (c + 1) / (sampleStats.length + 1);
}

/**
 * Paired bootstrap resampling (Koehn 2004), sacreBLEU's `--paired-bs`: the same resampled segment
 * indices for baseline and system; p-value of |Δ| against mean-centred resampled |Δ|.
 */
export function pairedBootstrap<S extends CorpusScore>(
  metric: StatsMetric<S>,
  baselineStats: readonly number[][],
  systemStats: readonly number[][],
  options: ResampleOptions = {},
): PairedResult & { baseline: ConfidenceEstimate & { score: number } } {
  if (baselineStats.length !== systemStats.length) throw new ConfigError(`paired test: baseline has ${baselineStats.length} segments, system ${systemStats.length}`);
  const samples = options.samples ?? 1000;
  const rng = new Rng(options.seed ?? 12345);
  const width = baselineStats[0]!.length;
  const idxs = bootstrapIndices(baselineStats.length, samples, rng);
  const bl: number[] = [];
  const sys: number[] = [];
  for (const idx of idxs) {
    throwIfAborted(options.signal);
    bl.push(metric.scoreFromStats(sumRows(baselineStats, idx, width)).score);
    sys.push(metric.scoreFromStats(sumRows(systemStats, idx, width)).score);
  }
  const blScore = metric.scoreFromStats(sumRows(baselineStats, baselineStats.map((_, i) => i), width)).score;
  const sysScore = metric.scoreFromStats(sumRows(systemStats, systemStats.map((_, i) => i), width)).score;
  const diff = Math.abs(blScore - sysScore);
  const diffs = sys.map((s, i) => Math.abs(s - bl[i]!));
  const meanDiff = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const centred = diffs.map((d) => d - meanDiff);
  const sysCi = estimateCi(sys);
  return { score: sysScore, pValue: pValue(centred, diff), mean: sysCi.mean, ci: sysCi.ci, baseline: { score: blScore, ...estimateCi(bl) } };
}

/**
 * Paired approximate randomization (Riezler & Maxwell 2005), sacreBLEU's `--paired-ar`: swap
 * each segment's outputs between the two systems with probability ½.
 */
export function pairedApproximateRandomization<S extends CorpusScore>(
  metric: StatsMetric<S>,
  baselineStats: readonly number[][],
  systemStats: readonly number[][],
  options: ResampleOptions = {},
): PairedResult {
  if (baselineStats.length !== systemStats.length) throw new ConfigError(`paired test: baseline has ${baselineStats.length} segments, system ${systemStats.length}`);
  const trials = options.samples ?? 10000;
  const rng = new Rng(options.seed ?? 12345);
  const n = baselineStats.length;
  const width = baselineStats[0]!.length;
  const all = baselineStats.map((_, i) => i);
  const blScore = metric.scoreFromStats(sumRows(baselineStats, all, width)).score;
  const sysScore = metric.scoreFromStats(sumRows(systemStats, all, width)).score;
  const diff = Math.abs(blScore - sysScore);
  const stats = new Float64Array(trials);
  const a = new Float64Array(width);
  const b = new Float64Array(width);
  for (let t = 0; t < trials; t++) {
    if ((t & 255) === 0) throwIfAborted(options.signal);
    a.fill(0);
    b.fill(0);
    for (let i = 0; i < n; i++) {
      const swap = rng.next() < 0.5;
      const x = swap ? systemStats[i]! : baselineStats[i]!;
      const y = swap ? baselineStats[i]! : systemStats[i]!;
      for (let j = 0; j < width; j++) { a[j]! += x[j]!; b[j]! += y[j]!; }
    }
    stats[t] = Math.abs(metric.scoreFromStats(a).score - metric.scoreFromStats(b).score);
  }
  return { score: sysScore, pValue: pValue(stats, diff) };
}
