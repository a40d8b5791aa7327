/**
 * The shape shared by the corpus metrics that work from sufficient statistics (BLEU, chrF, TER),
 * which is what bootstrap resampling and paired significance tests need.
 *
 * @packageDocumentation
 */
import { InputError, throwIfAborted } from '@llm/core';

/** A corpus-level score with its sacreBLEU-style signature. */
export interface CorpusScore {
  /** Metric name as sacreBLEU prints it, e.g. `BLEU`, `chrF2`, `chrF2++`, `TER`. */
  readonly name: string;
  /** The score (0–100 for BLEU and chrF; TER is a percentage of edits, lower is better). */
  readonly score: number;
}

/** A metric computed from per-segment sufficient statistics that add up over a corpus. */
export interface StatsMetric<S extends CorpusScore = CorpusScore> {
  /** Per-segment statistics for hypotheses against reference streams. */
  segmentStatistics(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>, options?: StatsOptions): number[][];
  /** The score from statistics summed over (a sample of) segments. */
  scoreFromStats(stats: ArrayLike<number>): S;
  /** The reproducibility signature (`nrefs:1|case:mixed|…|version:2.6.0`). */
  signature(extra?: SignatureExtras): string;
}

/** Cancellation and progress for long statistic extractions. */
export interface StatsOptions {
  signal?: AbortSignal;
  /** Called every 256 segments and at the end with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Check cancellation and report progress for segment `i` of `n` (used inside metric loops). */
export function stepProgress(options: StatsOptions | undefined, i: number, n: number): void {
  if (!options) return;
  if ((i & 255) === 0) throwIfAborted(options.signal);
  if (options.onProgress && ((i + 1) % 256 === 0 || i + 1 === n)) options.onProgress(i + 1, n);
}

/** Extra signature fields added by resampling. */
export interface SignatureExtras {
  /** Number of bootstrap resamples. */
  bs?: number;
  /** Number of approximate-randomization trials. */
  ar?: number;
  /** RNG seed. */
  seed?: number | string;
}

/** The sacreBLEU version whose behaviour this package reproduces; printed in signatures. */
export const SACREBLEU_VERSION = '2.6.0';

/** Sum rows of statistics element-wise. */
export function sumStats(rows: ReadonlyArray<ArrayLike<number>>, width?: number): number[] {
  const w = width ?? (rows[0]?.length ?? 0);
  const out = new Array<number>(w).fill(0);
  for (const r of rows) for (let i = 0; i < w; i++) out[i]! += r[i]!;
  return out;
}

/**
 * Check a hypothesis list and its reference streams: at least one hypothesis, and every
 * reference stream with as many lines as the hypotheses. Throws {@link InputError} naming the
 * stream (and its file, if given) otherwise.
 */
export function checkCorpus(
  hypotheses: readonly unknown[],
  references: ReadonlyArray<readonly unknown[]>,
  names: { hyp?: string; refs?: readonly string[] } = {},
): void {
  if (hypotheses.length === 0) throw new InputError('no hypotheses: the hypothesis list is empty', { file: names.hyp });
  if (references.length === 0) throw new InputError('no reference streams given');
  references.forEach((stream, i) => {
    if (stream.length !== hypotheses.length) {
      const file = names.refs?.[i];
      throw new InputError(
        `reference stream ${i + 1}${file ? ` (${file})` : ''} has ${stream.length} lines but the hypotheses${names.hyp ? ` (${names.hyp})` : ''} have ${hypotheses.length}`,
        { file: file ?? names.hyp, line: Math.min(stream.length, hypotheses.length) + 1 },
      );
    }
  });
}

/** Format a signature from ordered key/value pairs (values `true`/`false` print as yes/no). */
export function formatSignature(nrefs: number, metricFields: ReadonlyArray<readonly [string, string | number | boolean]>, extra: SignatureExtras = {}): string {
  const pairs: string[] = [`nrefs:${nrefs === -1 ? 'var' : nrefs}`];
  if (extra.bs !== undefined) pairs.push(`bs:${extra.bs}`);
  if (extra.ar !== undefined) pairs.push(`ar:${extra.ar}`);
  if (extra.seed !== undefined) pairs.push(`seed:${String(extra.seed).toLowerCase()}`);
  for (const [k, v] of metricFields) pairs.push(`${k}:${typeof v === 'boolean' ? (v ? 'yes' : 'no') : v}`);
  pairs.push(`version:${SACREBLEU_VERSION}`);
  return pairs.join('|');
}

/** Transpose reference streams into per-segment reference lists, dropping missing ones. */
export function segmentsOf(references: ReadonlyArray<ReadonlyArray<string | null | undefined>>, n: number): { segs: string[][]; nrefs: number } {
  const counts = new Set<number>();
  const segs: string[][] = [];
  for (let i = 0; i < n; i++) {
    const lines: string[] = [];
    for (const stream of references) {
      const x = stream[i];
      if (x !== null && x !== undefined) lines.push(x);
    }
    counts.add(lines.length);
    segs.push(lines);
  }
  return { segs, nrefs: counts.size === 1 ? [...counts][0]! : -1 };
}
