import { describe, expect, it } from 'vitest';
import { median, quantile, quantileSorted, speedRatio, summarize } from './stats.js';

describe('stats', () => {
  it('median of odd and even samples, unsorted input', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('quantiles interpolate linearly like numpy.quantile (type 7)', () => {
    // numpy.quantile([1, 2, 3, 4, 10], [0.25, 0.75]) → [2., 4.]
    expect(quantile([10, 1, 3, 2, 4], 0.25)).toBe(2);
    expect(quantile([10, 1, 3, 2, 4], 0.75)).toBe(4);
    // numpy.quantile([1, 2, 3, 4], [0.25, 0.9]) → [1.75, 3.7]
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantileSorted([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
    expect(quantileSorted([5], 0.3)).toBe(5);
  });

  it('summarize gives min, quartiles, IQR, max and mean; an outlier moves the median little', () => {
    const s = summarize([0.011, 0.010, 0.012, 0.010, 0.5]);
    expect(s.n).toBe(5);
    expect(s.min).toBe(0.010);
    expect(s.max).toBe(0.5);
    expect(s.median).toBe(0.011);
    expect(s.q1).toBe(0.010);
    expect(s.q3).toBe(0.012);
    expect(s.iqr).toBeCloseTo(0.002, 12);
    expect(s.mean).toBeCloseTo(0.1086, 12);
  });

  it('rejects empty samples, non-finite samples and bad quantiles', () => {
    expect(() => summarize([])).toThrow(RangeError);
    expect(() => summarize([1, Number.NaN])).toThrow(/non-finite/);
    expect(() => quantile([1, 2], 1.5)).toThrow(RangeError);
    expect(() => quantile([], 0.5)).toThrow(RangeError);
  });

  it('speed ratio is peer time over our time', () => {
    expect(speedRatio(2, 1)).toBe(0.5);
    expect(speedRatio(0.5, 1)).toBe(2);
    expect(() => speedRatio(0, 1)).toThrow(RangeError);
  });
});
