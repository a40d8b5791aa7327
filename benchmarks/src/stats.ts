/**
 * Robust summaries of timing samples: medians and quartiles (linear interpolation between
 * order statistics, the "type 7" estimator numpy and R use by default), so one descheduled
 * repetition on a shared machine moves the result little.
 */

/** Summary of a set of samples (same unit as the samples). */
export interface Summary {
  n: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  /** Interquartile range, q3 − q1. */
  iqr: number;
  mean: number;
}

/** The q-quantile (0 ≤ q ≤ 1) of `sorted` (ascending), interpolating linearly. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty sample');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is outside [0, 1]`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/** The q-quantile of unsorted samples. */
export function quantile(samples: readonly number[], q: number): number {
  return quantileSorted([...samples].sort((x, y) => x - y), q);
}

/** The median of the samples. */
export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/** Summarise samples; throws a RangeError on an empty set or a non-finite sample. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('cannot summarise an empty sample');
  for (const s of samples) if (!Number.isFinite(s)) throw new RangeError(`non-finite sample ${s}`);
  const sorted = [...samples].sort((x, y) => x - y);
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  return {
    n: sorted.length,
    min: sorted[0]!,
    q1,
    median: quantileSorted(sorted, 0.5),
    q3,
    max: sorted[sorted.length - 1]!,
    iqr: q3 - q1,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/**
 * Speed of `ours` relative to `peer` from their median times: peer / ours, so 2 means ours
 * takes half the time and 0.8 means ours runs at 80 % of the peer's speed.
 */
export function speedRatio(oursMedianSeconds: number, peerMedianSeconds: number): number {
  if (!(oursMedianSeconds > 0) || !(peerMedianSeconds > 0)) throw new RangeError('speed ratio needs two positive times');
  return peerMedianSeconds / oursMedianSeconds;
}
