import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BootstrapAggregator, percentile } from './aggregate.js';
import { PorterStemmer, type PorterMode } from './porter.js';
import { backtrackLcs, lcsTable, RougeScorer, summaryLevelLcs, unionLcs } from './scorer.js';
import { rougeTokenize } from './tokenize.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/rouge-score/${name}`, import.meta.url), 'utf8');
// Python's f.readlines(): lines keep their '\n'.
const readlines = (text: string) => text.split(/(?<=\n)/).filter((l) => l.length > 0);
const targets = readlines(fx('target.txt'));
const predictions = readlines(fx('prediction.txt'));
const close = (a: number, b: number, places = 7) => expect(Math.abs(a - b)).toBeLessThan(0.5 * 10 ** -places);

// Expectations of rouge-score's rouge_scorer_test.py and scoring_test.py (Apache-2.0).
describe('rouge-score rouge_scorer_test.py', () => {
  it.each(['rougen', 'rouge0', 'rouge10'])('invalid type %s', (t) => {
    expect(() => new RougeScorer([t]).score('testing one two', 'testing')).toThrow();
  });
  it.each(['rouge1', 'rouge9', 'rougeL', 'rougeLsum'])('valid type %s', (t) => {
    expect(Object.keys(new RougeScorer([t]).score('testing one two', 'testing'))).toEqual([t]);
  });
  it('rouge1', () => {
    const r = new RougeScorer(['rouge1']).score('testing one two', 'testing').rouge1!;
    close(r.precision, 1); close(r.recall, 1 / 3); close(r.fmeasure, 1 / 2);
  });
  it.each(['rouge1', 'rouge2', 'rougeL', 'rougeLsum'])('empty %s', (t) => {
    const r = new RougeScorer([t]).score('testing one two', '')[t]!;
    close(r.precision, 0); close(r.recall, 0); close(r.fmeasure, 0);
  });
  it('rouge2', () => {
    const r = new RougeScorer(['rouge2']).score('testing one two', 'testing one').rouge2!;
    close(r.precision, 1); close(r.recall, 1 / 2); close(r.fmeasure, 2 / 3);
  });
  it('rougeL consecutive and non-consecutive', () => {
    for (const pred of ['testing one', 'testing two']) {
      const r = new RougeScorer(['rougeL']).score('testing one two', pred).rougeL!;
      close(r.precision, 1); close(r.recall, 2 / 3); close(r.fmeasure, 4 / 5);
    }
  });
  it('multiple types', () => {
    const r = new RougeScorer(['rouge1', 'rougeL']).score('testing one two', 'testing one');
    expect(Object.keys(r).sort()).toEqual(['rouge1', 'rougeL']);
    close(r.rouge1!.fmeasure, 4 / 5); close(r.rougeL!.fmeasure, 4 / 5);
  });
  const against = (types: string[], stem: boolean, i: number, type: string, rec: number, prec: number, f: number) => {
    const r = new RougeScorer(types, { useStemmer: stem }).score(targets[i]!, predictions[i]!)[type]!;
    close(r.recall, rec, 5); close(r.precision, prec, 5); close(r.fmeasure, f, 5);
  };
  it('rouge1 against ROUGE-1.5.5', () => {
    against(['rouge1'], false, 0, 'rouge1', 0.40741, 0.68750, 0.51163);
    against(['rouge1'], false, 1, 'rouge1', 0.40476, 0.65385, 0.50000);
  });
  it('rouge1 against ROUGE-1.5.5 with stemming', () => {
    against(['rouge1'], true, 0, 'rouge1', 0.40741, 0.68750, 0.51163);
    against(['rouge1'], true, 1, 'rouge1', 0.42857, 0.69231, 0.52941);
  });
  it('rouge2 against ROUGE-1.5.5 (with and without stemming)', () => {
    for (const stem of [false, true]) {
      against(['rouge2'], stem, 0, 'rouge2', 0.30769, 0.53333, 0.39024);
      against(['rouge2'], stem, 1, 'rouge2', 0.29268, 0.48000, 0.36364);
    }
  });
  it('rougeL against ROUGE-1.5.5', () => {
    against(['rougeL'], false, 0, 'rougeL', 0.40741, 0.68750, 0.51163);
    against(['rougeL'], false, 1, 'rougeL', 0.40476, 0.65385, 0.50000);
  });
  it('rougeLsum against ROUGE-1.5.5 with stemming', () => {
    const r = new RougeScorer(['rougeLsum'], { useStemmer: true }).score(fx('target_multi.0.txt'), fx('prediction_multi.0.txt')).rougeLsum!;
    close(r.recall, 0.36538, 5); close(r.precision, 0.66667, 5); close(r.fmeasure, 0.47205, 5);
  });
  it('LCS table and backtracking', () => {
    const ref = [1, 2, 3, 4, 5];
    const c1 = [2, 5, 3, 4];
    const t = lcsTable(ref, c1);
    expect(t[ref.length]![c1.length]).toBe(3);
    expect(backtrackLcs(t, ref, c1)).toEqual([1, 2, 3]);
    expect(backtrackLcs(t, ref, c1).map((i) => ref[i])).toEqual([2, 3, 4]);
    const c2 = [8, 9];
    const t2 = lcsTable(ref, c2);
    expect(t2[ref.length]![c2.length]).toBe(0);
    expect(backtrackLcs(t2, ref, c2)).toEqual([]);
  });
  it('union LCS', () => {
    expect(unionLcs([1, 2, 3, 4, 5], [[1, 2, 6, 7, 8], [1, 3, 8, 9, 5]])).toEqual([1, 2, 3, 5]);
  });
  it('summary-level LCS', () => {
    const s = summaryLevelLcs([['1', '2', '3', '4', '5']], [['1', '2', '6', '7', '8'], ['1', '3', '8', '9', '5']]);
    expect(s.recall).toBe(0.8);
    expect(s.precision).toBe(0.4);
    close(s.fmeasure, 0.5333, 3);
    expect(summaryLevelLcs([['reference']], [[]]).recall).toBe(0.0);
  });
  it('rougeLsum', () => {
    const sc = new RougeScorer(['rougeLsum']);
    const r = sc.score('w1 w2 w3 w4 w5', 'w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5').rougeLsum!;
    close(r.recall, 0.8); close(r.precision, 0.4); close(r.fmeasure, 0.5333, 3);
    for (const [t, p] of [['w1 w2 w3 w4 w5', ''], ['', 'w1'], ['w1 w2 w3 w4 w5', '/']] as const) {
      const z = sc.score(t, p).rougeLsum!;
      close(z.fmeasure, 0, 3); close(z.recall, 0, 3); close(z.precision, 0, 3);
    }
  });
  it('score_multi picks the best target per type', () => {
    const sc = new RougeScorer(['rouge1']);
    const best = sc.scoreMulti(['first text', 'first or second text'], 'first text').rouge1!;
    close(best.fmeasure, 1);
  });
});

describe('rouge-score scoring_test.py (BootstrapAggregator)', () => {
  const three = (agg: BootstrapAggregator) => {
    agg.addScores({ rouge1: { precision: 1, recall: 1 / 3, fmeasure: 1 / 2 } });
    agg.addScores({ rouge1: { precision: 0, recall: 0, fmeasure: 0 } });
    agg.addScores({ rouge1: { precision: 1, recall: 1, fmeasure: 1 } });
    return agg.aggregate().rouge1!;
  };
  it('consistent percentiles (confidence 0.9): low/high bracket the mean', () => {
    // rouge-score asserts (1/3, 2/3, 1) etc. with delta 1e-8 given numpy's seed-123 draws; with our
    // RNG the mid (median of 1000 resampled means) is the same, and low/high are resampled means.
    const r = three(new BootstrapAggregator({ confidenceInterval: 0.9 }));
    close(r.mid.precision, 2 / 3, 8); close(r.mid.recall, 4 / 9, 8); close(r.mid.fmeasure, 3 / 6, 8);
    close(r.low.precision, 1 / 3, 8); close(r.high.precision, 1, 8);
    close(r.low.recall, 1 / 9, 8); close(r.high.recall, 7 / 9, 8);
    close(r.low.fmeasure, 1 / 6, 8); close(r.high.fmeasure, 5 / 6, 8);
  });
  it('large confidence (0.0): low = mid = high', () => {
    const r = three(new BootstrapAggregator({ confidenceInterval: 0.0 }));
    for (const k of ['low', 'mid', 'high'] as const) {
      close(r[k].precision, 2 / 3, 8); close(r[k].recall, 4 / 9, 8); close(r[k].fmeasure, 3 / 6, 8);
    }
  });
  it('multiple rouge types', () => {
    const sc = new RougeScorer(['rouge1', 'rougeL']);
    const agg = new BootstrapAggregator();
    for (let i = 0; i < targets.length; i++) agg.addScores(sc.score(targets[i]!, predictions[i]!));
    expect(Object.keys(agg.aggregate()).sort()).toEqual(['rouge1', 'rougeL']);
  });
  it('numpy linear percentile', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 2.5)).toBeCloseTo(1.075, 12);
    expect(() => new BootstrapAggregator({ confidenceInterval: 1.5 })).toThrow();
    expect(() => new BootstrapAggregator({ nSamples: 0 })).toThrow();
  });
});

describe('Porter stemmer equals NLTK 3.8 (Debian) on 13.8k words, all three modes', () => {
  const lines = gunzipSync(readFileSync(new URL('../../fixtures/golden/porter.tsv.gz', import.meta.url))).toString('utf8').trim().split('\n');
  const header = lines[0]!.split('\t');
  const rows = lines.slice(1).map((l) => l.split('\t'));
  it.each(header.slice(1) as PorterMode[])('%s', (mode) => {
    const col = header.indexOf(mode);
    const s = new PorterStemmer(mode);
    const wrong = rows.filter((r) => s.stem(r[0]!) !== r[col]).map((r) => `${r[0]}: ${s.stem(r[0]!)} != ${r[col]}`);
    expect(rows.length).toBeGreaterThan(10000);
    expect(wrong.slice(0, 20)).toEqual([]);
  });
});

describe('tokenizer', () => {
  it('reproduces rouge-score on non-ASCII text and offers a Unicode-aware mode', () => {
    expect(rougeTokenize('Café naïve Straße, 2024!')).toEqual(['caf', 'na', 've', 'stra', 'e', '2024']);
    expect(rougeTokenize('Привет мир')).toEqual([]);
    expect(rougeTokenize('Café naïve Straße, 2024!', { unicode: true })).toEqual(['café', 'naïve', 'straße', '2024']);
    expect(rougeTokenize('Привет мир', { unicode: true })).toEqual(['привет', 'мир']);
    expect(rougeTokenize('The runners were running', { stemmer: new PorterStemmer() })).toEqual(['the', 'runner', 'were', 'run']);
  });
});
