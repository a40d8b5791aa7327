import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError } from '@llm/core';
import { evaluateSquad, exactMatch, normalizeAnswer, squadF1, squadQuestions } from './squad.js';

describe('SQuAD v1.1 official metric', () => {
  it('normalizes like evaluate-v1.1.py', () => {
    expect(normalizeAnswer('The  Denver Broncos!')).toBe('denver broncos');
    expect(normalizeAnswer('an apple, a pear and the fig')).toBe('apple pear and fig');
    expect(normalizeAnswer('theatre')).toBe('theatre');
    // Only ASCII punctuation is removed; '—' is not a word character, so 'the' after it is an article.
    expect(normalizeAnswer('l’été—the end')).toBe('l’été— end');
    expect(normalizeAnswer('Thé a')).toBe('thé');
  });
  it('exact match and F1', () => {
    expect(exactMatch('Denver Broncos', 'the denver broncos.')).toBe(1);
    expect(squadF1('Denver Broncos', 'Denver Broncos won')).toBeCloseTo(0.8, 12);
    expect(squadF1('a', 'the')).toBe(0);
    expect(squadF1('cat cat dog', 'cat dog dog')).toBeCloseTo(2 / 3, 12);
  });
  const data = JSON.parse(gunzipSync(readFileSync(new URL('../../../data/qa/faq-squad-dev.json.gz', import.meta.url))).toString('utf8')) as unknown;
  it('gives 100/100 for the first reference answers of the bundled FAQ dev set, and 0 for unanswered', () => {
    const { questions } = squadQuestions(data);
    expect(questions.length).toBeGreaterThan(10);
    const perfect = Object.fromEntries(questions.map((q) => [q.id, q.answers[0]!]));
    expect(evaluateSquad(data, perfect)).toMatchObject({ exact_match: 100, f1: 100, total: questions.length });
    const half = Object.fromEntries(questions.slice(0, 10).map((q) => [q.id, q.answers[0]!]));
    const r = evaluateSquad(data, half);
    expect(r.exact_match).toBeCloseTo((100 * 10) / questions.length, 10);
    expect(r.unanswered.length).toBe(questions.length - 10);
  });
  it('names the JSON path of invalid input', () => {
    const bad = { version: '1.1', data: [{ paragraphs: [{ context: 'x', qas: [{ id: 'a', answers: [{ text: 'x' }] }, { id: 'b', answers: 'oops' }] }] }] };
    try {
      evaluateSquad(bad, {});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).location.field).toBe('data[0].paragraphs[0].qas[1].answers');
    }
    expect(() => evaluateSquad({ data: {} }, {})).toThrow(/"data" must be an array/);
    expect(() => evaluateSquad({ data: [] }, { q: 3 })).toThrow(FormatError);
  });
});
