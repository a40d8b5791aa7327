/**
 * Classification metrics: accuracy, per-class precision/recall/F1, macro and micro averages
 * (as scikit-learn with `zero_division=0`), and the confusion matrix.
 *
 * @packageDocumentation
 */
import { InputError } from '@llm/core';

/** Precision, recall, F1 and support of one class. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true instances. */
  support: number;
}

/** The full classification report. */
export interface ClassificationReport {
  accuracy: number;
  /** Labels in matrix order. */
  labels: string[];
  perClass: Record<string, ClassScores>;
  macro: { precision: number; recall: number; f1: number };
  micro: { precision: number; recall: number; f1: number };
  /** `confusion[i][j]` = count of true `labels[i]` predicted as `labels[j]`. */
  confusion: number[][];
}

function check(yTrue: readonly unknown[], yPred: readonly unknown[]): void {
  if (yTrue.length !== yPred.length) throw new InputError(`${yTrue.length} true labels but ${yPred.length} predictions`, { line: Math.min(yTrue.length, yPred.length) + 1 });
  if (yTrue.length === 0) throw new InputError('no labels');
}

/** Fraction of exact matches. */
export function accuracy<T>(yTrue: readonly T[], yPred: readonly T[]): number {
  check(yTrue, yPred);
  let c = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) c++;
  return c / yTrue.length;
}

/** Confusion matrix over `labels` (default: sorted union of seen labels). */
export function confusionMatrix(yTrue: readonly string[], yPred: readonly string[], labels?: readonly string[]): { labels: string[]; matrix: number[][] } {
  check(yTrue, yPred);
  const labs = labels ? [...labels] : [...new Set([...yTrue, ...yPred])].sort();
  const index = new Map(labs.map((l, i) => [l, i] as const));
  const matrix = labs.map(() => new Array<number>(labs.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const a = index.get(yTrue[i]!);
    const b = index.get(yPred[i]!);
    if (a !== undefined && b !== undefined) matrix[a]![b]! += 1;
  }
  return { labels: labs, matrix };
}

const div = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** Accuracy, per-class and macro/micro precision/recall/F1, and the confusion matrix. */
export function classificationReport(yTrue: readonly string[], yPred: readonly string[], labels?: readonly string[]): ClassificationReport {
  const { labels: labs, matrix } = confusionMatrix(yTrue, yPred, labels);
  const perClass: Record<string, ClassScores> = {};
  let tpSum = 0;
  let predSum = 0;
  let trueSum = 0;
  let mp = 0;
  let mr = 0;
  let mf = 0;
  labs.forEach((l, i) => {
    const tp = matrix[i]![i]!;
    const predicted = matrix.reduce((a, row) => a + row[i]!, 0);
    const actual = matrix[i]!.reduce((a, b) => a + b, 0);
    const p = div(tp, predicted);
    const r = div(tp, actual);
    perClass[l] = { precision: p, recall: r, f1: f1of(p, r), support: actual };
    tpSum += tp;
    predSum += predicted;
    trueSum += actual;
    mp += p;
    mr += r;
    mf += f1of(p, r);
  });
  const k = labs.length || 1;
  const microP = div(tpSum, predSum);
  const microR = div(tpSum, trueSum);
  return {
    accuracy: accuracy(yTrue, yPred), labels: labs, perClass,
    macro: { precision: mp / k, recall: mr / k, f1: mf / k },
    micro: { precision: microP, recall: microR, f1: f1of(microP, microR) },
    confusion: matrix,
  };
}
