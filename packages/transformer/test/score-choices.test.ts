import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, initBackend, tf, type Tensor } from '@llm/core';
import { scoreChoices, type ScoringModel } from '../src/index.js';
import { CharTokenizer } from './toy-tokenizer.js';

beforeAll(async () => { await initBackend(); });

const V = 96;
const tok = new CharTokenizer(V);
/** A "counting" model: after token t it puts logit 4 on t + 1 and 0 elsewhere (a closed form to check against). */
function counter(contextLength: number): ScoringModel & { seen: number[][][] } {
  const seen: number[][][] = [];
  return {
    contextLength,
    seen,
    forward(ids: readonly (readonly number[])[]): Tensor {
      seen.push(ids.map((r) => [...r]));
      return tf.tidy(() => tf.mul(tf.oneHot(tf.tensor2d(ids.map((r) => r.map((t) => (t + 1) % V)), undefined, 'int32'), V), 4));
    },
  };
}
// log p(next = t + 1) and log p(any other token) under the counting model.
const hit = 4 - Math.log(Math.exp(4) + V - 1);
const miss = -Math.log(Math.exp(4) + V - 1);

describe('scoreChoices', () => {
  it('sums the log-probabilities of each choice after the prompt and picks the best', () => {
    const r = scoreChoices(counter(64), tok, 'abc', ['d', 'x', 'de', 'dx']);
    expect(r.logProbs[0]).toBeCloseTo(hit, 5);
    expect(r.logProbs[1]).toBeCloseTo(miss, 5);
    expect(r.logProbs[2]).toBeCloseTo(2 * hit, 5);
    expect(r.logProbs[3]).toBeCloseTo(hit + miss, 5);
    expect(r.meanLogProbs[2]).toBeCloseTo(hit, 5);
    expect(r.best).toBe(0);
  });

  it('cuts the prompt from the left to fit the context', () => {
    const m = counter(6);
    const r = scoreChoices(m, tok, 'xyzabc', ['d', 'de']);
    expect(m.seen[0]!.every((row) => row.length <= 6)).toBe(true);
    expect(m.seen[0]![1]).toEqual(tok.encode('zabcde').ids);
    expect(r.best).toBe(0); // one likely token has a higher sum than two
    expect(r.logProbs[1]).toBeCloseTo(2 * hit, 5);
  });

  it('rejects empty choices and choices longer than the context', () => {
    expect(() => scoreChoices(counter(8), tok, 'a', [])).toThrow(InputError);
    expect(() => scoreChoices(counter(4), tok, 'a', ['abcdef'])).toThrow(InputError);
  });
});
