import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { FormatError, Rng, initBackend } from '@llm/core';
import { answerQuestion, loadBertQa, maskTokens, parseSquad, predictSquad, saveBertQa, slidingWindowAnswer, trainBertQa } from '../index.js';

beforeAll(async () => { await initBackend(); });

const squad = {
  version: '1.1',
  data: [{
    title: 't',
    paragraphs: ['Paris', 'Madrid', 'Rome', 'Berlin', 'Lisbon', 'Vienna'].map((city, i) => ({
      context: `The capital of country ${i} is ${city}. It has many bridges and old houses.`,
      qas: [{ id: `q${i}`, question: `What is the capital of country ${i}?`, answers: [{ text: city, answer_start: `The capital of country ${i} is `.length }] }],
    })),
  }],
};

describe('BERT QA task', () => {
  it('parses SQuAD and names a malformed field', () => {
    const ex = parseSquad(squad);
    expect(ex).toHaveLength(6);
    expect(ex[0]!.context.slice(ex[0]!.answers[0]!.start)).toMatch(/^Paris/);
    expect(() => parseSquad({ data: [{ paragraphs: [{ qas: [] }] }] }, 'x.json')).toThrow(FormatError);
  });

  it('the sliding-window baseline picks words near the question words', () => {
    expect(slidingWindowAnswer('Who wrote the letter to Emma?', 'It rained all day. The letter to Emma was written by Frank Churchill in Weymouth. Nobody knew.')).toContain('Frank');
  });

  it('masks about 15% of regular tokens, never specials', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => (i % 50 === 0 ? 2 : 10 + (i % 90)));
    const { labels } = maskTokens(ids, new Rng(1), 4, 100, 5);
    const n = labels.filter((l) => l !== -100).length;
    expect(n / 2000).toBeGreaterThan(0.11);
    expect(n / 2000).toBeLessThan(0.19);
    ids.forEach((id, i) => { if (id < 5) expect(labels[i]).toBe(-100); });
  });

  it('MLM 6 steps then QA 12 steps: QA loss decreases, answers are context substrings, save/load round-trips', async () => {
    const ex = parseSquad(squad);
    const text = ex.map((e) => e.context).join('\n\n').repeat(5);
    const heads: string[] = [];
    const qa = await trainBertQa(ex, ex, { text, vocabSize: 200, hiddenSize: 32, layers: 1, heads: 2, maxLen: 48, docStride: 16, mlmSteps: 6, qaSteps: 12, batchSize: 6, qaLr: 5e-3, onPretrained: async (m) => { heads.push(m.config.head); } });
    expect(heads).toEqual(['mlm']);
    expect(qa.qaCurve.at(-1)!.evalLoss!).toBeLessThan(qa.qaCurve[0]!.evalLoss!);
    const a = answerQuestion(qa, ex[0]!.question, ex[0]!.context);
    expect(ex[0]!.context.toLowerCase()).toContain(a.answer.toLowerCase());
    const dir = await mkdtemp(join(tmpdir(), 'qa-'));
    try {
      await saveBertQa(dir, qa);
      const back = await loadBertQa(dir);
      expect((await predictSquad(back, ex.slice(0, 1))).q0).toBe(a.answer);
      back.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      qa.model.dispose();
    }
  }, 60_000);
});
