/**
 * Metric hooks for the task commands. `@llm/eval` sits beside `@llm/transformer` in the layer
 * table, so this package cannot import it; the composing layer (`@llm/cli`, an example) registers
 * sacreBLEU-exact BLEU/chrF and the official SQuAD EM/F1 here, and `llm transformer eval` uses
 * them when present (without them it reports losses and writes the outputs to score).
 */

/** Corpus metrics a caller can plug in. */
export interface TaskScorers {
  /** Corpus BLEU (0–100) of hypotheses against one reference stream. */
  bleu?: (hyps: readonly string[], refs: readonly string[]) => number;
  /** Corpus chrF (0–100). */
  chrf?: (hyps: readonly string[], refs: readonly string[]) => number;
  /** SQuAD v1.1 EM and F1 (percent) of `{ id: answer }` predictions against a dataset JSON. */
  squad?: (dataset: unknown, predictions: Record<string, string>) => { exactMatch: number; f1: number };
}

let scorers: TaskScorers = {};

/** Register (or clear, with `{}`) the metrics used by `llm transformer eval`. */
export function setTaskScorers(s: TaskScorers): void {
  scorers = { ...s };
}

/** The registered metrics. */
export function taskScorers(): Readonly<TaskScorers> {
  return scorers;
}
