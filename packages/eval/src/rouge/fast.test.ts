import { describe, expect, it } from 'vitest';
import { Rng } from '@llm/core';
import { PorterStemmer } from './porter.js';
import { RougeScorer, scoreLcs, scoreNgrams, summaryLevelLcs, type RougeScore } from './scorer.js';
import { rougeTokenize } from './tokenize.js';

// The string-level transcription of rouge-score (tokens as strings, n-grams as joined keys), the
// oracle for RougeScorer's id-based path.
function oracle(target: string, prediction: string, types: readonly string[], stem: boolean, unicode: boolean, custom?: (s: string) => string[]): Record<string, RougeScore> {
  const stemmer = stem ? new PorterStemmer() : null;
  const tok = custom ?? ((s: string) => rougeTokenize(s, { stemmer, unicode }));
  const grams = (t: string[], n: number) => {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= t.length; i++) m.set(t.slice(i, i + n).join(' '), (m.get(t.slice(i, i + n).join(' ')) ?? 0) + 1);
    return m;
  };
  const sents = (s: string) => s.split('\n').filter((x) => x.length > 0).map(tok);
  const out: Record<string, RougeScore> = {};
  for (const type of types) {
    if (type === 'rougeL') out[type] = scoreLcs(tok(target), tok(prediction));
    else if (type === 'rougeLsum') out[type] = summaryLevelLcs(sents(target), sents(prediction));
    else out[type] = scoreNgrams(grams(tok(target), Number(type.slice(5))), grams(tok(prediction), Number(type.slice(5))));
  }
  return out;
}

const WORDS = ['the', 'The', 'RUNNING', 'runs', 'runner', 'generously', 'dog', 'dogs', 'a', 'café', 'naïve', 'K', '\u212a', 'İstanbul', 'Привет', '2024', 'x1', 'caresses', 'ponies', 'sky', 'skies', 'dying', 'agreed', 'happy', 'and'];
const SEPS = [' ', ' ', ' ', ', ', '. ', '\n', '\n\n', ' - ', '!', '  '];

function text(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += WORDS[rng.int(WORDS.length)]! + SEPS[rng.int(SEPS.length)]!;
  return rng.int(3) === 0 ? s.trim() : s;
}

describe('RougeScorer (token ids) equals the string-level rouge-score algorithm', () => {
  const types = ['rouge1', 'rouge2', 'rouge3', 'rougeL', 'rougeLsum'];
  it.each([[false, false], [true, false], [false, true], [true, true]])('stem=%s unicode=%s, 400 random multi-line pairs', (stem, unicode) => {
    const rng = new Rng(stem ? 3 : 4);
    const scorer = new RougeScorer(types, { useStemmer: stem, unicode });
    const lsumOnly = new RougeScorer(['rougeLsum'], { useStemmer: stem, unicode });
    for (let k = 0; k < 400; k++) {
      const t = text(rng, rng.int(25));
      const p = text(rng, rng.int(25));
      const want = oracle(t, p, types, stem, unicode);
      expect(scorer.score(t, p), JSON.stringify({ t, p })).toEqual(want);
      expect(lsumOnly.score(t, p).rougeLsum).toEqual(want.rougeLsum);
    }
  });
  it('a custom tokenizer, and texts longer than the n-gram matcher tables', () => {
    const rng = new Rng(5);
    const custom = (s: string) => s.split(/\s+/).filter(Boolean);
    const scorer = new RougeScorer(['rouge1', 'rouge4', 'rougeL'], { tokenizer: custom });
    const long = new RougeScorer(['rouge1', 'rouge2', 'rougeL', 'rougeLsum']);
    for (let k = 0; k < 100; k++) {
      const t = text(rng, rng.int(30));
      const p = text(rng, rng.int(30));
      expect(scorer.score(t, p)).toEqual(oracle(t, p, ['rouge1', 'rouge4', 'rougeL'], false, false, custom));
    }
    const t = text(rng, 1500);
    const p = text(rng, 1200);
    expect(long.score(t, p)).toEqual(oracle(t, p, ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'], false, false));
  });
});
