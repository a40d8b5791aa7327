import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { initBackend, ConfigError } from '@llm/core';
import { bookOf, crossAttention, heatmapSvg, loadDomainSplit, loadLibreOfficePairs, loadTranslator, parseTranslatorDomain, saveTranslator, splitByBooks, splitByPages, trainTranslator, translateText, type ParallelPair } from '../index.js';

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

  it('parses --domain values and rejects the rest', () => {
    expect(parseTranslatorDomain('both')).toBe('both');
    expect(parseTranslatorDomain('libreoffice')).toBe('libreoffice');
    expect(() => parseTranslatorDomain('news')).toThrow(ConfigError);
    expect(() => splitByPages(pairs, 0)).toThrow(ConfigError);
  });

  it('holds out whole help pages: no page on both sides, the same split every time', () => {
    const help: ParallelPair[] = [];
    for (let p = 0; p < 400; p++) for (let i = 0; i < 3; i++) help.push({ ref: `text/page${p}.xhp#par_${i}`, book: `text/page${p}.xhp`, src: `s${p}.${i}`, tgt: `t${p}.${i}`, domain: 'libreoffice' });
    const a = splitByPages(help, 0.1);
    const b = splitByPages(help, 0.1);
    expect(a.test.map((x) => x.ref)).toEqual(b.test.map((x) => x.ref));
    const testPages = new Set(a.test.map((x) => x.book));
    expect(a.train.some((x) => testPages.has(x.book))).toBe(false);
    expect(a.test.length % 3).toBe(0);
    expect(testPages.size).toBeGreaterThan(20);
    expect(testPages.size).toBeLessThan(70);
  });

  it('reads the bundled LibreOffice help as es→en pairs keyed by page; the held-out pages are a small share', async () => {
    const lo = await loadLibreOfficePairs();
    expect(lo.length).toBeGreaterThan(25_000);
    const first = lo[0]!;
    expect(first).toMatchObject({ src: '¿Qué es Access2Base?', tgt: 'What is Access2Base?', book: 'text/sbasic/guide/access2base.html', domain: 'libreoffice' });
    expect(lo.every((p) => p.src !== p.tgt && !p.book.includes('#'))).toBe(true);
    const { train, test } = await loadDomainSplit('libreoffice');
    expect(train.length + test.length).toBe(lo.length);
    expect(test.length / lo.length).toBeGreaterThan(0.005);
    expect(test.length / lo.length).toBeLessThan(0.06);
  }, 30_000);
});
