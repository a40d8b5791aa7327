import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collect, datasetRows } from '@llm/core';
import { Bleu } from './bleu/bleu.js';
import { Chrf } from './chrf.js';
import { Ter } from './ter/ter.js';

/**
 * sacreBLEU 2.6.0 itself, run on the bundled Bible (fixtures/reference/sacrebleu, made by
 * tools/device/reference_fixtures.py): every tokenizer × case × smoothing, multi-reference and
 * effective-order BLEU, sentence BLEU, chrF/chrF++ and TER, with signatures.
 */
interface Ref {
  n: number; first_ref: string; last_ref: string;
  corpus: Array<{ tokenize: string; lowercase: boolean; smooth: string; refs: number; subset?: number; effective_order?: boolean; score: number; counts: number[]; totals: number[]; bp: number; sys_len: number; ref_len: number; signature: string }>;
  sentence: Array<{ i: number; smooth: string; smooth_value: number | null; score: number }>;
  chrf: Array<{ word_order: number; corpus: number; signature: string; sentences: number[] }>;
  ter: Array<{ options: { case_sensitive?: boolean; normalized?: boolean; no_punct?: boolean }; corpus: number; signature: string; sentences: number[] }>;
  edge: Array<{ hyp: string; ref: string; bleu: number; chrf: number; ter: number }>;
}
const ref = JSON.parse(readFileSync(fileURLToPath(new URL('../../../fixtures/reference/sacrebleu/bible-kjv-web.json', import.meta.url)), 'utf8')) as Ref;

async function data() {
  const rows = (await collect(datasetRows('bible-es-en'))).filter((_, i) => i % 10 === 0).slice(0, 3000);
  expect(rows.length).toBe(ref.n);
  expect(rows[0]!.values.ref).toBe(ref.first_ref);
  expect(rows[rows.length - 1]!.values.ref).toBe(ref.last_ref);
  return { hyps: rows.map((r) => r.values.en_kjv!), refs: rows.map((r) => r.values.en_web!), refs2: rows.map((r) => r.values.en_kjv!.toLowerCase()) };
}

describe('against sacreBLEU 2.6.0 on the bundled Bible (KJV vs WEB)', () => {
  it('corpus BLEU: every tokenizer, case and smoothing; multi-reference; effective order', async () => {
    const { hyps, refs, refs2 } = await data();
    for (const c of ref.corpus) {
      const bleu = new Bleu({ tokenize: c.tokenize as '13a', lowercase: c.lowercase, smoothMethod: c.smooth as 'exp', effectiveOrder: c.effective_order ?? false });
      const n = c.subset ?? hyps.length;
      const streams = c.refs === 2 ? [refs.slice(0, n), refs2.slice(0, n)] : [refs.slice(0, n)];
      const s = bleu.corpusScore(hyps.slice(0, n), streams);
      expect(s.score, `${c.tokenize} lc=${c.lowercase} ${c.smooth} refs=${c.refs}`).toBeCloseTo(c.score, 8);
      expect(s.counts).toEqual(c.counts);
      expect(s.totals).toEqual(c.totals);
      expect([s.sysLen, s.refLen]).toEqual([c.sys_len, c.ref_len]);
      expect(s.bp).toBeCloseTo(c.bp, 12);
      expect(bleu.signature()).toBe(c.signature);
    }
  });

  it('sentence BLEU with each smoothing', async () => {
    const { hyps, refs } = await data();
    for (const c of ref.sentence) {
      const s = new Bleu({ effectiveOrder: true, smoothMethod: c.smooth as 'exp', smoothValue: c.smooth_value ?? undefined }).sentenceScore(hyps[c.i]!, [refs[c.i]!]);
      expect(s.score, `sentence ${c.i} ${c.smooth}`).toBeCloseTo(c.score, 8);
    }
  });

  it('chrF and chrF++ (corpus and sentence), with signatures', async () => {
    const { hyps, refs } = await data();
    for (const c of ref.chrf) {
      const chrf = new Chrf({ wordOrder: c.word_order });
      expect(chrf.corpusScore(hyps, [refs]).score).toBeCloseTo(c.corpus, 8);
      expect(chrf.signature()).toBe(c.signature);
      c.sentences.forEach((v, i) => expect(chrf.sentenceScore(hyps[i]!, [refs[i]!]).score).toBeCloseTo(v, 8));
    }
  });

  it('TER with its options', async () => {
    const { hyps, refs } = await data();
    for (const c of ref.ter) {
      const ter = new Ter({ caseSensitive: c.options.case_sensitive, normalized: c.options.normalized, noPunct: c.options.no_punct });
      expect(ter.corpusScore(hyps.slice(0, 1000), [refs.slice(0, 1000)]).score, JSON.stringify(c.options)).toBeCloseTo(c.corpus, 8);
      expect(ter.signature()).toBe(c.signature);
      c.sentences.forEach((v, i) => expect(ter.sentenceScore(hyps[i]!, [refs[i]!]).score).toBeCloseTo(v, 8));
    }
  });

  it('edge cases: empty hypothesis, identical, short, punctuation, CJK', () => {
    for (const e of ref.edge) {
      expect(new Bleu({ effectiveOrder: true }).sentenceScore(e.hyp, [e.ref]).score, `bleu ${e.hyp}`).toBeCloseTo(e.bleu, 8);
      expect(new Chrf().sentenceScore(e.hyp, [e.ref]).score, `chrf ${e.hyp}`).toBeCloseTo(e.chrf, 8);
      expect(new Ter().sentenceScore(e.hyp, [e.ref]).score, `ter ${e.hyp}`).toBeCloseTo(e.ter, 8);
    }
  });
});
