import { readFileSync } from 'node:fs';
import { ConfigError, InputError, datasetRows } from '@llm/core';
import { describe, expect, it } from 'vitest';
import { cleanReview, minimizeLbfgs, ngramCounts, trainTfidfLogistic, type LabelledText } from '../src/index.js';

interface Case {
  name: string; ngrams: number; c: number; minCount: number; labels: string[];
  trainLabels: string[]; heldLabels: string[]; numFeatures: number;
  featureSample: Array<[string, number]>; coefSample: Array<[string, ...number[]]>;
  intercepts: number[]; heldProba: number[][];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/tfidf_logistic.json', import.meta.url), 'utf8')) as {
  trainRows: number[]; heldRows: number[]; cases: Case[];
};

async function reviews(): Promise<string[]> {
  const out: string[] = [];
  for await (const { values } of datasetRows('fine-foods')) out.push(cleanReview(values.review!));
  return out;
}

describe('trainTfidfLogistic matches scikit-learn (TfidfVectorizer(sublinear_tf) + LogisticRegression(lbfgs))', async () => {
  const texts = await reviews();
  for (const k of fixture.cases) {
    it(k.name, () => {
      const train: LabelledText[] = fixture.trainRows.map((r, i) => ({ text: texts[r]!, label: k.trainLabels[i]! }));
      const m = trainTfidfLogistic(train, { ngrams: k.ngrams, c: k.c, minCount: k.minCount, tolerance: 1e-8, relativeTolerance: 0, maxIterations: 5000 });
      expect(m.converged).toBe(true);
      expect(m.labels).toEqual(k.labels);
      expect(m.features.length).toBe(k.numFeatures);
      const col = new Map(m.features.map((f, i) => [f, i]));
      for (const [f, idf] of k.featureSample) expect(m.idf[col.get(f)!]).toBeCloseTo(idf, 10);
      const rows = m.intercepts.length;
      expect(rows).toBe(k.intercepts.length);
      for (const [f, ...w] of k.coefSample) {
        for (let r = 0; r < rows; r++) expect(m.weights[r * m.features.length + col.get(f)!]).toBeCloseTo(w[r]!, 5);
      }
      for (let r = 0; r < rows; r++) expect(m.intercepts[r]).toBeCloseTo(k.intercepts[r]!, 5);
      const p = m.predictProba(fixture.heldRows.map((r) => texts[r]!));
      p.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(k.heldProba[i]![j]!, 6)));
    });
  }
});

describe('TF-IDF features', () => {
  it('counts word and punctuation n-grams of the lower-cased text', () => {
    expect([...ngramCounts('Good, good GOOD!', 2)]).toEqual([
      ['good', 3], [',', 1], ['!', 1], ['good ,', 1], [', good', 1], ['good good', 1], ['good !', 1],
    ]);
  });
  it('gives each text a unit-length sublinear TF-IDF vector; unseen n-grams are dropped', () => {
    const m = trainTfidfLogistic([{ text: 'a a b', label: 'x' }, { text: 'b c', label: 'y' }], { ngrams: 1 });
    expect(m.features).toEqual(['a', 'b', 'c']);
    const idfA = Math.log(3 / 2) + 1;
    expect(m.idf[0]).toBeCloseTo(idfA, 12);
    expect(m.idf[1]).toBeCloseTo(1, 12);
    const v = m.vectorize('a a b zzz');
    const raw = [(1 + Math.log(2)) * idfA, 1];
    const norm = Math.hypot(...raw);
    expect([...v.indices]).toEqual([0, 1]);
    expect(v.values[0]).toBeCloseTo(raw[0]! / norm, 12);
    expect(v.values[1]).toBeCloseTo(raw[1]! / norm, 12);
    expect(m.predict(['a a', 'c'])).toEqual([0, 1]);
  });
  it('rejects bad input with typed errors', () => {
    expect(() => trainTfidfLogistic([])).toThrow(InputError);
    expect(() => trainTfidfLogistic([{ text: 'a', label: 'x' }])).toThrow(/two labels/);
    expect(() => trainTfidfLogistic([{ text: 'a', label: 'x' }, { text: 'b', label: 'y' }], { c: 0 })).toThrow(ConfigError);
    const m = trainTfidfLogistic([{ text: 'a', label: 'x' }, { text: 'b', label: 'y' }]);
    expect(() => m.evaluate([{ text: 'a', label: 'z' }])).toThrow(/label 'z'/);
  });
});

describe('minimizeLbfgs', () => {
  it('finds the minimum of an ill-conditioned quadratic and of the Rosenbrock function', () => {
    const q = (x: Float64Array, g: Float64Array) => {
      g[0] = 2 * (x[0]! - 3); g[1] = 200 * (x[1]! + 1);
      return (x[0]! - 3) ** 2 + 100 * (x[1]! + 1) ** 2;
    };
    const x = new Float64Array(2);
    expect(minimizeLbfgs(q, x, { tolerance: 1e-10 }).converged).toBe(true);
    expect(x[0]).toBeCloseTo(3, 8);
    expect(x[1]).toBeCloseTo(-1, 8);
    const rosen = (z: Float64Array, g: Float64Array) => {
      const [a, b] = [z[0]!, z[1]!];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a); g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const r = Float64Array.from([-1.2, 1]);
    minimizeLbfgs(rosen, r, { tolerance: 1e-8, maxIterations: 1000 });
    expect(r[0]).toBeCloseTo(1, 5);
    expect(r[1]).toBeCloseTo(1, 5);
  });
});
