import { formatTable, throwIfAborted } from '@llm/core';
import { speedRatio, summarize, type Summary } from './stats.js';

/**
 * The benchmark harness: every contender of a case (this project's implementations and the
 * peers') is prepared, warmed up, then timed in interleaved rounds (one repetition of each per
 * round, in a rotating order), so a burst of load from another process on the shared machine
 * hits all of them alike. Results are medians and IQRs of the per-repetition times, a
 * throughput, and the speed of each of ours relative to the case's reference peer.
 */

/** Times a runner measured itself (e.g. inside a Python peer, without the IPC). */
export interface SelfTimed {
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of the process (all its threads), when known. */
  cpuSeconds?: number;
}

/** One repetition: returns its own timing, or nothing to be timed by the harness (wall clock and this process's CPU time). */
export type RunOnce = () => Promise<SelfTimed | void> | SelfTimed | void;

/** A prepared contender. */
export interface Runner {
  /** Called before each repetition, outside the timed region (e.g. select this contender's backend). */
  before?: () => Promise<void> | void;
  run: RunOnce;
  /** What ran (library versions, model size), shown in the JSON results. */
  info?: string;
  dispose?: () => Promise<void> | void;
}

/** A contender that cannot run here, and why. */
export interface Skipped {
  skipped: string;
}

/** One implementation of a case's workload. */
export interface Contender {
  /** Display name, e.g. `tfjs native (2 threads)` or `numpy/OpenBLAS (2 threads)`. */
  name: string;
  /** `ours` for this project, `peer` for the reference implementations. */
  side: 'ours' | 'peer';
  /** Build the inputs and the runner; return `{ skipped }` when it cannot run here. */
  prepare: () => Promise<Runner | Skipped>;
}

/** A workload measured for several contenders. */
export interface BenchCase {
  /** Stable id, e.g. `matmul-1024`. */
  id: string;
  title: string;
  /** Work per repetition, for a throughput column (e.g. 2n³ FLOP, or tokens). */
  work?: { amount: number; unit: string; scale?: number };
  /** Name of the peer that ratios are computed against. */
  reference?: string;
  contenders: Contender[];
}

/** How a case is run. */
export interface HarnessOptions {
  warmup?: number;
  reps?: number;
  /** Cap on one contender's timed repetitions in seconds (fewer reps, at least `minReps`, when slow). */
  maxSecondsPerContender?: number;
  minReps?: number;
  signal?: AbortSignal;
  /** Called after each contender is prepared or each round, for progress. */
  onProgress?: (message: string) => void;
}

/** One contender's outcome. */
export interface ContenderResult {
  name: string;
  side: 'ours' | 'peer';
  skipped?: string;
  info?: string;
  /** Per-repetition wall-clock seconds. */
  samples: number[];
  /** Per-repetition CPU seconds (all threads of the process that ran it), when measured. */
  cpuSamples: number[];
  stats?: Summary;
  cpuStats?: Summary;
  /** Work per second at the median time (in `unit`). */
  throughput?: number;
  /** For ours: speed relative to each peer that ran (peer median / our median). */
  speedVs?: Record<string, number>;
}

/** One case's outcome. */
export interface CaseResult {
  id: string;
  title: string;
  unit?: string;
  reference?: string;
  results: ContenderResult[];
}

function isSkipped(r: Runner | Skipped): r is Skipped {
  return typeof (r as Skipped).skipped === 'string';
}

async function timeOnce(runner: Runner): Promise<SelfTimed> {
  await runner.before?.();
  const run = runner.run;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const self = await run();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  if (self && typeof self.seconds === 'number') return self;
  return { seconds: wall, cpuSeconds: (c.user + c.system) / 1e6 };
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** Run one case: prepare, warm up, interleaved timed rounds, summarise. */
export async function runCase(bench: BenchCase, options: HarnessOptions = {}): Promise<CaseResult> {
  const warmup = options.warmup ?? 2;
  const reps = options.reps ?? 7;
  const minReps = Math.min(options.minReps ?? 3, reps);
  const cap = options.maxSecondsPerContender ?? 20;
  const progress = options.onProgress ?? (() => undefined);

  const entries: Array<{ c: Contender; runner?: Runner; result: ContenderResult; reps: number }> = [];
  for (const c of bench.contenders) {
    throwIfAborted(options.signal);
    const result: ContenderResult = { name: c.name, side: c.side, samples: [], cpuSamples: [] };
    let runner: Runner | undefined;
    try {
      const prepared = await c.prepare();
      if (isSkipped(prepared)) result.skipped = prepared.skipped;
      else {
        runner = prepared;
        if (prepared.info) result.info = prepared.info;
      }
    } catch (err) {
      result.skipped = `failed to prepare: ${describeError(err)}`;
    }
    let n = reps;
    if (runner) {
      try {
        let last = 0;
        for (let i = 0; i < warmup; i++) {
          last = (await timeOnce(runner)).seconds;
          if (last * reps > cap) break; // slow: one warm-up is enough, and the reps will be cut
        }
        if (last * reps > cap) n = Math.max(minReps, Math.floor(cap / Math.max(last, 1e-9)));
      } catch (err) {
        result.skipped = `failed in warm-up: ${describeError(err)}`;
        await runner.dispose?.();
        runner = undefined;
      }
    }
    progress(`${bench.id}: ${c.name} ${result.skipped ? `skipped (${result.skipped})` : 'ready'}`);
    entries.push({ c, runner, result, reps: n });
  }

  const live = entries.filter((e) => e.runner);
  const rounds = Math.max(0, ...live.map((e) => e.reps));
  for (let r = 0; r < rounds; r++) {
    throwIfAborted(options.signal);
    for (let j = 0; j < live.length; j++) {
      const e = live[(j + r) % live.length]!;
      if (!e.runner || e.result.samples.length >= e.reps) continue;
      try {
        const t = await timeOnce(e.runner);
        e.result.samples.push(t.seconds);
        if (t.cpuSeconds !== undefined) e.result.cpuSamples.push(t.cpuSeconds);
      } catch (err) {
        e.result.skipped = `failed: ${describeError(err)}`;
        await e.runner.dispose?.();
        e.runner = undefined;
      }
    }
  }
  for (const e of live) await e.runner?.dispose?.();

  const scale = bench.work?.scale ?? 1;
  for (const e of entries) {
    if (e.result.skipped || e.result.samples.length === 0) continue;
    e.result.stats = summarize(e.result.samples);
    if (e.result.cpuSamples.length === e.result.samples.length) e.result.cpuStats = summarize(e.result.cpuSamples);
    if (bench.work) e.result.throughput = (bench.work.amount / e.result.stats.median) / scale;
  }
  const peers = entries.filter((e) => e.c.side === 'peer' && e.result.stats);
  for (const e of entries) {
    if (e.c.side !== 'ours' || !e.result.stats) continue;
    e.result.speedVs = {};
    for (const p of peers) e.result.speedVs[p.c.name] = speedRatio(e.result.stats.median, p.result.stats!.median);
  }
  return { id: bench.id, title: bench.title, unit: bench.work?.unit, reference: bench.reference, results: entries.map((e) => e.result) };
}

function fmtMs(seconds: number): string {
  const ms = seconds * 1000;
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function fmtNum(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** The rows of the summary table for a set of case results. */
export function tableRows(results: readonly CaseResult[]): { header: string[]; rows: string[][] } {
  const header = ['case', 'system', 'side', 'median ms', 'IQR ms', 'CPU ms', 'n', 'throughput', 'ours/peer speed'];
  const rows: string[][] = [];
  for (const c of results) {
    for (const r of c.results) {
      if (r.skipped || !r.stats) {
        rows.push([c.id, r.name, r.side, '-', '-', '-', '0', `skipped: ${r.skipped ?? 'no samples'}`, '']);
        continue;
      }
      const ref = c.reference && r.speedVs ? r.speedVs[c.reference] : undefined;
      rows.push([
        c.id,
        r.name,
        r.side,
        fmtMs(r.stats.median),
        fmtMs(r.stats.iqr),
        r.cpuStats ? fmtMs(r.cpuStats.median) : '',
        String(r.stats.n),
        r.throughput !== undefined && c.unit ? `${fmtNum(r.throughput)} ${c.unit}` : '',
        ref !== undefined ? `${ref.toFixed(2)}× vs ${c.reference}` : '',
      ]);
    }
  }
  return { header, rows };
}

/** The results as a plain-text table. */
export function formatResults(results: readonly CaseResult[]): string {
  const { header, rows } = tableRows(results);
  return formatTable(header, rows);
}

/** The results as a Markdown table. */
export function markdownResults(results: readonly CaseResult[]): string {
  const { header, rows } = tableRows(results);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}
