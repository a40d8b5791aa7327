import { describe, expect, it } from 'vitest';
import { CancelledError, InputError, Rng } from '@llm/core';
import { NgramLanguageModel, EOT_ID, IM_END_ID, paragraphs } from './ngram.js';
import { HashingEmbedder } from './hashing-embedder.js';
import { StopMatcher } from './stop.js';
import { sampleToken } from './sampling.js';

const docs = paragraphs('the cat sat on the mat.\n\nthe dog sat on the log.\n\nthe cat ate the rat.\n\n');

describe('NgramLanguageModel', () => {
  const model = NgramLanguageModel.train(docs, { order: 3, id: 'tiny' });

  it('gives a proper distribution for seen and unseen contexts', () => {
    for (const ctx of ['the c', 'zzz', '', 'the cat sat on the m']) {
      const p = model.probabilities(model.tokenize(ctx));
      let s = 0;
      for (const x of p) {
        expect(x).toBeGreaterThan(0);
        s += x;
      }
      expect(s).toBeCloseTo(1, 10);
    }
  });

  it('learns the training text: after "the m" the next byte is "a"', () => {
    const p = model.probabilities(model.tokenize('on the m'));
    const best = p.indexOf(Math.max(...p));
    expect(String.fromCharCode(best)).toBe('a');
    // a paragraph end is likely after "mat."
    const q = model.probabilities(model.tokenize('the mat.'));
    expect(q[EOT_ID]).toBeGreaterThan(0.3);
  });

  it('interpolated KN gives lower perplexity on held-in text than a unigram would', async () => {
    const ids = model.tokenize('the cat sat on the mat.');
    let nll = 0;
    for (let i = 0; i < ids.length; i++) nll -= Math.log(model.probabilities(ids.slice(0, i))[ids[i]!]!);
    expect(Math.exp(nll / ids.length)).toBeLessThan(3);
    const { logits } = await model.nextTokenLogits(model.tokenize('the c'));
    expect(logits.length).toBe(259);
  });

  it('tokenizes the ChatML special tokens and renders the chat template', () => {
    const prompt = model.applyChatTemplate([{ role: 'user', content: 'hi' }]);
    expect(prompt).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    const ids = model.tokenize(prompt);
    expect(ids[0]).toBe(257);
    expect(ids).toContain(IM_END_ID);
    expect(model.decode(ids)).toBe('user\nhi\nassistant\n');
    expect(model.tokenize('é')).toEqual([0xc3, 0xa9]);
  });

  it('is deterministic by seed, and greedy at temperature 0', async () => {
    const a = await model.generate('the ', { seed: 5, maxTokens: 40 });
    const b = await model.generate('the ', { seed: 5, maxTokens: 40 });
    const c = await model.generate('the ', { seed: 6, maxTokens: 40, temperature: 1.5 });
    expect(a.text).toBe(b.text);
    expect(a.tokens.length).toBeGreaterThan(0);
    expect(c.text === a.text && c.tokens.length === a.tokens.length).toBe(false);
    const g1 = await model.generate('the d', { temperature: 0, maxTokens: 10, seed: 1 });
    const g2 = await model.generate('the d', { temperature: 0, maxTokens: 10, seed: 2 });
    expect(g1.text).toBe(g2.text);
    expect(g1.text.startsWith('og')).toBe(true);
  });

  it('stops at stop strings (withheld), at maxTokens (length) and at end of text (stop)', async () => {
    const s = await model.generate('the d', { temperature: 0, maxTokens: 50, stop: [' on'] });
    expect(s.text).toBe('og sat');
    expect(s.finishReason).toBe('stop');
    const l = await model.generate('the d', { temperature: 0, maxTokens: 3 });
    expect(l.finishReason).toBe('length');
    expect(l.tokens.length).toBe(3);
    const m4 = NgramLanguageModel.train(docs, { order: 4 });
    const e = await m4.generate('the dog sat on the lo', { temperature: 0, maxTokens: 50 });
    expect(e.text).toBe('g.');
    expect(e.finishReason).toBe('stop');
  });

  it('streams chunks and stops with CancelledError when aborted', async () => {
    const ac = new AbortController();
    let n = 0;
    const run = async () => {
      for await (const _ of model.stream('the cat sat on the ', { maxTokens: 10_000, signal: ac.signal, temperature: 0 })) {
        if (++n === 5) ac.abort();
      }
    };
    await expect(run()).rejects.toBeInstanceOf(CancelledError);
    expect(n).toBe(5);
  });

  it('rejects a prompt beyond the context length and bad orders', async () => {
    const small = NgramLanguageModel.train(docs, { order: 2, contextLength: 8 });
    await expect(small.generate('0123456789', { maxTokens: 1 })).rejects.toBeInstanceOf(InputError);
    expect(() => NgramLanguageModel.train(docs, { order: 7 })).toThrow(InputError);
  });
});

describe('StopMatcher', () => {
  it('holds back partial matches and cuts at the earliest stop', () => {
    const m = new StopMatcher(['END', 'xy']);
    expect(m.push('abcE')).toEqual({ text: 'abc', stopped: false });
    expect(m.push('N')).toEqual({ text: '', stopped: false });
    expect(m.push('Q')).toEqual({ text: 'ENQ', stopped: false });
    expect(m.push('1x')).toEqual({ text: '1', stopped: false });
    expect(m.push('yEND')).toEqual({ text: '', stopped: true });
    const f = new StopMatcher(['abc']);
    f.push('ab');
    expect(f.flush()).toBe('ab');
  });
});

describe('sampleToken', () => {
  const p = [0.1, 0.5, 0.3, 0.1];
  it('top-k 1 and temperature 0 are greedy; top-p keeps the nucleus', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 50; i++) expect(sampleToken(p, { topK: 1 }, rng)).toBe(1);
    expect(sampleToken(p, { temperature: 0 }, rng)).toBe(1);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(sampleToken(p, { topP: 0.75 }, rng));
    expect([...seen].sort()).toEqual([1, 2]);
  });
  it('matches the distribution at temperature 1', () => {
    const rng = new Rng(2);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleToken(p, {}, rng)]!++;
    counts.forEach((c, i) => expect(c / 20000).toBeCloseTo(p[i]!, 1));
  });
});

describe('HashingEmbedder', () => {
  it('gives unit vectors; overlapping texts are closer', async () => {
    const e = new HashingEmbedder({ dimension: 128 });
    const [a, b, c] = await e.embed(['The cat sat on the mat', 'a cat sat on a mat', 'Stock markets fell sharply today']);
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(dot(a!, a!)).toBeCloseTo(1, 5);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!) + 0.3);
    expect(e.countTokens('The cat, the hat.')).toBe(4);
    const [z] = await e.embed(['']);
    expect(z!.every((v) => v === 0)).toBe(true);
  });
});
