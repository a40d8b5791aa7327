import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { datasetFiles, loadText } from '@llm/core';
import { evaluateAnalogies, loadVectors, readAnalogies, saveVectors, sentencesFromText, trainWord2Vec } from '@llm/embeddings';
import type { TourStep } from './types.js';

/**
 * Level 1: word embeddings. Trains skip-gram Word2Vec with negative sampling on the six Austen
 * novels for one epoch (a few seconds on 2 threads), saves the vectors as a word2vec text file,
 * shows the neighbours of a few words and the analogy accuracy on the bundled questions.
 */
export const embeddingsStep: TourStep = {
  id: 'embeddings',
  level: 1,
  title: 'word embeddings: skip-gram Word2Vec on Austen, neighbours and analogies',
  async run(ctx) {
    const out = join(ctx.artifactsDir, 'embeddings', 'austen-sg.vec');
    const cached = !ctx.fresh && existsSync(out);
    let seconds = 0, wordsPerSecond = 0;
    if (!cached) {
      const sentences = sentencesFromText(await loadText('austen'));
      const model = await trainWord2Vec(sentences, { dim: 64, epochs: 1, window: 5, negative: 5, minCount: 5, threads: 2, seed: 1, signal: ctx.signal });
      seconds = model.stats.seconds;
      wordsPerSecond = model.stats.wordsPerSecond;
      ctx.log(`trained ${model.vectors.size} words × ${model.vectors.dim} in ${seconds.toFixed(1)} s (${Math.round(wordsPerSecond)} words/s)`);
      await saveVectors(out, model.vectors);
    }
    const kv = await loadVectors(out);
    for (const w of ['elizabeth', 'sister', 'happy', 'house', 'letter']) {
      if (kv.has(w)) ctx.log(`${w}: ${kv.mostSimilar(w, 6).map((s) => s.word).join(', ')}`);
    }
    const report = evaluateAnalogies(kv, await readAnalogies(datasetFiles('analogies')[0]!, ctx.signal), { signal: ctx.signal });
    ctx.log(`analogies: ${(100 * report.accuracy).toFixed(1)}% of ${report.evaluated} questions whose words Austen knows (of ${report.total})`);
    return {
      summary: `${kv.size} word vectors; analogy accuracy ${(100 * report.accuracy).toFixed(1)}% on ${report.evaluated} questions`,
      metrics: { words: kv.size, dim: kv.dim, analogyAccuracy: report.accuracy, analogyEvaluated: report.evaluated, ...(cached ? {} : { seconds, wordsPerSecond }) },
      artifacts: [out],
      cached,
    };
  },
};
