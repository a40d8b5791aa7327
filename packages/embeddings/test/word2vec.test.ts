import { describe, expect, it } from 'vitest';
import { CancelledError, InputError, ConfigError, loadText } from '@llm/core';
import { buildHuffman, buildVocab, keepThresholds, sentencesFromText, trainFastText, trainWord2Vec, unigramTable } from '../src/index.js';

const persuasion = sentencesFromText(await loadText('austen', 'persuasion'));

describe('Word2Vec building blocks', () => {
  it('builds a prefix-free Huffman code whose lengths follow the counts', () => {
    const counts = new Float64Array([50, 30, 10, 5, 3, 1, 1]);
    const { codes, codelen, points } = buildHuffman(counts);
    const strs = [...codelen].map((l, w) => [...codes.subarray(w * 40, w * 40 + l)].join(''));
    for (let i = 0; i < strs.length; i++) for (let j = 0; j < strs.length; j++) if (i !== j) expect(strs[j]!.startsWith(strs[i]!)).toBe(false);
    for (let w = 1; w < counts.length; w++) expect(codelen[w]).toBeGreaterThanOrEqual(codelen[w - 1]!);
    // Kraft equality for a full binary tree, and every path starts at the root (V-2).
    expect(strs.reduce((s, c) => s + 2 ** -c.length, 0)).toBeCloseTo(1, 12);
    for (let w = 0; w < counts.length; w++) { expect(points[w * 40]).toBe(counts.length - 2); for (let d = 0; d < codelen[w]!; d++) expect(points[w * 40 + d]).toBeLessThan(counts.length - 1); }
  });
  it('fills the negative-sampling table in proportion to count^0.75', () => {
    const counts = new Float64Array([1000, 100, 10]);
    const t = unigramTable(counts, 0.75, 1_000_000);
    const freq = [0, 0, 0];
    for (const x of t) freq[x]!++;
    const z = 1000 ** 0.75 + 100 ** 0.75 + 10 ** 0.75;
    expect(freq[1]! / t.length).toBeCloseTo(100 ** 0.75 / z, 3);
    expect(freq[2]! / t.length).toBeCloseTo(10 ** 0.75 / z, 3);
  });
  it("subsamples with word2vec.c's keep probability", () => {
    const keep = keepThresholds(new Float64Array([10000, 10]), 1e-3, 100000);
    expect(keep[0]! / 2 ** 32).toBeCloseTo((Math.sqrt(10000 / 100) + 1) * 100 / 10000, 9);
    expect(keep[1]).toBe(2 ** 32);
  });
  it('rejects an empty corpus and a vocabulary emptied by min-count', async () => {
    await expect(trainWord2Vec([], {})).rejects.toBeInstanceOf(InputError);
    await expect(trainWord2Vec([['a', 'b'], ['a']], { minCount: 5 })).rejects.toThrow(/vocabulary is empty/);
    await expect(trainWord2Vec(persuasion.slice(0, 50), { dim: 0 })).rejects.toBeInstanceOf(ConfigError);
    expect(() => buildVocab([['x']], 2)).toThrow(InputError);
  });
});

describe('Word2Vec training', () => {
  it('is deterministic by seed with one thread, and the seed matters', async () => {
    const small = persuasion.slice(0, 1500);
    const o = { dim: 16, epochs: 1, threads: 1, minCount: 3, progress: false };
    const a = await trainWord2Vec(small, { ...o, seed: 3 });
    const b = await trainWord2Vec(small, { ...o, seed: 3 });
    const c = await trainWord2Vec(small, { ...o, seed: 4 });
    expect(Array.from(a.vectors.data)).toEqual(Array.from(b.vectors.data));
    expect(Array.from(a.vectors.data)).not.toEqual(Array.from(c.vectors.data));
    // A dimension that is not a multiple of 4 takes the plain-JavaScript loops instead of SIMD.
    const d = await trainWord2Vec(small, { ...o, dim: 10, seed: 3 });
    const e = await trainWord2Vec(small, { ...o, dim: 10, seed: 3 });
    expect(Array.from(d.vectors.data)).toEqual(Array.from(e.vectors.data));
  });
  it('skip-gram with negative sampling learns Austen neighbours (2 Hogwild threads)', async () => {
    const m = await trainWord2Vec(persuasion, { dim: 48, epochs: 4, threads: 2, seed: 1, progress: false });
    expect(m.stats.threads).toBe(2);
    const kv = m.vectors;
    // Persuasion is small (83k words); its strongest regularities are the naval captains.
    const near = kv.mostSimilar('captain', 10).map((x) => x.word);
    expect(near.filter((w) => ['harville', 'benwick', 'wentworth', "wentworth's", "harville's", 'admiral', 'croft'].includes(w)).length).toBeGreaterThanOrEqual(2);
    expect(kv.similarity('he', 'she')).toBeGreaterThan(kv.similarity('he', 'house'));
  });
  it('CBOW with hierarchical softmax learns too', async () => {
    const m = await trainWord2Vec(persuasion, { dim: 32, epochs: 4, model: 'cbow', hs: true, negative: 0, threads: 1, seed: 2, progress: false });
    expect(m.vectors.similarity('he', 'she')).toBeGreaterThan(m.vectors.similarity('he', 'room'));
  });
  it('stops with CancelledError when aborted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await expect(trainWord2Vec(persuasion, { dim: 32, epochs: 50, threads: 2, signal: ac.signal, progress: false })).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('fastText training with character n-grams', () => {
  it('gives out-of-vocabulary words vectors near their stems', async () => {
    const m = await trainFastText(persuasion, { dim: 32, epochs: 3, threads: 2, bucket: 50_000, seed: 5, progress: false });
    expect(m.vectors.has('sisterly')).toBe(false);
    const v = m.wordVector('sisterly');
    expect(v.some((x) => x !== 0)).toBe(true);
    const near = m.vectors.similarByVector(v, 20).map((x) => x.word);
    expect(near.some((w) => w.startsWith('sister'))).toBe(true);
    expect(Array.from(m.vectors.get('sisterly'))).toEqual(Array.from(v));
  });
});
