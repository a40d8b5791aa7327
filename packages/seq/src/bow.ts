import { Rng, argmax, throwIfAborted } from '@llm/core';
import { reportOnRows, type ClassificationReport } from './metrics.js';
import type { LabelledText } from './train.js';
import { WordTokenizer } from './vocab.js';

/**
 * The baseline every sequence model should beat: multinomial logistic regression on a bag of
 * words (binary presence of unigrams and bigrams), trained by mini-batch gradient descent with
 * Adagrad and L2, in plain JavaScript over sparse features. Deterministic by seed.
 */

/** Options of {@link trainBagOfWords}. */
export interface BagOfWordsOptions {
  /** Keep words and bigrams seen at least this often in training. Default 2. */
  minCount?: number;
  /** Add word bigrams. Default true. */
  bigrams?: boolean;
  /** Default 20. */
  epochs?: number;
  /** Adagrad learning rate. Default 0.1. */
  learningRate?: number;
  /** L2 penalty per example. Default 1e-4. */
  l2?: number;
  seed?: number;
  signal?: AbortSignal;
}

/** A trained bag-of-words model. */
export interface BagOfWordsModel {
  labels: string[];
  /** Feature strings in id order. */
  features: string[];
  /** `[labels, features]` weights, row-major, then `labels` biases. */
  weights: Float64Array;
  bias: Float64Array;
  /** Label index of each text. */
  predict(texts: readonly string[]): number[];
  /** Scores on labelled rows. */
  evaluate(rows: readonly LabelledText[]): ClassificationReport;
}

function featureStrings(text: string, bigrams: boolean, vocab: WordTokenizer): string[] {
  const toks = vocab.encode(text).tokens;
  const out = new Set<string>(toks);
  if (bigrams) for (let i = 1; i < toks.length; i++) out.add(`${toks[i - 1]} ${toks[i]}`);
  return [...out];
}

/** Train the bag-of-words logistic regression on `train`. */
export function trainBagOfWords(train: readonly LabelledText[], options: BagOfWordsOptions = {}): BagOfWordsModel {
  const bigrams = options.bigrams ?? true;
  const minCount = options.minCount ?? 2;
  const epochs = options.epochs ?? 20;
  const lr = options.learningRate ?? 0.1;
  const l2 = options.l2 ?? 1e-4;
  const labels = [...new Set(train.map((r) => r.label))].sort();
  const C = labels.length;
  // Every word is kept by the splitter; feature frequency decides what stays.
  const splitter = WordTokenizer.build(train.map((r) => r.text), { minCount: 1, maxSize: Number.MAX_SAFE_INTEGER });
  const counts = new Map<string, number>();
  const raw = train.map((r) => featureStrings(r.text, bigrams, splitter));
  for (const fs of raw) for (const f of fs) counts.set(f, (counts.get(f) ?? 0) + 1);
  const features = [...counts].filter(([, c]) => c >= minCount).map(([f]) => f);
  const index = new Map(features.map((f, i) => [f, i]));
  const toIds = (fs: string[]) => Int32Array.from(fs.map((f) => index.get(f) ?? -1).filter((i) => i >= 0));
  const X = raw.map(toIds);
  const y = train.map((r) => labels.indexOf(r.label));
  const F = features.length;
  const W = new Float64Array(C * F);
  const b = new Float64Array(C);
  const gW = new Float64Array(C * F).fill(1e-8);
  const gB = new Float64Array(C).fill(1e-8);
  const rng = new Rng(options.seed ?? 0);
  const p = new Float64Array(C);
  const scores = (ids: Int32Array, out: Float64Array) => {
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = b[c]!;
      const row = c * F;
      for (let k = 0; k < ids.length; k++) s += W[row + ids[k]!]!;
      out[c] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let c = 0; c < C; c++) { out[c] = Math.exp(out[c]! - max); z += out[c]!; }
    for (let c = 0; c < C; c++) out[c]! /= z;
  };
  for (let e = 0; e < epochs; e++) {
    throwIfAborted(options.signal);
    const perm = rng.split(`epoch:${e}`).permutation(X.length);
    for (const i of perm) {
      const ids = X[i]!;
      scores(ids, p);
      for (let c = 0; c < C; c++) {
        const g = p[c]! - (y[i] === c ? 1 : 0);
        const row = c * F;
        for (let k = 0; k < ids.length; k++) {
          const j = row + ids[k]!;
          const gj = g + l2 * W[j]!;
          gW[j]! += gj * gj;
          W[j]! -= (lr * gj) / Math.sqrt(gW[j]!);
        }
        gB[c]! += g * g;
        b[c]! -= (lr * g) / Math.sqrt(gB[c]!);
      }
    }
  }
  const predict = (texts: readonly string[]) => texts.map((t) => {
    scores(toIds(featureStrings(t, bigrams, splitter)), p);
    return argmax(p);
  });
  return {
    labels, features, weights: W, bias: b, predict,
    evaluate: (rows) => reportOnRows(rows, labels, predict),
  };
}
