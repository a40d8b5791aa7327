/**
 * Inter-rater agreement: Cohen's kappa (two raters) and Krippendorff's alpha (any number of
 * raters, missing data allowed; nominal, ordinal, interval and ratio metrics).
 *
 * @packageDocumentation
 */
import { ConfigError } from '@llm/core';

/**
 * Cohen's kappa for two raters' labels of the same items (unweighted, or linearly/quadratically
 * weighted for ordinal numeric labels). Returns NaN when expected agreement is 1.
 */
export function cohensKappa(a: readonly (string | number)[], b: readonly (string | number)[], weights: 'none' | 'linear' | 'quadratic' = 'none'): number {
  if (a.length !== b.length) throw new ConfigError(`Cohen's kappa needs paired labels: ${a.length} vs ${b.length}`);
  if (a.length === 0) return Number.NaN;
  const cats = [...new Set([...a, ...b])].sort((x, y) => (typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0));
  const k = cats.length;
  const idx = new Map(cats.map((c, i) => [c, i] as const));
  const obs = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < a.length; i++) obs[idx.get(a[i]!)!]![idx.get(b[i]!)!]! += 1;
  const n = a.length;
  const rowM = obs.map((r) => r.reduce((s, x) => s + x, 0));
  const colM = cats.map((_, j) => obs.reduce((s, r) => s + r[j]!, 0));
  const w = (i: number, j: number): number => {
    if (weights === 'none') return i === j ? 0 : 1;
    if (k === 1) return 0;
    const d = Math.abs(i - j) / (k - 1);
    return weights === 'linear' ? d : d * d;
  };
  let po = 0;
  let pe = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      po += (w(i, j) * obs[i]![j]!) / n;
      pe += (w(i, j) * rowM[i]! * colM[j]!) / (n * n);
    }
  }
  return pe === 0 ? Number.NaN : 1 - po / pe;
}

/** Distance metric for Krippendorff's alpha. */
export type AlphaMetric = 'nominal' | 'ordinal' | 'interval' | 'ratio';

/**
 * Krippendorff's alpha. `data[unit]` is the list of values the raters gave that unit (missing
 * ratings simply absent); units with fewer than two values are not pairable and are ignored.
 */
export function krippendorffAlpha(data: ReadonlyArray<ReadonlyArray<string | number>>, metric: AlphaMetric = 'nominal'): number {
  const units = data.filter((u) => u.length >= 2);
  const values = [...new Set(units.flat())];
  if (metric !== 'nominal' && values.some((v) => typeof v !== 'number')) throw new ConfigError(`the ${metric} metric needs numeric values`);
  values.sort((x, y) => (typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1));
  const idx = new Map(values.map((v, i) => [v, i] as const));
  const V = values.length;
  // coincidence matrix
  const o = Array.from({ length: V }, () => new Array<number>(V).fill(0));
  for (const u of units) {
    const m = u.length;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) o[idx.get(u[i]!)!]![idx.get(u[j]!)!]! += 1 / (m - 1);
  }
  const nc = o.map((r) => r.reduce((s, x) => s + x, 0));
  const n = nc.reduce((s, x) => s + x, 0);
  if (n <= 1) return Number.NaN;
  const delta = (c: number, k: number): number => {
    if (c === k) return 0;
    const vc = values[c] as number;
    const vk = values[k] as number;
    switch (metric) {
      case 'nominal': return 1;
      case 'interval': return (vc - vk) ** 2;
      case 'ratio': return ((vc - vk) / (vc + vk)) ** 2;
      case 'ordinal': {
        const [lo, hi] = c < k ? [c, k] : [k, c];
        let s = 0;
        for (let g = lo; g <= hi; g++) s += nc[g]!;
        s -= (nc[lo]! + nc[hi]!) / 2;
        return s * s;
      }
    }
  };
  let Do = 0;
  let De = 0;
  for (let c = 0; c < V; c++) {
    for (let k = 0; k < V; k++) {
      if (c === k) continue;
      const d = delta(c, k);
      Do += o[c]![k]! * d;
      De += nc[c]! * nc[k]! * d;
    }
  }
  Do /= n;
  De /= n * (n - 1);
  return De === 0 ? Number.NaN : 1 - Do / De;
}
