/**
 * Classification scores: accuracy, per-class precision/recall/F1, macro-F1 and the confusion
 * matrix (rows gold, columns predicted). Kept here, small, so this package needs no `@llm/eval`.
 */

import { InputError, argmax } from '@llm/core';

/** Scores of a set of predictions. */
export interface ClassificationReport {
  n: number;
  accuracy: number;
  /** Unweighted mean of the per-class F1 (a class with no gold and no predicted example counts F1 = 0). */
  macroF1: number;
  perClass: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  /** `confusion[gold][predicted]`. */
  confusion: number[][];
  labels: string[];
}

/**
 * Score a classifier's `predict` (label indices into `labels`) on labelled rows; a row whose label
 * is not among `labels` is an {@link InputError} naming its 1-based row.
 */
export function reportOnRows(rows: readonly { text: string; label: string }[], labels: readonly string[], predict: (texts: readonly string[]) => number[]): ClassificationReport {
  const gold = rows.map((r, i) => {
    const k = labels.indexOf(r.label);
    if (k < 0) throw new InputError(`row ${i + 1}: label '${r.label}' was not seen in training`);
    return k;
  });
  return classificationReport(gold, predict(rows.map((r) => r.text)), labels);
}

/** Score predicted labels against gold labels (both as label indices). */
export function classificationReport(gold: ArrayLike<number>, predicted: ArrayLike<number>, labels: readonly string[]): ClassificationReport {
  if (gold.length !== predicted.length) throw new RangeError(`gold has ${gold.length} labels, predicted ${predicted.length}`);
  const C = labels.length;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    confusion[gold[i]!]![predicted[i]!]!++;
    if (gold[i] === predicted[i]) correct++;
  }
  const perClass: ClassificationReport['perClass'] = {};
  let f1sum = 0;
  for (let c = 0; c < C; c++) {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predictedC = confusion.reduce((a, row) => a + row[c]!, 0);
    const precision = predictedC > 0 ? tp / predictedC : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[labels[c]!] = { precision, recall, f1, support };
    f1sum += f1;
  }
  return { n: gold.length, accuracy: gold.length ? correct / gold.length : 0, macroF1: C ? f1sum / C : 0, perClass, confusion, labels: [...labels] };
}

/** The majority-class baseline: always predict the most frequent training label, scored on `gold`. */
export function majorityBaseline(trainLabels: ArrayLike<number>, gold: ArrayLike<number>, labels: readonly string[]): ClassificationReport & { label: string } {
  const counts = new Array<number>(labels.length).fill(0);
  for (let i = 0; i < trainLabels.length; i++) counts[trainLabels[i]!]!++;
  const best = argmax(counts);
  const pred = new Array<number>(gold.length).fill(best);
  return { ...classificationReport(gold, pred, labels), label: labels[best]! };
}
