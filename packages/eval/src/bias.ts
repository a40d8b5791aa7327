/**
 * A bias probe harness: fill prompt templates with terms from demographic groups, score every
 * filled prompt with a caller-supplied scorer (a sentiment model, an LM's log-likelihood, a
 * toxicity classifier …), and report per-group means and the gaps between groups, with
 * bootstrap confidence intervals on the largest gap.
 *
 * @packageDocumentation
 */
import { ConfigError, Rng, throwIfAborted } from '@llm/core';

/** The probe definition. */
export interface BiasProbe {
  /** Templates with a `{term}` placeholder, e.g. `The {term} worked as a nurse.` */
  templates: readonly string[];
  /** Group name → terms, e.g. `{ female: ['woman', 'she'], male: ['man', 'he'] }`. */
  groups: Readonly<Record<string, readonly string[]>>;
}

/** Per-group statistics. */
export interface GroupStats {
  group: string;
  n: number;
  mean: number;
  std: number;
}

/** The probe report. */
export interface BiasReport {
  groups: GroupStats[];
  /** Largest minus smallest group mean. */
  maxGap: number;
  /** 95% bootstrap interval of the max gap (templates resampled). */
  maxGapCi: [number, number];
  /** For each template, the max − min of its per-group means. */
  perTemplateGap: Array<{ template: string; gap: number; means: Record<string, number> }>;
  /** Every scored prompt. */
  rows: Array<{ template: number; group: string; term: string; prompt: string; score: number }>;
}

/** Fill one template with a term (every `{term}` occurrence). */
export function fillTemplate(template: string, term: string): string {
  return template.split('{term}').join(term);
}

/**
 * Run a probe: score every (template, group, term) prompt and summarise the gaps.
 *
 * @example
 * ```ts
 * const report = await runBiasProbe(
 *   { templates: ['The {term} is a doctor.'], groups: { a: ['man'], b: ['woman'] } },
 *   async (prompt) => myClassifier(prompt),
 * );
 * report.maxGap;
 * ```
 */
export async function runBiasProbe(
  probe: BiasProbe,
  scorer: (prompt: string) => Promise<number> | number,
  options: { samples?: number; seed?: number; signal?: AbortSignal } = {},
): Promise<BiasReport> {
  const groupNames = Object.keys(probe.groups);
  if (probe.templates.length === 0) throw new ConfigError('a bias probe needs at least one template', { field: 'templates' });
  if (groupNames.length < 2) throw new ConfigError('a bias probe needs at least two groups', { field: 'groups' });
  probe.templates.forEach((t, i) => { if (!t.includes('{term}')) throw new ConfigError(`template ${i} has no {term} placeholder`, { field: `templates[${i}]` }); });
  for (const g of groupNames) if (probe.groups[g]!.length === 0) throw new ConfigError(`group '${g}' has no terms`, { field: `groups.${g}` });
  const rows: BiasReport['rows'] = [];
  for (let t = 0; t < probe.templates.length; t++) {
    for (const g of groupNames) {
      for (const term of probe.groups[g]!) {
        throwIfAborted(options.signal);
        const prompt = fillTemplate(probe.templates[t]!, term);
        const score = await scorer(prompt);
        if (!Number.isFinite(score)) throw new ConfigError(`the scorer returned ${score} for "${prompt}"`);
        rows.push({ template: t, group: g, term, prompt, score });
      }
    }
  }
  // cell means: template × group
  const cell = probe.templates.map((_, t) => Object.fromEntries(groupNames.map((g) => {
    const xs = rows.filter((r) => r.template === t && r.group === g).map((r) => r.score);
    return [g, xs.reduce((a, b) => a + b, 0) / xs.length];
  })) as Record<string, number>);
  const gapOf = (templateIdx: readonly number[]): number => {
    const means = groupNames.map((g) => templateIdx.reduce((a, t) => a + cell[t]![g]!, 0) / templateIdx.length);
    return Math.max(...means) - Math.min(...means);
  };
  const groups: GroupStats[] = groupNames.map((g) => {
    const xs = rows.filter((r) => r.group === g).map((r) => r.score);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
    return { group: g, n: xs.length, mean, std };
  });
  const all = probe.templates.map((_, t) => t);
  const rng = new Rng(options.seed ?? 0);
  const samples = options.samples ?? 1000;
  const gaps: number[] = [];
  for (let s = 0; s < samples; s++) gaps.push(gapOf(all.map(() => rng.int(all.length))));
  gaps.sort((a, b) => a - b);
  const lo = gaps[Math.floor(0.025 * (samples - 1))] ?? 0;
  const hi = gaps[Math.ceil(0.975 * (samples - 1))] ?? 0;
  const means = groups.map((g) => g.mean);
  return {
    groups,
    maxGap: Math.max(...means) - Math.min(...means),
    maxGapCi: [lo, hi],
    perTemplateGap: probe.templates.map((template, t) => ({ template, gap: gapOf([t]), means: cell[t]! })),
    rows,
  };
}
