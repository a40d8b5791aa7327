import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { initBackend, ConfigError } from '@llm/core';
import { bookOf, crossAttention, heatmapSvg, loadTranslator, saveTranslator, splitByBooks, trainTranslator, translateText, type ParallelPair } from '../index.js';

beforeAll(async () => { await initBackend(); });

const words: Array<[string, string]> = [['casa', 'house'], ['perro', 'dog'], ['gato', 'cat'], ['agua', 'water'], ['sol', 'sun'], ['luna', 'moon'], ['pan', 'bread'], ['rey', 'king'], ['mar', 'sea'], ['tierra', 'earth']];
const adj: Array<[string, string]> = [['grande', 'big'], ['bueno', 'good'], ['nuevo', 'new'], ['viejo', 'old'], ['blanco', 'white']];
const pairs: ParallelPair[] = [];
for (const [w, e] of words) for (const [a, b] of adj) pairs.push({ ref: `Toy 1:${pairs.length + 1}`, book: 'Toy', src: `el ${w} ${a}`, tgt: `the ${b} ${e}` });

describe('translator task', () => {
  it('parses books and rejects unknown held-out books', () => {
    expect(bookOf('I Samuel 3:4')).toBe('I Samuel');
    expect(() => splitByBooks(pairs, ['Nope'])).toThrow(ConfigError);
    expect(splitByBooks([...pairs, { ref: 'Ruth 1:1', book: 'Ruth', src: 'a', tgt: 'b' }], ['Ruth']).test).toHaveLength(1);
  });

  it('trains 20 steps on 50 pairs: loss decreases, beam search returns a sentence, save/load round-trips', async () => {
    const t = await trainTranslator({ pairs, heldOutBooks: [], vocabSize: 300, dModel: 32, heads: 2, layers: 1, dFf: 64, dropout: 0, steps: 20, batchSize: 16, lr: 3e-3, evalEvery: 5, evalPairs: 8 });
    const first = t.curve[0]!.evalLoss!;
    const last = t.curve[t.curve.length - 1]!.evalLoss!;
    expect(last).toBeLessThan(first);
    const out = await translateText(t, 'el perro grande', { beam: 3, maxTokens: 8 });
    expect(typeof out).toBe('string');
    expect(out.length).toBeGreaterThan(0);
    const att = crossAttention(t, 'el perro grande', 'the big dog');
    expect(att.weights).toHaveLength(att.tgtTokens.length);
    for (const row of att.weights) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(heatmapSvg(att.tgtTokens, att.srcTokens, att.weights)).toContain('<svg');
    const dir = await mkdtemp(join(tmpdir(), 'tr-'));
    try {
      await saveTranslator(dir, t);
      const back = await loadTranslator(dir);
      expect(await translateText(back, 'el perro grande', { beam: 3, maxTokens: 8 })).toBe(out);
      back.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      t.model.dispose();
    }
  }, 60_000);
});
