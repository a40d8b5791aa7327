#!/usr/bin/env node
/**
 * Level 1: text classification with LSTMs, on the bundled fine-foods reviews (`great` = 5 stars
 * vs `other`). Trains an LSTM, a GRU and a BiLSTM with @llm/seq, a bag-of-words logistic
 * regression as the baseline to beat, and scores all of them on the dev and test splits
 * (about 400 reviews each, never seen in training) next to the majority class.
 *
 *   pnpm --filter @llm/core --filter @llm/seq build
 *   node examples/level-1/lstm-classifier/run.mjs [--epochs 4] [--out artifacts/lstm-classifier] [--only lstm,gru,bilstm]
 *
 * (Imports the built packages by path: examples/ has no package.json in this branch.)
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, formatTable } from '../../../packages/core/dist/index.js';
import { evaluateClassifier, loadFineFoods, majorityBaseline, trainBagOfWords, trainClassifier } from '../../../packages/seq/dist/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const epochs = Number(arg('epochs', '4'));
const out = arg('out', 'artifacts/lstm-classifier');
const only = new Set(arg('only', 'lstm,gru,bilstm').split(','));

const backend = await initBackend();
const data = await loadFineFoods();
console.log(`fine-foods: ${data.train.length} train, ${data.dev.length} dev, ${data.test.length} test reviews; backend ${backend.active}`);

const labels = ['great', 'other'];
const idx = (rows) => rows.map((r) => labels.indexOf(r.label));
const rows = [];
const pct = (x) => `${(x * 100).toFixed(1)}%`;
for (const split of ['dev', 'test']) {
  const m = majorityBaseline(idx(data.train), idx(data[split]), labels);
  rows.push([`majority ('${m.label}')`, split, pct(m.accuracy), m.macroF1.toFixed(3), '-']);
}
let t0 = performance.now();
const bow = trainBagOfWords(data.train, { seed: 1 });
const bowSeconds = ((performance.now() - t0) / 1000).toFixed(1);
for (const split of ['dev', 'test']) {
  const r = bow.evaluate(data[split]);
  rows.push(['bag-of-words logistic regression', split, pct(r.accuracy), r.macroF1.toFixed(3), bowSeconds]);
}

const models = [
  ['lstm', { cell: 'lstm' }],
  ['gru', { cell: 'gru' }],
  ['bilstm', { cell: 'lstm', bidirectional: true }],
];
for (const [name, model] of models) {
  if (!only.has(name)) continue;
  rmSync(join(out, name), { recursive: true, force: true }); // each run starts fresh
  t0 = performance.now();
  const res = await trainClassifier({
    train: data.train, dev: data.dev, model: { ...model, embeddingDim: 64, hiddenSize: 64, pooling: 'max', maxLength: 120, dropout: 0.2 },
    epochs, learningRate: 5e-3, patience: 2, seed: 1, outDir: join(out, name),
    log: (l) => console.log(`  ${name}: ${l}`),
  });
  const seconds = ((performance.now() - t0) / 1000).toFixed(0);
  const test = await evaluateClassifier(res.model, data.test);
  rows.push([`${name} (best epoch ${res.bestEpoch})`, 'dev', pct(res.dev.accuracy), res.dev.macroF1.toFixed(3), seconds]);
  rows.push([name, 'test', pct(test.accuracy), test.macroF1.toFixed(3), '']);
  res.model.dispose();
}
console.log(formatTable(['model', 'split', 'accuracy', 'macro-F1', 'train s'], rows));
