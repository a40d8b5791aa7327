import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { FormatError, datasetFiles } from '@llm/core';
import { KeyedVectors, evaluateAnalogies, loadVectors, parseWord2VecBinary, parseWord2VecText, readAnalogies, saveVectors, formatFloat32 } from '../src/index.js';

const require = createRequire(import.meta.url);
const W2V = join(require.resolve('word2vec/package.json'), '..', 'examples/fixtures/vectors.txt');
const FIX = join(__dirname, '..', 'fixtures');
const gensim = JSON.parse(readFileSync(join(FIX, 'gensim-w2v-fixture.json'), 'utf8')) as {
  count: number; dim: number; first: string[]; firstVector: number[];
  mostSimilar: Record<string, Array<[string, number]>>; analogy: Array<[string, number]>; cosmul: Array<[string, number]>;
  doesntMatch: { words: string[]; answer: string }; similarity: Array<[string, string, number]>;
  analogies: { accuracy: number; sections: Record<string, { correct: number; incorrect: number }> };
};

function expectSameNeighbours(ours: Array<{ word: string; score: number }>, ref: Array<[string, number]>): void {
  expect(ours.map((x) => x.word)).toEqual(ref.map((x) => x[0]));
  ours.forEach((x, i) => expect(x.score).toBeCloseTo(ref[i]![1], 5));
}

describe('npm word2vec fixture vectors.txt vs gensim', async () => {
  const kv = await loadVectors(W2V);
  it('loads the header, words and values as gensim does', () => {
    expect(kv.size).toBe(gensim.count);
    expect(kv.dim).toBe(gensim.dim);
    expect(kv.words.slice(0, 5)).toEqual(gensim.first);
    const v = kv.get(gensim.first[1]!);
    gensim.firstVector.forEach((x, i) => expect(v[i]).toBeCloseTo(x, 6));
  });
  it('most_similar matches gensim (cosine, order and scores)', () => {
    for (const [w, ref] of Object.entries(gensim.mostSimilar)) expectSameNeighbours(kv.mostSimilar(w, 10), ref);
  });
  it('3CosAdd and 3CosMul analogies, doesnt_match and similarity match gensim', () => {
    expectSameNeighbours(kv.mostSimilar({ positive: ['king', 'woman'], negative: ['man'], topn: 5 }), gensim.analogy);
    expectSameNeighbours(kv.mostSimilarCosmul(['king', 'woman'], ['man'], 5), gensim.cosmul);
    expect(kv.doesntMatch(gensim.doesntMatch.words)).toBe(gensim.doesntMatch.answer);
    for (const [a, b, s] of gensim.similarity) expect(kv.similarity(a, b)).toBeCloseTo(s, 5);
  });
  it('analogy evaluation on the bundled questions matches gensim per section', async () => {
    const qs = await readAnalogies(datasetFiles('analogies')[0]!);
    const r = evaluateAnalogies(kv, qs);
    expect(r.total).toBe(qs.length);
    const ref = Object.fromEntries(Object.entries(gensim.analogies.sections).filter(([k, s]) => k !== 'Total accuracy' && s.correct + s.incorrect > 0));
    expect(Object.fromEntries(Object.entries(r.sections).map(([k, s]) => [k, { correct: s.correct, incorrect: s.incorrect }]))).toEqual(ref);
    expect(r.accuracy).toBeCloseTo(gensim.analogies.accuracy, 10);
  });
});

describe('files we write, read by gensim; files gensim writes, read by us', () => {
  const ref = JSON.parse(readFileSync(join(FIX, 'gensim-reads-ours.json'), 'utf8')) as Record<string, { count: number; dim: number; words: string[]; vectors: Record<string, number[]>; mostSimilar: Record<string, Array<[string, number]>> }>;
  for (const name of ['ours.txt', 'ours.bin']) {
    it(`gensim loads our ${name} with the same words and float32 values`, async () => {
      const kv = await loadVectors(join(FIX, name));
      const g = ref[name]!;
      expect(kv.size).toBe(g.count);
      expect(kv.dim).toBe(g.dim);
      expect(kv.words).toEqual(g.words);
      for (const [w, v] of Object.entries(g.vectors)) expect(Array.from(kv.get(w))).toEqual(v.map(Math.fround));
      for (const [w, sims] of Object.entries(g.mostSimilar)) expectSameNeighbours(kv.mostSimilar(w, 5), sims);
    });
  }
  it('reads gensim-written text and binary files to the same vectors', async () => {
    const ours = await loadVectors(join(FIX, 'ours.bin'));
    for (const f of ['gensim-written.txt', 'gensim-written.bin']) {
      const kv = await loadVectors(join(FIX, f));
      expect(kv.words).toEqual(ours.words);
      expect(Array.from(kv.data)).toEqual(Array.from(ours.data));
    }
  });
});

describe('word2vec formats: round trips and bad input', () => {
  const kv = new KeyedVectors(['a', 'bé', 'c'], 3, new Float32Array([0.1, -2.5, 3e-8, 1, 2, 3, -0.333, 0, 7]));
  const dir = mkdtempSync(join(tmpdir(), 'emb-fmt-'));
  it('round-trips text and binary exactly', async () => {
    for (const fmt of ['text', 'binary'] as const) {
      const p = join(dir, `v.${fmt}`);
      await saveVectors(p, kv, fmt);
      const back = await loadVectors(p);
      expect(back.words).toEqual(kv.words);
      expect(Array.from(back.data)).toEqual(Array.from(kv.data));
    }
  });
  it('formats float32 values in their shortest exact form', () => {
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(Math.fround(Number(formatFloat32(Math.fround(-0.333))))).toBe(Math.fround(-0.333));
  });
  it('reports a dimension mismatch with its line', () => {
    const e = (() => { try { parseWord2VecText('2 3\na 1 2 3\nb 1 2\n', 'x.txt'); } catch (err) { return err; } })();
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).location).toEqual({ file: 'x.txt', line: 3 });
  });
  it('reports a bad header, a non-number and a short file', () => {
    expect(() => parseWord2VecText('hello\n', 'h.txt')).toThrow(/header/);
    expect(() => parseWord2VecText('1 2\na 1 x\n')).toThrow(/not a number/);
    expect(() => parseWord2VecText('3 2\na 1 2\n')).toThrow(/ends after 1 of 3/);
  });
  it('reports a truncated binary file with the byte offset', async () => {
    const p = join(dir, 'v.bin');
    await saveVectors(p, kv, 'binary');
    const buf = readFileSync(p);
    const cut = buf.subarray(0, buf.length - 6);
    writeFileSync(join(dir, 'cut.bin'), cut);
    const e = (() => { try { parseWord2VecBinary(cut, 'cut.bin'); } catch (err) { return err; } })();
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).location.offset).toBeGreaterThan(20);
    await expect(loadVectors(join(dir, 'cut.bin'), 'binary')).rejects.toThrow(/file ends inside the vector of word 3/);
  });
});
