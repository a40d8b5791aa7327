// Level 1 exercise: word embeddings (Word2Vec, GloVe, fastText) on real text.
// Trains the three on the fine-foods reviews and on Austen, shows neighbours and analogies, and
// uses SIF sentence vectors of the reviews as features for a logistic-regression classifier
// (great vs other). Run from the repo root after `pnpm --filter @llm/embeddings build`:
//
//   node examples/level-1/embeddings/run.mjs [--epochs 5] [--dim 100]
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '../../../packages/embeddings');
const require = createRequire(join(pkg, 'package.json'));
const core = await import(require.resolve('@llm/core'));
const E = await import(join(pkg, 'dist/index.js'));

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? Number(process.argv[i + 1]) : dflt; };
const EPOCHS = arg('epochs', 5), DIM = arg('dim', 100);

// Reviews: text + label, split 80/20 by a hash of the text (stable across runs).
const reviews = [];
for await (const { values } of core.datasetRows('fine-foods')) reviews.push({ text: values.review, y: values.score === 'great' ? 1 : 0 });
const train = reviews.filter((r) => core.hashSplit(r.text, { test: 0.2 }) === 'train');
const test = reviews.filter((r) => core.hashSplit(r.text, { test: 0.2 }) === 'test');
const reviewSentences = reviews.flatMap((r) => E.sentencesFromText(r.text.replace(/<br\s*\/?>/g, '\n').replace(/([.!?])\s+/g, '$1\n')));
const austen = E.sentencesFromText(await core.loadText('austen'));
const questions = await E.readAnalogies(core.datasetFiles('analogies')[0]);

/** Logistic regression by full-batch gradient descent on fixed features. */
function logisticRegression(X, y, epochs = 500, lr = 0.5, l2 = 1e-3) {
  const d = X[0].length;
  const w = new Float64Array(d);
  let b = 0;
  for (let e = 0; e < epochs; e++) {
    const g = new Float64Array(d);
    let gb = 0;
    for (let i = 0; i < X.length; i++) {
      let z = b;
      for (let c = 0; c < d; c++) z += w[c] * X[i][c];
      const err = 1 / (1 + Math.exp(-z)) - y[i];
      for (let c = 0; c < d; c++) g[c] += err * X[i][c];
      gb += err;
    }
    for (let c = 0; c < d; c++) w[c] -= lr * (g[c] / X.length + l2 * w[c]);
    b -= lr * gb / X.length;
  }
  return (x) => { let z = b; for (let c = 0; c < d; c++) z += w[c] * x[c]; return z > 0 ? 1 : 0; };
}

const trainers = {
  word2vec: (s) => E.trainWord2Vec(s, { dim: DIM, epochs: EPOCHS, threads: 2, seed: 1, minCount: 3 }),
  glove: (s) => E.trainGloVe(s, { dim: DIM, epochs: Math.max(10, EPOCHS * 2), seed: 1, minCount: 3 }),
  fasttext: (s) => E.trainFastText(s, { dim: DIM, epochs: EPOCHS, threads: 2, seed: 1, minCount: 3, bucket: 100000 }),
};

const table = [];
for (const [name, trainOn] of Object.entries(trainers)) {
  const t0 = performance.now();
  const onReviews = await trainOn(reviewSentences);
  const tReviews = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const onAusten = await trainOn(austen);
  const tAusten = (performance.now() - t1) / 1000;
  console.log(`\n== ${name}: reviews ${onReviews.vectors.size} words (${tReviews.toFixed(1)} s), Austen ${onAusten.vectors.size} words (${tAusten.toFixed(1)} s)`);
  for (const w of ['coffee', 'delicious', 'dog']) if (onReviews.vectors.has(w)) console.log(`  reviews  ${w}: ${onReviews.vectors.mostSimilar(w, 6).map((s) => s.word).join(', ')}`);
  for (const w of ['elizabeth', 'sister', 'happy']) if (onAusten.vectors.has(w)) console.log(`  austen   ${w}: ${onAusten.vectors.mostSimilar(w, 6).map((s) => s.word).join(', ')}`);
  for (const [a, b, c] of [['he', 'she', 'his'], ['good', 'better', 'great']]) {
    if ([a, b, c].every((w) => onAusten.vectors.has(w))) console.log(`  austen   ${a} : ${b} :: ${c} : ${onAusten.vectors.mostSimilar({ positive: [b, c], negative: [a], topn: 3 }).map((s) => s.word).join(' / ')}`);
  }
  const analogy = E.evaluateAnalogies(onAusten.vectors, questions);
  // Review classifier on SIF sentence vectors (the common component fitted on the training reviews).
  const embedder = new E.WordVectorEmbedder(onReviews.vectors, { mode: 'sif' }).fit(train.map((r) => r.text));
  const rawTr = await embedder.embed(train.map((r) => r.text));
  const rawTe = await embedder.embed(test.map((r) => r.text));
  // Standardise each feature with the training set's mean and deviation.
  const d = rawTr[0].length, mean = new Float64Array(d), sd = new Float64Array(d);
  for (const x of rawTr) for (let c = 0; c < d; c++) mean[c] += x[c] / rawTr.length;
  for (const x of rawTr) for (let c = 0; c < d; c++) sd[c] += (x[c] - mean[c]) ** 2 / rawTr.length;
  const z = (x) => Array.from(x, (v, c) => (v - mean[c]) / (Math.sqrt(sd[c]) + 1e-8));
  const Xtr = rawTr.map(z), Xte = rawTe.map(z);
  const predict = logisticRegression(Xtr, train.map((r) => r.y));
  const acc = test.filter((r, i) => predict(Xte[i]) === r.y).length / test.length;
  console.log(`  review classifier (SIF + logistic regression): ${(100 * acc).toFixed(1)}% accuracy on ${test.length} held-out reviews`);
  table.push([name, tReviews.toFixed(1), tAusten.toFixed(1), `${(100 * analogy.accuracy).toFixed(1)}% of ${analogy.evaluated}`, `${(100 * acc).toFixed(1)}%`]);
}
const majority = test.filter((r) => r.y === 1).length / test.length;
console.log(`\n${core.formatTable(['algorithm', 'train s (reviews)', 'train s (Austen)', 'analogies (Austen)', 'review accuracy'], table)}`);
console.log(`majority-class baseline: ${(100 * majority).toFixed(1)}%`);
