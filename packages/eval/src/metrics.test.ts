import { describe, expect, it } from 'vitest';
import { ConfigError, InputError, type Embedder } from '@llm/core';
import { accuracy, classificationReport, confusionMatrix } from './classification.js';
import { bitsPerToken, lmMetrics, perplexity } from './lm.js';
import { Bleu } from './bleu/bleu.js';
import { Chrf } from './chrf.js';
import { bootstrapScores, estimateCi, pairedApproximateRandomization, pairedBootstrap } from './significance.js';
import { runBiasProbe } from './bias.js';
import { cosine, lexicalSupport, scoreSupport, splitClaims, splitSentences } from './hallucination.js';
import { pyFixed, pySplit } from './text.js';

describe('classification', () => {
  const yTrue = ['cat', 'cat', 'dog', 'dog', 'dog', 'bird'];
  const yPred = ['cat', 'dog', 'dog', 'dog', 'cat', 'dog'];
  it('accuracy, confusion matrix, per-class, macro and micro (hand-computed)', () => {
    expect(accuracy(yTrue, yPred)).toBeCloseTo(3 / 6, 12);
    const cm = confusionMatrix(yTrue, yPred);
    expect(cm.labels).toEqual(['bird', 'cat', 'dog']);
    expect(cm.matrix).toEqual([[0, 0, 1], [0, 1, 1], [0, 1, 2]]);
    const r = classificationReport(yTrue, yPred);
    expect(r.perClass.cat).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(r.perClass.dog!.precision).toBeCloseTo(2 / 4, 12);
    expect(r.perClass.dog!.recall).toBeCloseTo(2 / 3, 12);
    expect(r.perClass.bird).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.macro.precision).toBeCloseTo((0 + 0.5 + 0.5) / 3, 12);
    expect(r.macro.f1).toBeCloseTo((0 + 0.5 + (2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3)) / 3, 12);
    expect(r.micro.f1).toBeCloseTo(0.5, 12); // single-label micro F1 = accuracy
  });
  it('rejects mismatched lengths', () => {
    expect(() => accuracy(['a'], ['a', 'b'])).toThrow(InputError);
  });
});

describe('language-model metrics', () => {
  it('perplexity and bits per token', () => {
    const lp = [Math.log(0.5), Math.log(0.25)];
    expect(perplexity(lp)).toBeCloseTo(Math.sqrt(8), 12);
    expect(bitsPerToken(lp)).toBeCloseTo(1.5, 12);
    expect(lmMetrics([-1, -1, -1], { base: 2 }).bitsPerToken).toBeCloseTo(1, 12);
    expect(() => lmMetrics([])).toThrow(InputError);
    expect(() => lmMetrics([0.5])).toThrow(/not ≤ 0/);
  });
});

describe('significance', () => {
  const refs = Array.from({ length: 60 }, (_, i) => `the quick brown fox number ${i} jumps over the lazy dog`);
  const good = refs.map((r, i) => (i % 5 === 0 ? r.replace('quick', 'fast') : r));
  const bad = refs.map((r, i) => (i % 2 === 0 ? 'a slow red fox sat under a tree' : r.replace('lazy dog', 'sleepy cat')));
  const bleu = new Bleu();
  it('bootstrap CI brackets the corpus score', () => {
    const stats = bleu.segmentStatistics(good, [refs]);
    const { mean, ci } = estimateCi(bootstrapScores(bleu, stats, { samples: 200 }));
    const score = bleu.corpusScore(good, [refs]).score;
    expect(Math.abs(mean - score)).toBeLessThan(3);
    expect(ci).toBeGreaterThan(0);
    expect(bleu.signature({ bs: 200, seed: 12345 })).toBe('nrefs:1|bs:200|seed:12345|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0');
  });
  it('paired tests: a clearly worse system is significant, an equally good one is not', () => {
    const base = bleu.segmentStatistics(good, [refs]);
    const worse = bleu.segmentStatistics(bad, [refs]);
    expect(pairedBootstrap(bleu, base, worse, { samples: 300 }).pValue).toBeLessThan(0.01);
    expect(pairedApproximateRandomization(bleu, base, worse, { samples: 300 }).pValue).toBeLessThan(0.01);
    // A system of the same quality with its errors in other segments: not significant.
    const nearly = bleu.segmentStatistics(refs.map((r, i) => (i % 5 === 1 ? r.replace('quick', 'fast') : r)), [refs]);
    expect(pairedApproximateRandomization(bleu, base, nearly, { samples: 300 }).pValue).toBeGreaterThan(0.2);
    expect(pairedBootstrap(bleu, base, nearly, { samples: 300 }).pValue).toBeGreaterThan(0.2);
    const chrf = new Chrf();
    expect(pairedBootstrap(chrf, chrf.segmentStatistics(good, [refs]), chrf.segmentStatistics(bad, [refs]), { samples: 200 }).pValue).toBeLessThan(0.01);
  });
});

describe('Python string semantics', () => {
  it('split and fixed formatting', () => {
    expect(pySplit('\u001c a\u0085b\ufeffc ')).toEqual(['a', 'b\ufeffc']);
    expect(pyFixed(0.125, 2)).toBe('0.12'); // round-half-even on an exact tie, as Python
    expect(pyFixed(0.375, 2)).toBe('0.38');
    expect(pyFixed(48.530827, 2)).toBe('48.53');
    expect(pyFixed(2.675, 2)).toBe('2.67'); // 2.675 is below the tie in binary
  });
});

describe('bias probe', () => {
  it('reports group means and gaps', async () => {
    const scorer = (p: string) => (p.includes('she') || p.includes('woman') ? 0.2 : 0.8) + (p.includes('nurse') ? 0.1 : 0);
    const r = await runBiasProbe({ templates: ['{term} is a doctor', '{term} is a nurse'], groups: { female: ['she', 'the woman'], male: ['he', 'the man'] } }, scorer, { samples: 100 });
    expect(r.groups.find((g) => g.group === 'female')!.mean).toBeCloseTo(0.25, 12);
    expect(r.groups.find((g) => g.group === 'male')!.mean).toBeCloseTo(0.85, 12);
    expect(r.maxGap).toBeCloseTo(0.6, 12);
    expect(r.perTemplateGap.map((t) => t.gap)).toEqual([expect.closeTo(0.6, 12), expect.closeTo(0.6, 12)]);
    expect(r.rows).toHaveLength(8);
    await expect(runBiasProbe({ templates: ['no placeholder'], groups: { a: ['x'], b: ['y'] } }, scorer)).rejects.toThrow(ConfigError);
  });
});

describe('hallucination helpers', () => {
  it('splits sentences with offsets, keeping abbreviations and decimals', () => {
    const text = 'Dr. Smith paid 3.5 dollars. He left! Did he return? Yes.';
    const s = splitSentences(text);
    expect(s.map((x) => x.text)).toEqual(['Dr. Smith paid 3.5 dollars.', 'He left!', 'Did he return?', 'Yes.']);
    for (const x of s) expect(text.slice(x.start, x.end)).toBe(x.text);
    expect(splitClaims('Paris is the capital of France, and it has 90 million inhabitants.').map((c) => c.text)).toEqual(['Paris is the capital of France', 'it has 90 million inhabitants.']);
  });
  it('scores lexical support and flags the unsupported sentence', async () => {
    const passages = ['Paris is the capital and most populous city of France.', 'The Seine flows through Paris.'];
    expect(lexicalSupport('The capital of France is Paris.', passages[0]!)).toBe(1);
    const units = await scoreSupport('Paris is the capital of France. The Eiffel Tower was built in 1999 by aliens.', passages);
    expect(units.map((u) => u.supported)).toEqual([true, false]);
    expect(units[0]!.passage).toBe(0);
  });
  it('combines embedding similarity from an Embedder', async () => {
    // A tiny bag-of-letters embedder (a real Embedder implementation, only crude).
    const embedder: Embedder = {
      id: 'letters', dimension: 26, maxBatchSize: 16, normalized: false,
      embed: async (texts) => texts.map((t) => {
        const v = new Float32Array(26);
        for (const ch of t.toLowerCase()) { const c = ch.charCodeAt(0) - 97; if (c >= 0 && c < 26) v[c]! += 1; }
        return v;
      }),
    };
    const units = await scoreSupport('Paris is the capital of France.', ['Paris is the capital of France.'], { embedder });
    expect(units[0]!.semantic).toBeCloseTo(1, 6);
    expect(units[0]!.score).toBeCloseTo(1, 6);
    expect(cosine([1, 0], [0, 1])).toBe(0);
  });
});

describe('BLEU with a vocabulary beyond 65536 tokens (two-unit n-gram keys)', () => {
  it('gives the same segment statistics', () => {
    const filler = Array.from({ length: 70000 }, (_, i) => `w${i}`).join(' ');
    const hyp = 'the cat sat on the mat today';
    const ref = 'the cat was sitting on the mat today';
    const big = new Bleu().segmentStatistics([filler, hyp], [[filler, ref]]);
    const small = new Bleu().segmentStatistics([hyp], [[ref]]);
    expect(big[1]).toEqual(small[0]);
    expect(big[0]![2]).toBe(70000);
  });
});

describe('BLEU tokenizers beyond the published cases', async () => {
  const { tokenizeZh, tokenize13a, tokenizeIntl, tokenizeChar } = await import('./bleu/tokenizers.js');
  it('zh splits CJK characters and tokenizes the rest like 13a (without its padding)', () => {
    expect(tokenizeZh('我爱北京天安门。Hello, world!')).toBe('我 爱 北 京 天 安 门 。 Hello , world !');
    // sacreBLEU compares code points with two-character Python literals ('\u20000'), so U+2001–U+2A6D count as
    // Chinese: the right single quote is split off.
    expect(tokenizeZh('don’t')).toBe('don ’ t');
  });
  it('13a, intl and char', () => {
    expect(tokenize13a('Hello, "world" &amp; 3.14-2 A.B.')).toBe('Hello , " world " & 3.14 - 2 A . B .');
    expect(tokenizeIntl('¿Qué? 3,5 €')).toBe('¿ Qué ? 3,5 €');
    expect(tokenizeChar('a😀b')).toBe('a 😀 b');
  });
});
