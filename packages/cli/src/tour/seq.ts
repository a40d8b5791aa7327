import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@llm/core';
import { RecurrentClassifier, evaluateClassifier, loadFineFoods, majorityBaseline, trainBagOfWords, trainClassifier } from '@llm/seq';
import type { TourStep } from './types.js';

/**
 * Level 1: an LSTM text classifier on the fine-foods reviews (`great` vs `other`). Trains a small
 * LSTM for two epochs (or reuses the model cached under the artifacts folder), then scores it on
 * the held-out test split next to the majority class and a bag-of-words logistic regression.
 */
export const seqStep: TourStep = {
  id: 'seq',
  level: 1,
  title: 'LSTM text classifier on fine-foods reviews',
  async run(ctx) {
    await initBackend();
    const data = await loadFineFoods({ signal: ctx.signal });
    const dir = join(ctx.artifactsDir, 'seq', 'lstm');
    const cached = !ctx.fresh && existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'));
    let model: RecurrentClassifier;
    let trainSeconds = 0;
    if (cached) {
      model = await RecurrentClassifier.load(dir);
      ctx.log(`reusing the LSTM in ${dir}`);
    } else {
      rmSync(dir, { recursive: true, force: true }); // a fresh run: no stale checkpoint to trip over
      const t0 = performance.now();
      const res = await trainClassifier({
        train: data.train, dev: data.dev, model: { cell: 'lstm', embeddingDim: 64, hiddenSize: 64, pooling: 'max', maxLength: 80 },
        epochs: 2, learningRate: 5e-3, seed: 1, outDir: dir, signal: ctx.signal, log: ctx.log,
      });
      model = res.model;
      trainSeconds = (performance.now() - t0) / 1000;
    }
    const test = await evaluateClassifier(model, data.test, { signal: ctx.signal });
    const labels = model.config.labels;
    const idx = (l: string) => labels.indexOf(l);
    const majority = majorityBaseline(data.train.map((r) => idx(r.label)), data.test.map((r) => idx(r.label)), labels);
    const bow = trainBagOfWords(data.train, { signal: ctx.signal }).evaluate(data.test);
    const [example] = await model.predict(['Absolutely delicious, my kids love it and I reorder every month!']);
    model.dispose();
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    return {
      summary: `LSTM test accuracy ${pct(test.accuracy)} (macro-F1 ${test.macroF1.toFixed(3)}) vs bag-of-words ${pct(bow.accuracy)} and majority ${pct(majority.accuracy)}`,
      metrics: {
        testAccuracy: Number(test.accuracy.toFixed(4)), testMacroF1: Number(test.macroF1.toFixed(4)), bowAccuracy: Number(bow.accuracy.toFixed(4)),
        majorityAccuracy: Number(majority.accuracy.toFixed(4)), trainSeconds: Number(trainSeconds.toFixed(1)), example: `${example!.label} ${example!.probability.toFixed(3)}`,
      },
      artifacts: ['config.json', 'model.safetensors', 'tokenizer.json', 'metrics.jsonl', 'loss.svg'].map((f) => join(dir, f)).filter((f) => existsSync(f)),
      cached,
    };
  },
};
