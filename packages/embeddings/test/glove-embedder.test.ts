import { describe, expect, it } from 'vitest';
import { loadText } from '@llm/core';
import { KeyedVectors, WordVectorEmbedder, buildVocab, countCooccurrences, encodeCorpus, sentencesFromText, spearman, trainGloVe, evaluateWordPairs, parseAnalogies, evaluateAnalogies } from '../src/index.js';

describe('GloVe', () => {
  it('counts symmetric co-occurrences weighted by 1/distance', () => {
    const s = [['a', 'b', 'c'], ['a', 'c']];
    const vocab = buildVocab(s, 1);
    const co = countCooccurrences(encodeCorpus(s, vocab), vocab.words.length, { window: 2 });
    const id = (w: string) => vocab.index.get(w)!;
    const get = (x: string, y: string) => { for (let i = 0; i < co.rows.length; i++) if (co.rows[i] === id(x) && co.cols[i] === id(y)) return co.values[i]; return 0; };
    expect(get('a', 'b')).toBeCloseTo(1);
    expect(get('b', 'a')).toBeCloseTo(1);
    expect(get('a', 'c')).toBeCloseTo(0.5 + 1);
    expect(get('c', 'a')).toBeCloseTo(1.5);
    expect(get('b', 'c')).toBeCloseTo(1);
    expect(get('a', 'a')).toBe(0);
  });
  it('gives the same counts when the bounded store spills to disk', async () => {
    const s = sentencesFromText(await loadText('austen', 'northanger')).slice(0, 3000);
    const vocab = buildVocab(s, 2);
    const t = encodeCorpus(s, vocab);
    const a = countCooccurrences(t, vocab.words.length, { window: 5 });
    const b = countCooccurrences(t, vocab.words.length, { window: 5, maxEntries: 2000 });
    expect(a.spills).toBe(0);
    expect(b.spills).toBeGreaterThan(3);
    expect(Array.from(b.rows)).toEqual(Array.from(a.rows));
    expect(Array.from(b.cols)).toEqual(Array.from(a.cols));
    b.values.forEach((v, i) => expect(v).toBeCloseTo(a.values[i]!, 3));
  });
  it('fits the weighted least squares objective and learns neighbours', async () => {
    const s = sentencesFromText(await loadText('austen', 'persuasion'));
    const few = await trainGloVe(s, { dim: 24, epochs: 1, seed: 1, progress: false });
    const more = await trainGloVe(s, { dim: 24, epochs: 8, seed: 1, progress: false });
    expect(more.cost).toBeLessThan(few.cost * 0.8);
    expect(more.vectors.similarity('she', 'he')).toBeGreaterThan(more.vectors.similarity('she', 'walk'));
  });
});

describe('KeyedVectors, evaluation and the sentence Embedder', () => {
  const kv = new KeyedVectors(['king', 'queen', 'man', 'woman', 'apple'], 3, new Float32Array([
    1, 1, 0, 1, -1, 0, 1, 1, 0.1, 1, -1, 0.1, -1, -1, 1,
  ]), new Float64Array([10, 8, 100, 90, 3]));
  it('solves a toy analogy with 3CosAdd and 3CosMul and finds the odd one out', () => {
    expect(kv.mostSimilar({ positive: ['king', 'woman'], negative: ['man'], topn: 1 })[0]!.word).toBe('queen');
    expect(kv.mostSimilarCosmul(['king', 'woman'], ['man'], 1)[0]!.word).toBe('queen');
    expect(kv.doesntMatch(['king', 'queen', 'man', 'apple'])).toBe('apple');
    const r = evaluateAnalogies(kv, parseAnalogies(': royal\nking queen man woman\nman woman king queen\nking apple man pear\n'));
    expect(r).toMatchObject({ evaluated: 2, total: 3, accuracy: 1 });
    expect(Array.from(kv.arithmetic(['king', 'woman'], ['man']))).toEqual([1, -1, 0].map(Math.fround));
  });
  it('computes Spearman correlation with ties like scipy', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1);
    expect(spearman([1, 2, 2, 3], [3, 2, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(evaluateWordPairs(kv, [{ a: 'king', b: 'queen', score: 8 }, { a: 'king', b: 'apple', score: 1 }, { a: 'man', b: 'woman', score: 9 }]).evaluated).toBe(3);
  });
  it('embeds sentences as mean and SIF-weighted vectors', async () => {
    const mean = new WordVectorEmbedder(kv, { normalize: false });
    const [v] = await mean.embed(['King, MAN! unknown']);
    expect(Array.from(v!)).toEqual([1, 1, 0.05].map(Math.fround));
    const sif = new WordVectorEmbedder(kv, { mode: 'sif', normalize: false });
    const [w] = await sif.embed(['king man']);
    // The rarer word weighs more: the result leans to 'king' (z = 0) rather than 'man' (z = 0.1).
    expect(w![2]!).toBeLessThan(0.05 * ((sif as unknown as { weights: Float32Array }).weights[0]! + 1));
    sif.fit(['king queen', 'man woman', 'apple']);
    expect(sif.component).toBeDefined();
    const unit = new WordVectorEmbedder(kv, { mode: 'sif' }).fit(['king', 'queen', 'apple']);
    const [u] = await unit.embed(['queen apple']);
    expect(Math.hypot(...u!)).toBeCloseTo(1, 5);
    expect(unit.dimension).toBe(3);
  });
});
