import { ConfigError, InputError, initBackend } from '@llm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecurrentClassifier, WordTokenizer, pretrainLanguageModel, trainClassifier } from '../src/index.js';

beforeAll(async () => { await initBackend(); });

// A text whose next token is predictable from the current one: a language model must learn it.
const texts = Array.from({ length: 40 }, (_, i) => `the ${['cat', 'dog', 'cow'][i % 3]} sat on the mat and ate the ${['fish', 'bone', 'grass'][i % 3]} .`);

function model(bidirectional = false): RecurrentClassifier {
  const tok = WordTokenizer.build(texts, { minCount: 1 });
  return RecurrentClassifier.create({ labels: ['a', 'b'], cell: 'lstm', embeddingDim: 16, hiddenSize: 16, bidirectional, pooling: 'max' }, tok, { seed: 3 });
}

describe('pretrainLanguageModel', () => {
  it('learns next-token prediction: the loss falls far below a uniform guess and the encoder changes, the dense layer not', async () => {
    const m = model();
    const emb0 = (await m.embedding.data()).slice();
    const fc0 = (await m.fcWeight.data()).slice();
    const r = await pretrainLanguageModel(m, texts, { epochs: 12, batchSize: 4, bptt: 10, learningRate: 1e-2, dropout: 0, seed: 1 });
    expect(r.tokens).toBe(texts.length * 11);
    expect(r.epochLoss).toHaveLength(12);
    const uniform = Math.log(m.config.vocabSize);
    expect(r.epochLoss[0]!).toBeGreaterThan(0.8 * uniform);
    // Most tokens are determined by the previous one (the choice among 3 animals is not: ~ln 3 / 11 per token).
    expect(r.epochLoss.at(-1)!).toBeLessThan(0.6);
    const emb1 = await m.embedding.data();
    expect(emb1.some((v, i) => Math.abs(v - emb0[i]!) > 1e-3)).toBe(true);
    expect([...(await m.fcWeight.data())]).toEqual([...fc0]);
    m.dispose();
  });
  it('is deterministic by seed', async () => {
    const a = await pretrainLanguageModel(model(), texts, { epochs: 1, batchSize: 4, bptt: 8, seed: 5 });
    const b = await pretrainLanguageModel(model(), texts, { epochs: 1, batchSize: 4, bptt: 8, seed: 5 });
    expect(a.epochLoss).toEqual(b.epochLoss);
  });
  it('refuses a bidirectional model, bad options and too little text', async () => {
    await expect(pretrainLanguageModel(model(true), texts)).rejects.toThrow(ConfigError);
    await expect(pretrainLanguageModel(model(), texts, { bptt: 0 })).rejects.toThrow(/bptt/);
    await expect(pretrainLanguageModel(model(), ['the cat'], { batchSize: 4 })).rejects.toThrow(InputError);
  });
  it('runs before the classification epochs of trainClassifier', async () => {
    const rows = texts.map((t, i) => ({ text: t, label: i % 3 === 0 ? 'a' : 'b' }));
    const lines: string[] = [];
    const res = await trainClassifier({
      train: rows, dev: rows.slice(0, 6), epochs: 1, seed: 2, model: { embeddingDim: 8, hiddenSize: 8 }, vocab: { minCount: 1 },
      languageModel: { epochs: 2, batchSize: 4, bptt: 8 }, log: (l) => lines.push(l),
    });
    expect(lines.filter((l) => l.startsWith('lm epoch'))).toHaveLength(2);
    expect(res.history).toHaveLength(1);
    res.model.dispose();
  });
});
