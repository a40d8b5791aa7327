import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Bleu, computeBleu, corpusBleu } from './bleu/bleu.js';
import { Chrf } from './chrf.js';
import { Ter } from './ter/ter.js';
import { tercomTokenize } from './ter/tokenizer.js';
import type { SmoothMethod } from './bleu/bleu.js';
import type { BleuTokenizerName } from './bleu/tokenizers.js';

// Published test cases of sacreBLEU 2.6.0 (Apache-2.0), see fixtures/sacrebleu/README.md.
type Refs = string[][];
interface Cases {
  bleu_raw: Array<{ hyps: string[]; refs: Refs; smooth_value: number | null; expected: number }>;
  bleu_statistics: Array<{ hyps: string[]; refs: Refs; smooth_value: number; counts: number[]; totals: number[] }>;
  bleu_corpus: Array<{ hyps: string[]; refs: Refs; kwargs: { tokenize?: BleuTokenizerName; smooth_method?: SmoothMethod }; expected: number }>;
  bleu_max_order: Array<{ order: number; expected: string }>;
  bleu_max_order_data: { hyps: string[]; refs: Refs };
  bleu_scoring: Array<{ correct: number[]; total: number[]; sys_len: number; ref_len: number; expected: number }>;
  bleu_degenerate: Array<{ correct: number[]; total: number[]; sys_len: number; ref_len: number; offset: number; expected: number }>;
  sentence_bleu: { ref: string; sys: string; cases: Array<[SmoothMethod, number | null, boolean, BleuTokenizerName, number]>; ref_zero: string; sys_zero: string; cases_zero: Array<[SmoothMethod, number | null, boolean, BleuTokenizerName, number]> };
  chrf_sentence: Array<[string, string[], number]>;
  chrf_eps: Array<[string[], string[], number]>;
  chrf_eff_order: Array<[string[], string[], number]>;
  chrf_keep_whitespace: Array<[string[], string[], number]>;
  ter: Array<[string[], string[], number]>;
  ter_tokenizer: Record<'default' | 'no_punct' | 'norm' | 'asian', Array<[string, string]>>;
}
const cases = JSON.parse(readFileSync(new URL('../fixtures/sacrebleu/cases.json', import.meta.url), 'utf8')) as Cases;

const raw = (hyps: string[], refs: Refs, smoothValue: number | null) =>
  new Bleu({ smoothMethod: 'floor', smoothValue: smoothValue ?? undefined, tokenize: 'none', effectiveOrder: true }).corpusScore(hyps, refs);

describe('sacreBLEU test_bleu.py', () => {
  it.each(cases.bleu_raw)('raw corpus BLEU %#', (c) => {
    expect(Math.abs(raw(c.hyps, c.refs, c.smooth_value).score / 100 - c.expected)).toBeLessThan(1e-8);
  });
  it.each(cases.bleu_statistics)('statistics %#', (c) => {
    const s = raw(c.hyps, c.refs, c.smooth_value);
    expect(s.counts).toEqual(c.counts);
    expect(s.totals).toEqual(c.totals);
  });
  it.each(cases.bleu_corpus)('corpus BLEU %#', (c) => {
    const s = corpusBleu(c.hyps, c.refs, { tokenize: c.kwargs.tokenize, smoothMethod: c.kwargs.smooth_method });
    expect(Math.abs(s.score - c.expected)).toBeLessThan(1e-8);
  });
  it.each(cases.bleu_max_order)('max order $order', (c) => {
    const s = new Bleu({ maxNgramOrder: c.order }).corpusScore(cases.bleu_max_order_data.hyps, cases.bleu_max_order_data.refs);
    expect(s.score.toFixed(2)).toBe(c.expected);
  });
  it.each(cases.bleu_scoring)('scoring %#', (c) => {
    expect(Math.abs(computeBleu(c.correct, c.total, c.sys_len, c.ref_len).score / 100 - c.expected)).toBeLessThan(1e-8);
  });
  it.each(cases.bleu_degenerate)('degenerate statistics %#', (c) => {
    expect(computeBleu(c.correct, c.total, c.sys_len, c.ref_len, { smoothMethod: 'floor', smoothValue: c.offset }).score / 100).toBe(c.expected);
  });
});

describe('sacreBLEU test_sentence_bleu.py', () => {
  const sb = cases.sentence_bleu;
  it.each(sb.cases)('%s %s lc=%s tok=%s → %s', (smooth, value, lc, tok, expected) => {
    const s = new Bleu({ lowercase: lc, tokenize: tok, smoothMethod: smooth, smoothValue: value ?? undefined, effectiveOrder: true }).sentenceScore(sb.sys, [sb.ref]);
    expect(Math.abs(s.score - expected)).toBeLessThan(1e-3);
  });
  it.each(sb.cases_zero)('zero BLEU %s %s', (smooth, value, lc, tok, expected) => {
    const s = new Bleu({ lowercase: lc, tokenize: tok, smoothMethod: smooth, smoothValue: value ?? undefined, effectiveOrder: true }).sentenceScore(sb.sys_zero, [sb.ref_zero]);
    expect(Math.abs(s.score - expected)).toBeLessThan(1e-3);
  });
});

describe('sacreBLEU test_chrf.py', () => {
  it.each(cases.chrf_sentence)('sentence chrF %#', (hyp, refs, expected) => {
    expect(Math.abs(new Chrf({ epsSmoothing: true }).sentenceScore(hyp, refs).score - expected)).toBeLessThan(1e-4);
  });
  it.each(cases.chrf_eps)('chrF eps smoothing %#', (hyps, refs, expected) => {
    expect(Math.abs(new Chrf({ charOrder: 6, wordOrder: 0, beta: 3, epsSmoothing: true }).corpusScore(hyps, [refs]).score - expected)).toBeLessThan(1e-4);
  });
  it.each(cases.chrf_eff_order)('chrF effective order %#', (hyps, refs, expected) => {
    expect(Math.abs(new Chrf({ charOrder: 6, wordOrder: 0, beta: 3, epsSmoothing: false }).corpusScore(hyps, [refs]).score - expected)).toBeLessThan(1e-4);
  });
  it.each(cases.chrf_keep_whitespace)('chrF keep whitespace %#', (hyps, refs, expected) => {
    expect(Math.abs(new Chrf({ charOrder: 6, wordOrder: 0, beta: 3, whitespace: true }).corpusScore(hyps, [refs]).score - expected)).toBeLessThan(1e-4);
  });
});

describe('sacreBLEU test_ter.py / test_tokenizer_ter.py', () => {
  it.each(cases.ter)('TER %#', (hyps, refs, expected) => {
    expect(Math.abs(new Ter().corpusScore(hyps, [refs]).score - 100 * expected)).toBeLessThan(1e-3);
  });
  it.each(cases.ter_tokenizer.default)('default %j', (input, out) => expect(tercomTokenize(input)).toBe(out));
  it.each(cases.ter_tokenizer.no_punct)('no punct %j', (input, out) => expect(tercomTokenize(input, { noPunct: true })).toBe(out));
  it.each(cases.ter_tokenizer.norm)('norm %j', (input, out) => expect(tercomTokenize(input, { normalized: true })).toBe(out));
  it.each(cases.ter_tokenizer.asian)('asian %j', (input, out) => expect(tercomTokenize(input, { normalized: true, asianSupport: true })).toBe(out));
});

describe('signatures and score lines', () => {
  it('formats BLEU as sacreBLEU', () => {
    const bleu = new Bleu();
    const s = bleu.corpusScore(cases.bleu_max_order_data.hyps, cases.bleu_max_order_data.refs);
    expect(bleu.signature()).toBe('nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0');
    expect(bleu.format(s)).toMatch(/^BLEU\|nrefs:2\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:2\.6\.0 = 48\.53 \d+\.\d\/\d+\.\d\/\d+\.\d\/\d+\.\d \(BP = \d\.\d{3} ratio = \d\.\d{3} hyp_len = \d+ ref_len = \d+\)$/);
    expect(new Bleu({ smoothMethod: 'floor' }).signature()).toContain('smooth:floor[0.10]');
    expect(new Chrf({ wordOrder: 2 }).signature()).toBe('nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0');
    expect(new Chrf({ wordOrder: 2 }).name).toBe('chrF2++');
    expect(new Ter().signature()).toBe('nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0');
  });
});
