/**
 * rouge-score's `BootstrapAggregator`: confidence intervals on the mean of per-example scores by
 * bootstrap resampling (percentiles with numpy's default linear interpolation).
 *
 * @packageDocumentation
 */
import { ConfigError, Rng, throwIfAborted } from '@llm/core';
import type { RougeScore } from './scorer.js';

/** Low / mid / high of a bootstrap interval (mid is the median of resampled means). */
export interface AggregateScore {
  low: RougeScore;
  mid: RougeScore;
  high: RougeScore;
}

/** numpy.percentile with linear interpolation on sorted data. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return frac === 0 ? a : a + (b - a) * frac;
}

/** Options of {@link BootstrapAggregator}. */
export interface BootstrapOptions {
  /** Confidence level in [0, 1]. Default 0.95. */
  confidenceInterval?: number;
  /** Number of bootstrap samples. Default 1000. */
  nSamples?: number;
  /** Seed. Default 0. */
  seed?: number;
  signal?: AbortSignal;
}

/**
 * Collects per-example ROUGE scores and aggregates them into (low, mid, high) intervals.
 *
 * @example
 * ```ts
 * const agg = new BootstrapAggregator();
 * agg.addScores(new RougeScorer(['rouge1']).score('one two three', 'one two'));
 * agg.aggregate().rouge1.mid.fmeasure;
 * ```
 */
export class BootstrapAggregator {
  private readonly scores = new Map<string, RougeScore[]>();
  private readonly ci: number;
  private readonly nSamples: number;
  private readonly seed: number;
  private readonly signal: AbortSignal | undefined;

  constructor(options: BootstrapOptions = {}) {
    this.ci = options.confidenceInterval ?? 0.95;
    this.nSamples = options.nSamples ?? 1000;
    if (this.ci < 0 || this.ci > 1) throw new ConfigError('confidence_interval must be in range [0, 1]', { field: 'confidenceInterval' });
    if (!(this.nSamples > 0)) throw new ConfigError('n_samples must be positive', { field: 'nSamples' });
    this.seed = options.seed ?? 0;
    this.signal = options.signal;
  }

  /** Add one example's scores (a map from rouge type to score). */
  addScores(scores: Record<string, RougeScore>): void {
    for (const [k, v] of Object.entries(scores)) {
      let list = this.scores.get(k);
      if (!list) this.scores.set(k, (list = []));
      list.push(v);
    }
  }

  /** Aggregate every score type. */
  aggregate(): Record<string, AggregateScore> {
    const out: Record<string, AggregateScore> = {};
    const rng = new Rng(this.seed);
    for (const [type, list] of this.scores) {
      const n = list.length;
      const means: [Float64Array, Float64Array, Float64Array] = [new Float64Array(this.nSamples), new Float64Array(this.nSamples), new Float64Array(this.nSamples)];
      for (let s = 0; s < this.nSamples; s++) {
        if ((s & 63) === 0) throwIfAborted(this.signal);
        let p = 0;
        let r = 0;
        let f = 0;
        for (let i = 0; i < n; i++) {
          const x = list[rng.int(n)]!;
          p += x.precision;
          r += x.recall;
          f += x.fmeasure;
        }
        means[0][s] = p / n;
        means[1][s] = r / n;
        means[2][s] = f / n;
      }
      for (const m of means) m.sort();
      const delta = (1 - this.ci) / 2;
      const at = (q: number): RougeScore => ({ precision: percentile(means[0], q), recall: percentile(means[1], q), fmeasure: percentile(means[2], q) });
      out[type] = { low: at(100 * delta), mid: at(50), high: at(100 * (1 - delta)) };
    }
    return out;
  }
}
