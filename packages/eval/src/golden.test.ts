import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Bleu } from './bleu/bleu.js';
import { cohensKappa, krippendorffAlpha } from './human/agreement.js';

// Golden values from Debian's NLTK 3.8 (tools/golden/eval/make_golden.py).
interface NltkBleu {
  corpus: Array<{ name: string; hyps: string[]; refs: string[][]; nltk_corpus_bleu: number }>;
  sentence: Array<{ hyp: string; ref: string; nltk_sentence_bleu: number }>;
}
const bleuGold = JSON.parse(gunzipSync(readFileSync(new URL('../fixtures/golden/nltk-bleu.json.gz', import.meta.url))).toString('utf8')) as NltkBleu;

describe('BLEU equals nltk corpus_bleu (whitespace tokens, no smoothing)', () => {
  it.each(bleuGold.corpus)('$name', (c) => {
    // nltk takes per-segment reference lists; sacreBLEU takes reference streams.
    const nrefs = Math.max(...c.refs.map((r) => r.length));
    const streams = Array.from({ length: nrefs }, (_, k) => c.refs.map((r) => r[k] ?? null));
    const bleu = new Bleu({ tokenize: 'none', smoothMethod: 'none' });
    // NLTK's modified_precision uses max(1, hypothesis n-gram count) as each segment's denominator,
    // so it differs from sacreBLEU only for hypotheses shorter than n tokens: apply that to our
    // segment statistics and the corpus scores must be equal.
    const stats = bleu.segmentStatistics(c.hyps, streams).map((r) => r.map((x, i) => (i >= 6 ? Math.max(1, x) : x)));
    const sum = stats.reduce((a, r) => a.map((x, i) => x + r[i]!), new Array<number>(10).fill(0));
    expect(bleu.scoreFromStats(sum).score / 100).toBeCloseTo(c.nltk_corpus_bleu, 12);
    if (c.hyps.every((h) => h.split(/\s+/).filter(Boolean).length >= 4)) expect(bleu.corpusScore(c.hyps, streams).score / 100).toBeCloseTo(c.nltk_corpus_bleu, 12);
  });
  it('sentence BLEU', () => {
    for (const c of bleuGold.sentence) {
      const s = new Bleu({ tokenize: 'none', smoothMethod: 'none' }).sentenceScore(c.hyp, [c.ref]);
      // nltk returns 0 when some order has no match; so does sacreBLEU without smoothing.
      expect(s.score / 100).toBeCloseTo(c.nltk_sentence_bleu, 12);
    }
  });
});

interface AgreementGold { cases: Array<{ ratings: Record<string, Array<number | null>>; alpha_nominal: number; alpha_interval: number; kappa?: number }> }
const agreeGold = JSON.parse(readFileSync(new URL('../fixtures/golden/agreement.json', import.meta.url), 'utf8')) as AgreementGold;

describe('agreement equals nltk.metrics.agreement', () => {
  it.each(agreeGold.cases.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    const raters = Object.values(c.ratings);
    const units = raters[0]!.map((_, u) => raters.map((r) => r[u]).filter((v): v is number => v !== null && v !== undefined));
    expect(krippendorffAlpha(units, 'nominal')).toBeCloseTo(c.alpha_nominal, 10);
    expect(krippendorffAlpha(units, 'interval')).toBeCloseTo(c.alpha_interval, 10);
    if (c.kappa !== undefined) expect(cohensKappa(raters[0] as number[], raters[1] as number[])).toBeCloseTo(c.kappa, 10);
  });
  it("Krippendorff (2011)'s worked example: nominal .743, ordinal .815, interval .849, ratio .797", () => {
    const A = [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null];
    const B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3];
    const C = [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null];
    const D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null];
    const units = A.map((_, u) => [A[u], B[u], C[u], D[u]].filter((v): v is number => v !== null));
    expect(krippendorffAlpha(units, 'nominal')).toBeCloseTo(0.743, 3);
    expect(krippendorffAlpha(units, 'ordinal')).toBeCloseTo(0.815, 3);
    expect(krippendorffAlpha(units, 'interval')).toBeCloseTo(0.849, 3);
    expect(krippendorffAlpha(units, 'ratio')).toBeCloseTo(0.797, 3);
  });
  it("Cohen's kappa: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → 0.4", () => {
    const a = [...Array(20).fill('y'), ...Array(5).fill('y'), ...Array(10).fill('n'), ...Array(15).fill('n')];
    const b = [...Array(20).fill('y'), ...Array(5).fill('n'), ...Array(10).fill('y'), ...Array(15).fill('n')];
    expect(cohensKappa(a, b)).toBeCloseTo(0.4, 12);
  });
});

describe('BLEU tokenizers equal Python re/regex on 603 real multilingual lines (tools/golden/eval/make_tokenizers.py)', async () => {
  const { tokenize13a, tokenizeIntl, tokenizeZh } = await import('./bleu/tokenizers.js');
  const { pyRstrip } = await import('./text.js');
  const cases = JSON.parse(gunzipSync(readFileSync(new URL('../fixtures/golden/tokenizers.json.gz', import.meta.url))).toString('utf8')) as Array<{ line: string; '13a': string; intl: string; zh: string }>;
  it.each([['13a', tokenize13a], ['intl', tokenizeIntl], ['zh', tokenizeZh]] as const)('%s', (name, fn) => {
    expect(cases.length).toBeGreaterThan(600);
    const wrong = cases.filter((c) => fn(pyRstrip(c.line)) !== c[name]).map((c) => ({ line: c.line, ours: fn(pyRstrip(c.line)), python: c[name] }));
    expect(wrong.slice(0, 3)).toEqual([]);
  });
});
