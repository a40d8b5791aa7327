/**
 * The human-evaluation report: Likert means with bootstrap confidence intervals per system and
 * criterion, pairwise win rates, and inter-rater agreement.
 *
 * @packageDocumentation
 */
import { Rng, formatTable } from '@llm/core';
import { cohensKappa, krippendorffAlpha } from './agreement.js';
import type { Judgment } from './store.js';
import type { HumanTask } from './tasks.js';

/** Mean with a 95% bootstrap interval. */
export interface MeanCi {
  n: number;
  mean: number;
  low: number;
  high: number;
}

/** Agreement statistics for one question (a Likert criterion or the pairwise preference). */
export interface Agreement {
  /** Number of raters. */
  raters: number;
  /** Items judged by at least two raters. */
  items: number;
  /** Cohen's kappa (quadratic-weighted for Likert), only when exactly two raters judged. */
  cohensKappa?: number;
  /** Krippendorff's alpha (interval metric for Likert, nominal for pairwise). */
  krippendorffAlpha: number;
}

/** Pairwise results of one system pair. */
export interface PairwiseStats {
  systemA: string;
  systemB: string;
  winsA: number;
  winsB: number;
  ties: number;
  /** (winsA + ties/2) / n with a 95% bootstrap interval. */
  winRateA: MeanCi;
}

/** The report. */
export interface HumanReport {
  judgments: number;
  raters: string[];
  likert: Array<{ system: string; criterion: string } & MeanCi>;
  pairwise: PairwiseStats[];
  agreement: Record<string, Agreement>;
}

/** Mean and 95% percentile-bootstrap interval. */
export function bootstrapMean(xs: readonly number[], options: { samples?: number; seed?: number } = {}): MeanCi {
  const n = xs.length;
  if (n === 0) return { n: 0, mean: Number.NaN, low: Number.NaN, high: Number.NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const rng = new Rng(options.seed ?? 0);
  const S = options.samples ?? 2000;
  const means = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += xs[rng.int(n)]!;
    means[s] = t / n;
  }
  means.sort();
  return { n, mean, low: means[Math.floor(0.025 * (S - 1))]!, high: means[Math.ceil(0.975 * (S - 1))]! };
}

/** Build the report from tasks and judgments. */
export function buildReport(tasks: readonly HumanTask[], judgments: readonly Judgment[]): HumanReport {
  const taskById = new Map(tasks.map((t) => [t.id, t] as const));
  const js = judgments.filter((j) => taskById.has(j.taskId));
  const raters = [...new Set(js.map((j) => j.rater))].sort();
  // Likert means
  const likertGroups = new Map<string, number[]>();
  for (const j of js) {
    if (j.kind !== 'likert' || j.rating === null) continue;
    const key = `${j.system ?? '?'}\u0000${j.criterion}`;
    (likertGroups.get(key) ?? likertGroups.set(key, []).get(key)!).push(j.rating);
  }
  const likert = [...likertGroups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, xs]) => {
    const [system, criterion] = key.split('\u0000') as [string, string];
    return { system, criterion, ...bootstrapMean(xs) };
  });
  // Pairwise win rates per unordered system pair
  const pairs = new Map<string, { a: string; b: string; outcomes: number[] }>();
  for (const j of js) {
    if (j.kind !== 'pairwise') continue;
    const task = taskById.get(j.taskId);
    if (!task || task.type !== 'pairwise') continue;
    const [a, b] = Object.keys(task.outputs).sort() as [string, string];
    const key = `${a}\u0000${b}`;
    const p = pairs.get(key) ?? pairs.set(key, { a, b, outcomes: [] }).get(key)!;
    p.outcomes.push(j.winner === a ? 1 : j.winner === b ? 0 : 0.5);
  }
  const pairwise = [...pairs.values()].map(({ a, b, outcomes }) => ({
    systemA: a, systemB: b, winsA: outcomes.filter((x) => x === 1).length, winsB: outcomes.filter((x) => x === 0).length,
    ties: outcomes.filter((x) => x === 0.5).length, winRateA: bootstrapMean(outcomes),
  }));
  // Agreement per question
  const agreement: Record<string, Agreement> = {};
  const questions = new Set(js.map((j) => (j.kind === 'pairwise' ? 'preference' : `likert:${j.criterion}`)));
  for (const q of [...questions].sort()) {
    const byItem = new Map<string, Map<string, string | number>>();
    for (const j of js) {
      const jq = j.kind === 'pairwise' ? 'preference' : `likert:${j.criterion}`;
      if (jq !== q) continue;
      const v = j.kind === 'pairwise' ? j.winner ?? 'tie' : j.rating!;
      (byItem.get(j.taskId) ?? byItem.set(j.taskId, new Map()).get(j.taskId)!).set(j.rater, v);
    }
    const units = [...byItem.values()].map((m) => [...m.values()]);
    const qRaters = [...new Set(js.filter((j) => (j.kind === 'pairwise' ? 'preference' : `likert:${j.criterion}`) === q).map((j) => j.rater))].sort();
    const isLikert = q.startsWith('likert:');
    const entry: Agreement = { raters: qRaters.length, items: units.filter((u) => u.length >= 2).length, krippendorffAlpha: krippendorffAlpha(units, isLikert ? 'interval' : 'nominal') };
    if (qRaters.length === 2) {
      const [r1, r2] = qRaters as [string, string];
      const a: Array<string | number> = [];
      const b: Array<string | number> = [];
      for (const m of byItem.values()) if (m.has(r1) && m.has(r2)) { a.push(m.get(r1)!); b.push(m.get(r2)!); }
      entry.cohensKappa = cohensKappa(a, b, isLikert ? 'quadratic' : 'none');
    }
    agreement[q] = entry;
  }
  return { judgments: js.length, raters, likert, pairwise, agreement };
}

/** Render the report as text tables. */
export function formatReport(r: HumanReport): string {
  const f = (x: number | undefined, d = 3) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
  const out: string[] = [`${r.judgments} judgments by ${r.raters.length} rater(s): ${r.raters.join(', ')}`];
  if (r.likert.length) {
    out.push('', 'Likert (1–5), mean [95% CI]:');
    out.push(formatTable(['system', 'criterion', 'n', 'mean', '95% CI'], r.likert.map((l) => [l.system, l.criterion, l.n, f(l.mean, 2), `[${f(l.low, 2)}, ${f(l.high, 2)}]`])));
  }
  if (r.pairwise.length) {
    out.push('', 'Pairwise (ties count ½):');
    out.push(formatTable(['A', 'B', 'A wins', 'B wins', 'ties', 'A win rate', '95% CI'], r.pairwise.map((p) => [p.systemA, p.systemB, p.winsA, p.winsB, p.ties, f(p.winRateA.mean), `[${f(p.winRateA.low)}, ${f(p.winRateA.high)}]`])));
  }
  const ag = Object.entries(r.agreement);
  if (ag.length) {
    out.push('', 'Agreement:');
    out.push(formatTable(['question', 'raters', 'items', "Cohen's κ", "Krippendorff's α"], ag.map(([q, a]) => [q, a.raters, a.items, f(a.cohensKappa), f(a.krippendorffAlpha)])));
  }
  return out.join('\n');
}
