import { describe, expect, it } from 'vitest';
import { Rng } from '@llm/core';
import { pyRstrip, pySplit } from '../text.js';
import { Bleu } from './bleu.js';
import { tokenize13a } from './tokenizers.js';

// A direct transcription of sacreBLEU's extract_all_word_ngrams / _compute_segment_statistics on
// token strings (n-grams as joined keys), the oracle for the id-based matcher and its long-segment path.
function naiveStats(hyp: string, refs: readonly string[], maxOrder: number): number[] {
  const toks = (s: string) => pySplit(tokenize13a(pyRstrip(s)));
  const grams = (t: string[]) => {
    const m = new Map<string, number>();
    for (let n = 1; n <= maxOrder; n++) for (let i = 0; i + n <= t.length; i++) {
      const k = `${n}\u0001${t.slice(i, i + n).join('\u0002')}`;
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const h = toks(hyp);
  const refMax = new Map<string, number>();
  let refLen = -1;
  let diff = -1;
  for (const r of refs) {
    const t = toks(r);
    const d = Math.abs(h.length - t.length);
    if (diff === -1 || d < diff) [diff, refLen] = [d, t.length];
    else if (d === diff && t.length < refLen) refLen = t.length;
    for (const [k, c] of grams(t)) if ((refMax.get(k) ?? 0) < c) refMax.set(k, c);
  }
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  for (const [k, c] of grams(h)) {
    const n = Number(k.slice(0, k.indexOf('\u0001')));
    total[n - 1]! += c;
    correct[n - 1]! += Math.min(c, refMax.get(k) ?? 0);
  }
  return [h.length, refLen, ...correct, ...total];
}

function randomText(rng: Rng, words: number, vocab: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const w = `w${rng.int(vocab)}`;
    out.push(rng.int(10) === 0 ? `${w},` : w);
  }
  return out.join(' ');
}

describe('BLEU segment statistics equal a direct n-gram count', () => {
  it('short segments, 1–3 references, orders 1–6 (the id matcher)', () => {
    const rng = new Rng(11);
    for (const order of [1, 2, 4, 6]) {
      const bleu = new Bleu({ maxNgramOrder: order });
      for (let k = 0; k < 150; k++) {
        const vocab = 2 + rng.int(12);
        const hyp = randomText(rng, rng.int(20), vocab);
        const refs = Array.from({ length: 1 + rng.int(3) }, () => randomText(rng, rng.int(20), vocab));
        const ours = bleu.segmentStatistics([hyp], refs.map((r) => [r]))[0];
        expect(ours, JSON.stringify({ hyp, refs })).toEqual(naiveStats(hyp, refs, order));
      }
    }
  });
  it('segments longer than the matcher tables (the general path), and a mix in one corpus', () => {
    const rng = new Rng(12);
    const bleu = new Bleu();
    const hyps: string[] = [];
    const refs: string[][] = [[], []];
    for (let k = 0; k < 6; k++) {
      const long = k % 2 === 0;
      hyps.push(randomText(rng, long ? 1500 : 15, 40));
      refs[0]!.push(randomText(rng, long ? 1200 : 12, 40));
      refs[1]!.push(randomText(rng, long ? 900 : 18, 40));
    }
    const ours = bleu.segmentStatistics(hyps, refs);
    hyps.forEach((h, i) => expect(ours[i]).toEqual(naiveStats(h, [refs[0]![i]!, refs[1]![i]!], 4)));
  });
});
