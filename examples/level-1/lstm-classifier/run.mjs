#!/usr/bin/env node
/**
 * Level 1: text classification with LSTMs, on two real tasks bundled in data/:
 *   - fine-foods: Amazon fine-food reviews, `great` (5 stars) vs `other`;
 *   - spam: the SpamAssassin public corpus, `ham` vs `spam` (e-mails parsed: subject + body, HTML stripped).
 * For each task it scores the majority class, a bag-of-words logistic regression (the baseline to
 * beat), a TF-IDF logistic regression (its C chosen by cross-validation on train + dev), an LSTM, a GRU and a BiLSTM from @llm/seq on the dev split and on the test split no
 * model saw (choices are made on dev only), and each recurrent model averaged with the TF-IDF model. The recurrent models' embeddings start from word2vec
 * vectors (@llm/embeddings) trained on the task's training texts (`--pretrained none` to compare).
 *
 *   pnpm --filter @llm/core --filter @llm/embeddings --filter @llm/eval --filter @llm/tokenize --filter @llm/seq build
 *   node examples/level-1/lstm-classifier/run.mjs [--task fine-foods|spam|all] [--epochs 3]
 *        [--only lstm,gru,bilstm] [--pretrained w2v|none] [--pooling maxmean|max|mean|last] [--out artifacts/lstm-classifier]
 *        [--cv 5] [--c-grid 1,3,10,30] [--learning-curve] [--lm-epochs 0] [--seed 1] [--tokens word|bpe] [--bpe-vocab 4000]
 *
 * (Imports the built packages by path: examples/ has no package.json in this branch.)
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, formatTable, Rng } from '../../../packages/core/dist/index.js';
import { trainWord2Vec } from '../../../packages/embeddings/dist/index.js';
import { classificationReport } from '../../../packages/eval/dist/index.js';
import { trainBpe } from '../../../packages/tokenize/dist/index.js';
import {
  evaluateClassifier, loadFineFoods, loadSpamAssassin, majorityBaseline, splitWords, trainBagOfWords, trainClassifier, trainTfidfLogistic,
} from '../../../packages/seq/dist/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const epochs = Number(arg('epochs', '3'));
const out = arg('out', 'artifacts/lstm-classifier');
const only = new Set(arg('only', 'lstm,gru,bilstm').split(','));
const pretrainedKind = arg('pretrained', 'w2v');
const pooling = arg('pooling', 'maxmean');
const taskArg = arg('task', 'all');
const seed = Number(arg('seed', '1')); // word2vec and the recurrent models' initialisation, batches and dropout
const maxSteps = arg('max-steps') === undefined ? undefined : Number(arg('max-steps')); // a quick smoke run
// TF-IDF logistic regression: its C is chosen by k-fold cross-validation over train + dev (test
// never read), and that CV accuracy is printed: the estimate of what a linear model reaches here.
const cvFolds = Number(arg('cv', '5'));
// Language-model pre-training of the LSTM/GRU encoder on the training texts before fine-tuning
// (ULMFiT's first step), in epochs over the text; 0 turns it off. Not for the BiLSTM.
const lmEpochs = Number(arg('lm-epochs', '0'));
// Token unit of the recurrent models: words (the package's word tokenizer) or byte-level BPE
// subwords from @llm/tokenize trained on the task's training texts (vocabulary --bpe-vocab).
const tokenKind = arg('tokens', 'word');
const bpeVocab = Number(arg('bpe-vocab', '4000'));
const cGrid = arg('c-grid', '1,3,10,30').split(',').map(Number);
// With --learning-curve, the same k-fold CV of the chosen TF-IDF model on 1/8, 1/4, 1/2 and all of
// each fold's training part: how accuracy grows with the number of labelled reviews.
const learningCurve = process.argv.includes('--learning-curve');

// Per task: the labels, and a maximum length that keeps an epoch short (e-mails are long, so
// word2vec too reads only the first tokens of each e-mail: the part the classifier sees).
const TASKS = {
  'fine-foods': { load: loadFineFoods, labels: ['great', 'other'], maxLength: 120, dim: 64, w2vTokens: Infinity, cv: true },
  spam: { load: loadSpamAssassin, labels: ['ham', 'spam'], maxLength: 100, dim: 64, w2vTokens: 100, cv: false },
};
const cvRows = [];
const tasks = taskArg === 'all' ? Object.keys(TASKS) : taskArg.split(',');

const backend = await initBackend();
const pct = (x) => `${(x * 100).toFixed(1)}%`;
const rows = [];
// Accuracy and macro-F1 by @llm/eval (scikit-learn's definitions) from predicted label strings.
const scoreRow = (task, model, split, gold, predicted, seconds) => {
  const r = classificationReport(gold.map((x) => x.label), predicted);
  rows.push([task, model, split, pct(r.accuracy), r.macro.f1.toFixed(3), seconds]);
  console.log(`  result: ${rows.at(-1).join(' | ')}`); // as it comes, for long runs
};
for (const task of tasks) {
  const spec = TASKS[task];
  if (!spec) throw new Error(`unknown task '${task}' (fine-foods, spam, all)`);
  const data = await spec.load();
  console.log(`${task}: ${data.train.length} train, ${data.dev.length} dev, ${data.test.length} test; backend ${backend.active}`);
  const idx = (r) => r.map((x) => spec.labels.indexOf(x.label));
  for (const split of ['dev', 'test']) {
    const m = majorityBaseline(idx(data.train), idx(data[split]), spec.labels);
    rows.push([task, `majority ('${m.label}')`, split, pct(m.accuracy), m.macroF1.toFixed(3), '-']);
  }
  let t0 = performance.now();
  const bow = trainBagOfWords(data.train, { seed: 1 });
  const bowSeconds = ((performance.now() - t0) / 1000).toFixed(0);
  for (const split of ['dev', 'test']) {
    const predicted = bow.predict(data[split].map((r) => r.text)).map((k) => bow.labels[k]);
    scoreRow(task, 'bag-of-words logistic regression', split, data[split], predicted, split === 'dev' ? bowSeconds : '');
  }

  // TF-IDF (uni+bigrams, sublinear tf) logistic regression fitted by L-BFGS; C by k-fold CV over
  // train + dev where the task asks for it (folds drawn by seed), else the library default.
  let tfidfC = cGrid.length === 1 ? cGrid[0] : 10;
  if (spec.cv && cvFolds > 1) {
    const all = [...data.train, ...data.dev];
    const fold = new Int32Array(all.length);
    new Rng(1).split('cv').permutation(all.length).forEach((i, k) => { fold[i] = k % cvFolds; });
    let best = -1;
    for (const c of cGrid) {
      let correct = 0;
      for (let f = 0; f < cvFolds; f++) {
        const m = trainTfidfLogistic(all.filter((_, i) => fold[i] !== f), { c });
        const held = all.filter((_, i) => fold[i] === f);
        correct += m.evaluate(held).accuracy * held.length;
      }
      const acc = correct / all.length;
      cvRows.push([task, `TF-IDF logistic regression C=${c}`, `${cvFolds}-fold CV, train+dev (${all.length})`, pct(acc)]);
      console.log(`  ${cvRows.at(-1).join(' | ')}`);
      if (acc > best) { best = acc; tfidfC = c; }
    }
    if (learningCurve) {
      for (const frac of [0.125, 0.25, 0.5]) {
        let correct = 0;
        let size = 0;
        for (let f = 0; f < cvFolds; f++) {
          const pool = all.filter((_, i) => fold[i] !== f);
          const sub = Array.from(new Rng(1).split(`curve:${frac}:${f}`).permutation(pool.length).slice(0, Math.round(pool.length * frac)), (i) => pool[i]);
          const held = all.filter((_, i) => fold[i] === f);
          correct += trainTfidfLogistic(sub, { c: tfidfC }).evaluate(held).accuracy * held.length;
          size += sub.length / cvFolds;
        }
        cvRows.push([task, `TF-IDF logistic regression C=${tfidfC}, ${Math.round(size)} training reviews`, `${cvFolds}-fold CV, train+dev (${all.length})`, pct(correct / all.length)]);
        console.log(`  ${cvRows.at(-1).join(' | ')}`);
      }
    }
  }
  t0 = performance.now();
  const tfidf = trainTfidfLogistic(data.train, { c: tfidfC });
  const tfidfSeconds = ((performance.now() - t0) / 1000).toFixed(0);
  const tfidfProba = {};
  for (const split of ['dev', 'test']) {
    // Probabilities in the task's label order (the model's labels are sorted).
    tfidfProba[split] = tfidf.predictProba(data[split].map((r) => r.text)).map((p) => spec.labels.map((l) => p[tfidf.labels.indexOf(l)]));
    const predicted = tfidfProba[split].map((p) => spec.labels[p[1] > p[0] ? 1 : 0]);
    scoreRow(task, `TF-IDF logistic regression (C=${tfidfC})`, split, data[split], predicted, split === 'dev' ? tfidfSeconds : '');
  }

  let tokenizer;
  if (tokenKind === 'bpe') {
    t0 = performance.now();
    ({ tokenizer } = await trainBpe(data.train.map((r) => r.text), { vocabSize: bpeVocab, minFrequency: 2, specialTokens: ['[PAD]'], showProgress: false }));
    console.log(`  BPE on ${task} train texts: ${tokenizer.vocabSize} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const units = (text) => (tokenizer ? tokenizer.encode(text, undefined, { addSpecialTokens: false }).tokens : splitWords(text).map((w) => w.word));
  // Word vectors from the training texts only (split the way the classifier's tokenizer splits).
  let pretrained;
  if (pretrainedKind === 'w2v' && ['lstm', 'gru', 'bilstm'].some((m) => only.has(m))) {
    t0 = performance.now();
    const sentences = data.train.map((r) => units(r.text).slice(0, spec.w2vTokens));
    const { vectors } = await trainWord2Vec(sentences, { dim: spec.dim, window: 5, epochs: 10, minCount: 2, negative: 5, threads: 1, seed });
    pretrained = { words: vectors.words, vectors: vectors.data, dim: vectors.dim };
    console.log(`  word2vec on ${task} train texts: ${vectors.words.length} words × ${vectors.dim} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  const models = [
    ['lstm', { cell: 'lstm' }],
    ['gru', { cell: 'gru' }],
    ['bilstm', { cell: 'lstm', bidirectional: true }],
  ];
  for (const [name, model] of models) {
    if (!only.has(name)) continue;
    const dir = join(out, task, name);
    rmSync(dir, { recursive: true, force: true }); // each run starts fresh
    t0 = performance.now();
    const res = await trainClassifier({
      train: data.train, dev: data.dev, labels: spec.labels, pretrained, tokenizer,
      model: { ...model, embeddingDim: spec.dim, hiddenSize: 64, pooling, maxLength: tokenKind === 'bpe' ? Math.round(spec.maxLength * 1.3) : spec.maxLength, dropout: 0.3 },
      epochs, learningRate: 3e-3, patience: 2, seed, outDir: dir, maxSteps,
      languageModel: lmEpochs > 0 && !model.bidirectional ? { epochs: lmEpochs, maxSteps } : undefined,
      log: (l) => console.log(`  ${task}/${name}: ${l}`),
    });
    const seconds = ((performance.now() - t0) / 1000).toFixed(0);
    for (const split of ['dev', 'test']) {
      const { predicted } = await evaluateClassifier(res.model, data[split]);
      scoreRow(task, split === 'dev' ? `${name} (best epoch ${res.bestEpoch})` : name, split, data[split], predicted.map((k) => spec.labels[k]), split === 'dev' ? seconds : '');
    }
    // The recurrent model and the TF-IDF model together: mean of their probabilities (equal weights, nothing tuned).
    for (const split of ['dev', 'test']) {
      const preds = await res.model.predict(data[split].map((r) => r.text));
      const predicted = preds.map((p, i) => {
        const mean = spec.labels.map((l, k) => (p.probabilities[l] + tfidfProba[split][i][k]) / 2);
        return spec.labels[mean[1] > mean[0] ? 1 : 0];
      });
      scoreRow(task, `${name} + TF-IDF LR (mean probabilities)`, split, data[split], predicted, '');
    }
    res.model.dispose();
  }
}
if (cvRows.length) console.log(formatTable(['task', 'model', 'estimate', 'accuracy'], cvRows));
console.log(formatTable(['task', 'model', 'split', 'accuracy', 'macro-F1', 'train s'], rows));
