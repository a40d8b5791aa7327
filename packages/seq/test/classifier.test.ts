import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, ConfigError, InputError, initBackend } from '@llm/core';
import {
  RecurrentClassifier, WordTokenizer, bucketedBatches, evaluateClassifier, classificationReport, loadFineFoods, readImdbFolder, readLabelledTsv,
  trainClassifier, type LabelledText, type Splits,
} from '../src/index.js';
import { Rng } from '@llm/core';

let tmp: string;
let data: Splits;
let small: { train: LabelledText[]; dev: LabelledText[] };
const MODEL = { embeddingDim: 8, hiddenSize: 8, maxLength: 16, dropout: 0.2 } as const;

beforeAll(async () => {
  await initBackend();
  tmp = mkdtempSync(join(tmpdir(), 'seq-clf-'));
  data = await loadFineFoods();
  small = { train: data.train.slice(0, 96), dev: data.dev.slice(0, 32) };
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function weights(m: RecurrentClassifier): Promise<Float32Array[]> {
  return Promise.all([...(await m.stateDict()).values()].map(async (t) => t.data));
}

describe('fine-foods splits', () => {
  it('splits the 4,000 bundled reviews about 80/10/10, stable by text, labels great/other', () => {
    const n = data.train.length + data.dev.length + data.test.length;
    expect(n).toBe(4000);
    expect(data.dev.length).toBeGreaterThan(300);
    expect(data.dev.length).toBeLessThan(500);
    expect(new Set(data.train.map((r) => r.label))).toEqual(new Set(['great', 'other']));
    const devTexts = new Set(data.dev.map((r) => r.text));
    expect(data.train.some((r) => devTexts.has(r.text))).toBe(false);
    expect(data.train.some((r) => r.text.includes('<br'))).toBe(false);
  });
});

describe('WordTokenizer', () => {
  it('builds a frequency vocabulary, maps unknown words to [UNK], round-trips through tokenizer.json', () => {
    const tok = WordTokenizer.build(['The cat sat.', 'the cat ran!', 'a dog'], { minCount: 2 });
    expect(tok.vocabulary).toEqual(['[PAD]', '[UNK]', 'the', 'cat']);
    const enc = tok.encode('The dog, the CAT');
    expect(enc.tokens).toEqual(['the', '[UNK]', '[UNK]', 'the', 'cat']);
    expect(enc.offsets[2]).toEqual([7, 8]);
    const back = WordTokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.encode('the cat').ids).toEqual(tok.encode('the cat').ids);
    expect(() => WordTokenizer.fromJSON({ model: { type: 'BPE' } })).toThrow(/WordLevel/);
  });
});

describe('metrics', () => {
  it('accuracy, per-class F1 and macro-F1 on a hand-checked case', () => {
    const r = classificationReport([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], ['a', 'b']);
    expect(r.accuracy).toBeCloseTo(0.6);
    expect(r.perClass.a!.f1).toBeCloseTo(0.5);
    expect(r.perClass.b!.f1).toBeCloseTo(2 / 3);
    expect(r.macroF1).toBeCloseTo((0.5 + 2 / 3) / 2);
    expect(r.confusion).toEqual([[1, 1], [1, 2]]);
  });
});

describe('bucketedBatches', () => {
  it('covers every index once, groups similar lengths, and depends only on the rng', () => {
    const lengths = Array.from({ length: 500 }, (_, i) => (i * 37) % 101);
    const a = bucketedBatches(lengths, 10, new Rng(3));
    const b = bucketedBatches(lengths, 10, new Rng(3));
    expect(a).toEqual(b);
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const spread = a.map((batch) => Math.max(...batch.map((i) => lengths[i]!)) - Math.min(...batch.map((i) => lengths[i]!)));
    expect(Math.max(...spread)).toBeLessThan(10);
  });
});

describe('trainClassifier', () => {
  it('is deterministic by seed, checkpoints atomically, and a resumed run equals an uninterrupted one', async () => {
    const straight = await trainClassifier({ ...small, model: MODEL, epochs: 2, patience: 5, seed: 5, batchSize: 16, outDir: join(tmp, 'straight') });
    const again = await trainClassifier({ ...small, model: MODEL, epochs: 2, patience: 5, seed: 5, batchSize: 16 });
    expect(await weights(again.model)).toEqual(await weights(straight.model));
    // Interrupted after one epoch, then resumed for the second.
    const dir = join(tmp, 'resume');
    const first = await trainClassifier({ ...small, model: MODEL, epochs: 1, patience: 5, seed: 5, batchSize: 16, outDir: dir });
    first.model.dispose();
    await expect(trainClassifier({ ...small, model: MODEL, epochs: 2, seed: 5, batchSize: 16, outDir: dir })).rejects.toBeInstanceOf(ConfigError);
    const resumed = await trainClassifier({ ...small, model: MODEL, epochs: 2, patience: 5, seed: 5, batchSize: 16, outDir: dir, resume: true });
    expect(resumed.resumedFrom).toBe(1);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(resumed.history[1]!.trainLoss).toBeCloseTo(straight.history[1]!.trainLoss, 5);
    expect(await weights(resumed.model)).toEqual(await weights(straight.model));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'metrics.jsonl', 'loss.svg', 'checkpoint/trainer_state.json']) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(readdirSync(join(dir, 'checkpoint')).filter((f) => f.endsWith('.safetensors')).sort()).toEqual(['best-e2.safetensors', 'model-e2.safetensors', 'optimizer-e2.safetensors']);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.some((l) => typeof l.devMacroF1 === 'number')).toBe(true);
    expect(readFileSync(join(dir, 'loss.svg'), 'utf8')).toContain('<svg');
    // The saved best model loads and predicts the same probabilities.
    const loaded = await RecurrentClassifier.load(join(tmp, 'straight'));
    const texts = small.dev.slice(0, 5).map((r) => r.text);
    const p1 = await straight.model.predict(texts);
    const p2 = await loaded.predict(texts);
    p1.forEach((p, i) => {
      expect(p2[i]!.label).toBe(p.label);
      expect(Math.abs(p2[i]!.probability - p.probability)).toBeLessThan(1e-6);
      expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    });
    for (const m of [straight.model, again.model, resumed.model, loaded]) m.dispose();
  });

  it('stops when the AbortSignal fires', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(trainClassifier({ ...small, model: MODEL, epochs: 1, signal: ac.signal })).rejects.toBeInstanceOf(CancelledError);
  });

  it('trains every cell, bidirectional and stacked, with each pooling, and balanced class weights', async () => {
    for (const [cell, bidirectional, pooling, numLayers] of [['gru', true, 'last', 2], ['rnn', false, 'mean', 1], ['lstm', true, 'max', 1], ['lstm', false, 'maxmean', 1]] as const) {
      const r = await trainClassifier({ ...small, model: { ...MODEL, cell, bidirectional, pooling, numLayers }, epochs: 1, maxSteps: 3, classWeights: 'balanced', batchSize: 16 });
      expect(r.classWeights[0]).not.toBeCloseTo(r.classWeights[1]!, 3);
      expect(r.history[0]!.step).toBe(3);
      expect(Number.isFinite(r.history[0]!.trainLoss)).toBe(true);
      r.model.dispose();
    }
  });

  it('maxmean pooling feeds [max | mean] over the true steps to the dense layer, whatever the padding', async () => {
    const tok = WordTokenizer.build(['a b c d e f'], { minCount: 1 });
    const m = RecurrentClassifier.create({ labels: ['x', 'y'], cell: 'gru', embeddingDim: 3, hiddenSize: 2, bidirectional: true, pooling: 'maxmean' }, tok, { seed: 3 });
    expect(m.fcWeight.shape).toEqual([2, 8]); // 2 directions × 2 hidden × (max, mean)
    const texts = ['a b c d e', 'f c'];
    const batch = m.encodeBatch(texts);
    const joint = await m.logits(batch).array();
    // Each text alone (no padding) gives the same logits as inside the padded batch.
    for (let b = 0; b < texts.length; b++) {
      const alone = await m.logits(m.encodeBatch([texts[b]!])).array();
      for (let c = 0; c < 2; c++) expect(alone[0]![c]!).toBeCloseTo(joint[b]![c]!, 5);
    }
    // By hand from the RNN outputs: max and mean over the 2 true steps of the short text.
    const ids = m.encodeBatch([texts[1]!]);
    const { tf } = await import('@llm/core');
    const seq = m.rnn.forward(tf.gather(m.embedding, tf.tensor2d(ids.ids, [1, ids.width], 'int32')) as never, { lengths: ids.lengths, returnSequences: true }).output!;
    const o = (await seq.array()) as number[][][];
    const feats = [0, 1, 2, 3].map((j) => Math.max(o[0]![0]![j]!, o[0]![1]![j]!)).concat([0, 1, 2, 3].map((j) => (o[0]![0]![j]! + o[0]![1]![j]!) / 2));
    const W = (await m.fcWeight.array()) as number[][];
    const bias = (await m.fcBias.array()) as number[];
    for (let c = 0; c < 2; c++) expect(W[c]!.reduce((a, w, j) => a + w * feats[j]!, bias[c]!)).toBeCloseTo(joint[1]![c]!, 5);
    // evaluateClassifier batches by length but returns predictions in row order.
    const rows = ['a b c d e f a b', 'c', 'd e f', 'b a', 'f f f f f f f f f f'].map((text) => ({ text, label: 'x' }));
    const ev = await evaluateClassifier(m, rows, { batchSize: 2 });
    expect(ev.predicted).toEqual((await m.predict(rows.map((r) => r.text))).map((p) => m.config.labels.indexOf(p.label)));
    m.dispose();
  });

  it('initialises the embedding from pre-trained word vectors', async () => {
    const tok = WordTokenizer.build(['good good bad bad'], { minCount: 1 });
    const m = RecurrentClassifier.create({ labels: ['a', 'b'], cell: 'lstm', embeddingDim: 2, hiddenSize: 2 }, tok, { pretrained: { words: ['good', 'missing'], vectors: Float32Array.from([0.5, -0.25, 9, 9]), dim: 2 } });
    expect(m.pretrainedCoverage).toBe(1);
    const emb = (await m.stateDict()).get('embedding.weight')!;
    const id = tok.tokenToId('good')!;
    expect(Array.from(emb.data.subarray(id * 2, id * 2 + 2))).toEqual([0.5, -0.25]);
    expect(Array.from(emb.data.subarray(0, 2))).toEqual([0, 0]); // [PAD]
    m.dispose();
  });
});

describe('data readers', () => {
  it('reads the IMDB folder layout (made here from bundled reviews)', async () => {
    const root = join(tmp, 'aclImdb');
    for (const split of ['train', 'test']) {
      for (const label of ['pos', 'neg']) {
        mkdirSync(join(root, split, label), { recursive: true });
        const src = data.train.filter((r) => r.label === (label === 'pos' ? 'great' : 'other')).slice(0, 3);
        src.forEach((r, i) => writeFileSync(join(root, split, label, `${i}_${label === 'pos' ? 9 : 2}.txt`), r.text));
      }
    }
    mkdirSync(join(root, 'train', 'unsup'), { recursive: true });
    const rows = await readImdbFolder(root, 'train');
    expect(rows.length).toBe(6);
    expect(rows.filter((r) => r.label === 'pos').length).toBe(3);
    await expect(readImdbFolder(join(tmp, 'nope'), 'train')).rejects.toThrow(/no 'train' folder/);
  });

  it('names a missing TSV column with file and line', async () => {
    const f = join(tmp, 'x.tsv');
    writeFileSync(f, 'text\tlabel\nhello\tpos\n');
    expect((await readLabelledTsv(f)).length).toBe(1);
    const err = await readLabelledTsv(f, { textCol: 'review' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).describe()).toMatch(/x\.tsv:2.*review/);
  });
});
