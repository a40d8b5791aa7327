import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { createProgress, initBackend, listDatasets, matmulProbe, Rng, tf, writeCurvesSvg, MetricsLog, datasetRows, throwIfAborted } from '@llm/core';
import type { PendingStage, TourStep } from './types.js';
import { ragStep } from './rag.js';
import { evalStep } from './eval.js';
import { serveStep } from './serve.js';
import { quantStep } from './quant.js';
import { embeddingsStep } from './embeddings.js';
import { tokenizeStep } from './tokenize.js';
import { seqStep } from './seq.js';
import { translatorStep } from './translator.js';
import { gptAustenStep } from './gpt-austen.js';
import { bertQaStep } from './bert-qa.js';
import { loraStep } from './lora.js';

/**
 * Level 0: the runtime. Chooses the backend, probes its speed, lists the bundled data, and
 * trains a tiny bag-of-embeddings sentiment model on the fine-foods reviews for a few seconds,
 * which exercises the embedding gradient that @llm/core adds to the wasm backend.
 */
const runtimeStep: TourStep = {
  id: 'runtime',
  level: 0,
  title: 'runtime: backend, data, a first gradient',
  async run(ctx) {
    const report = await initBackend();
    const probe = await matmulProbe({ size: 512, seconds: ctx.fast ? 0.3 : 1 });
    const sets = listDatasets();
    ctx.log(`backend ${report.active}; matmul 512² ${probe.gflops.toFixed(1)} GFLOP/s; ${sets.length} bundled datasets`);

    // A tiny model: mean of word embeddings → logistic regression, trained with Adam.
    const rng = new Rng(7);
    const rows: Array<{ words: string[]; y: number }> = [];
    for await (const { values } of datasetRows('fine-foods', { signal: ctx.signal })) {
      rows.push({ words: values.review!.toLowerCase().split(/[^a-z']+/).filter(Boolean).slice(0, 64), y: values.score === 'great' ? 1 : 0 });
    }
    const counts = new Map<string, number>();
    for (const r of rows) for (const w of r.words) counts.set(w, (counts.get(w) ?? 0) + 1);
    const vocab = new Map<string, number>([['<unk>', 0]]);
    for (const [w, c] of counts) if (c >= 3) vocab.set(w, vocab.size);
    rng.shuffle(rows);
    const dev = rows.slice(0, 400);
    const train = rows.slice(400);
    const T = 64;
    const encode = (batch: typeof rows) => {
      const ids = new Int32Array(batch.length * T);
      const mask = new Float32Array(batch.length * T);
      batch.forEach((r, i) => r.words.forEach((w, j) => { ids[i * T + j] = vocab.get(w) ?? 0; mask[i * T + j] = 1; }));
      return { ids: tf.tensor2d(ids, [batch.length, T], 'int32'), mask: tf.tensor2d(mask, [batch.length, T]), y: tf.tensor1d(batch.map((r) => r.y)) };
    };
    const D = 32;
    const emb = tf.variable(tf.tensor2d(rng.normalArray(vocab.size * D, 0, 0.1), [vocab.size, D]));
    const w = tf.variable(tf.zeros([D, 1]));
    const b = tf.variable(tf.zeros([1]));
    const forward = (ids: tf.Tensor2D, mask: tf.Tensor2D) => {
      const e = tf.gather(emb, ids); // [B, T, D]
      const summed = tf.sum(tf.mul(e, tf.expandDims(mask, 2)), 1);
      const mean = tf.div(summed, tf.maximum(tf.sum(mask, 1, true), 1));
      return tf.add(tf.reshape(tf.matMul(mean, w), [-1]), b);
    };
    const opt = tf.train.adam(0.01);
    const log = new MetricsLog(join(ctx.artifactsDir, 'runtime', 'metrics.jsonl'));
    const B = 64;
    let step = 0;
    const epochs = ctx.fast ? 1 : 3;
    const progress = createProgress({ label: '   bag-of-embeddings', total: epochs * Math.floor(train.length / B), unit: 'steps' });
    const t0 = performance.now();
    for (let epoch = 0; epoch < epochs; epoch++) {
      const perm = rng.split(`epoch${epoch}`).permutation(train.length);
      for (let i = 0; i + B <= train.length; i += B) {
        throwIfAborted(ctx.signal);
        const batch = Array.from(perm.subarray(i, i + B), (k) => train[k]!);
        const { ids, mask, y } = encode(batch);
        const loss = opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, forward(ids, mask)) as tf.Scalar, true, [emb, w, b])!;
        const lossValue = (await loss.data())[0]!;
        log.log({ step: ++step, loss: lossValue });
        progress.tick(1, { loss: lossValue });
        tf.dispose([ids, mask, y, loss]);
      }
    }
    progress.done();
    const seconds = (performance.now() - t0) / 1000;
    const { ids, mask, y } = encode(dev);
    const pred = await tf.greater(forward(ids, mask), 0).data();
    const gold = await y.data();
    let correct = 0;
    pred.forEach((p, i) => { if (p === gold[i]) correct++; });
    tf.dispose([ids, mask, y, emb, w, b]);
    const curve = join(ctx.artifactsDir, 'runtime', 'loss.svg');
    await writeCurvesSvg(curve, [{ name: 'train loss', points: log.series('loss') }], { title: 'bag-of-embeddings on fine-foods', xLabel: 'step', yLabel: 'loss' });
    const acc = correct / dev.length;
    const majority = Math.max(...[0, 1].map((c) => dev.filter((r) => r.y === c).length)) / dev.length;
    return {
      summary: `${report.active} backend, ${probe.gflops.toFixed(1)} GFLOP/s; bag-of-embeddings dev accuracy ${(acc * 100).toFixed(1)}% (majority ${(majority * 100).toFixed(1)}%) in ${seconds.toFixed(1)} s`,
      metrics: { backend: report.active, gflops: Number(probe.gflops.toFixed(2)), devAccuracy: Number(acc.toFixed(4)), majority: Number(majority.toFixed(4)), trainSeconds: Number(seconds.toFixed(2)), steps: step },
      artifacts: [curve, join(ctx.artifactsDir, 'runtime', 'metrics.jsonl')].filter((p) => existsSync(p)),
      cached: false,
    };
  },
};

/** Steps that run, in order. Each curriculum package adds its own as it lands. */
export const TOUR_STEPS: readonly TourStep[] = [runtimeStep, tokenizeStep, embeddingsStep, seqStep, translatorStep, gptAustenStep, bertQaStep, quantStep, loraStep, ragStep, evalStep, serveStep];

/**
 * The curriculum's stages and the tour steps that show them; a stage with none of its steps in
 * {@link TOUR_STEPS} is reported as not yet built.
 */
export const PENDING_STAGES: readonly PendingStage[] = [
  { level: 1, title: 'tokenization: BPE and WordPiece', package: '@llm/tokenize', steps: ['tokenize'] },
  { level: 1, title: 'word embeddings: Word2Vec, GloVe, FastText', package: '@llm/embeddings', steps: ['embeddings'] },
  { level: 1, title: 'LSTM text classifier', package: '@llm/seq', steps: ['seq'] },
  { level: 2, title: 'transformers: translator, GPT, BERT, T5', package: '@llm/transformer', steps: ['translator', 'gpt-austen', 'bert-qa'] },
  { level: 3, title: 'RAG over the Debian PDFs', package: '@llm/rag', steps: ['rag'] },
  { level: 3, title: 'LoRA, QLoRA, prompt tuning', package: '@llm/lora', steps: ['lora'] },
  { level: 3, title: 'quantization and GGUF', package: '@llm/quant', steps: ['quant'] },
  { level: 4, title: 'serving an OpenAI-compatible API', package: '@llm/serve', steps: ['serve'] },
  { level: 4, title: 'evaluation: BLEU, ROUGE, human eval', package: '@llm/eval', steps: ['eval'] },
];
