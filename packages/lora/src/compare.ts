import { initBackend, writeCurvesSvg, writeJsonAtomic, type Tokenizer } from '@llm/core';
import { loadCausalLM, loadTokenizer, type Llama } from '@llm/transformer';
import { join } from 'node:path';
import type { Completer } from './complete.js';
import type { TrainingExample } from './data.js';
import { fineTune, type FineTuneMethod, type FineTuneOptions, type MemoryReport } from './finetune.js';

/** Task scores of one model (the caller's metric names: BLEU, chrF, held-out loss, …). */
export type TaskScores = Record<string, number>;

/** One row of {@link compareFineTuning}. */
export interface MethodComparison {
  method: FineTuneMethod;
  trainableParameters: number;
  totalParameters: number;
  memory: MemoryReport;
  firstLoss: number;
  lastLoss: number;
  /** Training loss per step. */
  losses: number[];
  seconds: number;
  /** The task scores after fine-tuning (when `evaluate` was given). */
  after?: TaskScores;
  /** Where the adapter (or model) and its loss curve were written. */
  out: string;
}

/** What {@link compareFineTuning} returns: one row per method, and the base's task scores before fine-tuning as `before` (when `evaluate` was given). */
export type Comparison = MethodComparison[] & { before?: TaskScores };

/** Options of {@link compareFineTuning}. */
export type CompareOptions = Omit<FineTuneOptions, 'method' | 'out'> & {
  outDir: string;
  methods?: readonly FineTuneMethod[];
  tokenizer?: Tokenizer;
  /**
   * Score a model on the task: called once on the untouched base (`'base'`) and once after each
   * method, with what to run (the model with its adapter attached, or the soft prompt / prefix).
   */
  evaluate?: (lm: Completer, method: FineTuneMethod | 'base') => Promise<TaskScores>;
};

/**
 * The level-3 comparison: fine-tune the same base several ways (all weights, LoRA, QLoRA, prompt
 * tuning, prefix tuning) on the same examples and report trainable parameters, memory, losses and
 * (with `evaluate`) the task scores before and after. Each method starts from a fresh copy of the
 * base folder. Writes `losses.svg` (every method's training loss) and `comparison.json` in `outDir`.
 */
export async function compareFineTuning(baseDir: string, examples: readonly TrainingExample[], options: CompareOptions): Promise<Comparison> {
  await initBackend();
  const tokenizer = options.tokenizer ?? (await loadTokenizer(baseDir));
  const rows: MethodComparison[] = [];
  let before: TaskScores | undefined;
  if (options.evaluate) {
    const model = (await loadCausalLM(baseDir)) as Llama;
    try {
      before = await options.evaluate(model, 'base');
    } finally {
      model.dispose();
    }
  }
  for (const method of options.methods ?? (['full', 'lora', 'qlora', 'prompt'] as const)) {
    const model = (await loadCausalLM(baseDir)) as Llama;
    const out = join(options.outDir, method);
    try {
      const r = await fineTune(model, tokenizer, examples, { baseModelNameOrPath: baseDir, ...options, method, out });
      const after = options.evaluate ? await options.evaluate(r.prompt ?? r.prefix ?? model, method) : undefined;
      rows.push({ method, trainableParameters: r.memory.trainableParameters, totalParameters: r.memory.totalParameters, memory: r.memory, firstLoss: r.losses[0]!, lastLoss: r.losses[r.losses.length - 1]!, losses: r.losses, seconds: r.seconds, after, out });
      r.lora?.dispose();
      r.prompt?.dispose();
      r.prefix?.dispose();
    } finally {
      model.dispose();
    }
  }
  await writeCurvesSvg(join(options.outDir, 'losses.svg'), rows.map((r) => ({ name: r.method, points: r.losses.map((y, i) => [i + 1, y] as const) })), { title: 'fine-tuning: training loss per step', xLabel: 'step', yLabel: 'loss (nats/token)' });
  await writeJsonAtomic(join(options.outDir, 'comparison.json'), { base: baseDir, examples: examples.length, before, rows: rows.map(({ losses, ...r }) => ({ ...r, losses: { first: losses[0], last: losses[losses.length - 1], steps: losses.length } })) });
  return Object.assign(rows, { before });
}
