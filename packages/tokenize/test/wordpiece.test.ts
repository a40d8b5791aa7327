import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { InputError, parseGguf } from '@llm/core';
import * as native from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { HfTokenizer, tokenizerFromGguf, WordPieceModel, type TruncationOptions } from '../src/index.js';

// BERT uncased WordPiece (the bge vocabulary from llama.cpp's test set), with pairs, truncation
// and padding checked against the native HF tokenizers package loading the same tokenizer.json.
const gguf = parseGguf(brotliDecompressSync(readFileSync(join(__dirname, '..', 'fixtures', 'llama-vocab', 'ggml-vocab-bert-bge.gguf.br'))));
const bert = tokenizerFromGguf(gguf);
const dir = mkdtempSync(join(tmpdir(), 'wp-'));

const pairs: Array<[string, string]> = [
  ['The quick brown fox jumps over the lazy dog.', 'A short one.'],
  ['Short.', 'This second sentence is quite a bit longer than the first one, with many words.'],
  ['Équipe naïve: CAFÉ!', '日本語のテキスト and 中文 mixed'],
  ['unaffable antidisestablishmentarianism', 'x'],
];

describe('WordPiece (BERT)', () => {
  it('basic tokenizer: lowercase, accents, punctuation and CJK split, ## continuations, [UNK]', () => {
    const e = bert.encode('Héllo, WORLD! 日本 unaffable 🦙', undefined, { addSpecialTokens: true });
    expect(e.tokens[0]).toBe('[CLS]');
    expect(e.tokens[e.tokens.length - 1]).toBe('[SEP]');
    expect(e.tokens).toContain('hello');
    expect(e.tokens).toContain(',');
    expect(e.tokens).toContain('日');
    expect(e.tokens).toContain('本');
    expect(e.tokens.some((t) => t.startsWith('##'))).toBe(true);
    expect(e.tokens).toContain('[UNK]');
    expect(e.specialTokensMask[0]).toBe(1);
    // Offsets point back into the original text (accented and upper-case).
    const i = e.tokens.indexOf('hello');
    expect('Héllo, WORLD! 日本 unaffable 🦙'.slice(...e.offsets[i]!)).toBe('Héllo');
    expect(bert.decode(e.ids, { skipSpecialTokens: true })).toBe('hello, world! 日 本 unaffable');
    expect(bert.decode(e.ids)).toBe('[CLS] hello, world! 日 本 unaffable [UNK] [SEP]');
  });

  it('max characters per word gives [UNK]', () => {
    const m = new WordPieceModel(new Map([['[UNK]', 0], ['a', 1], ['##a', 2]]), { maxInputCharsPerWord: 5 });
    expect(m.tokenize('aaaaa').map((t) => t.id)).toEqual([1, 2, 2, 2, 2]);
    expect(m.tokenize('aaaaaa').map((t) => t.id)).toEqual([0]);
    expect(m.tokenize('ab').map((t) => t.id)).toEqual([0]);
  });

  const strategies: Array<TruncationOptions['strategy']> = ['longest_first', 'only_first', 'only_second'];
  it.each(strategies)('pairs with truncation %s and padding match native tokenizers', async (strategy) => {
    const t = HfTokenizer.fromJSON(bert.toJSON());
    t.truncation = { maxLength: 14, strategy };
    t.padding = { strategy: 'fixed', length: 16, padId: 0, padToken: '[PAD]' };
    const path = join(dir, `bert-${strategy}.json`);
    await t.save(path);
    const nat = native.Tokenizer.fromFile(path);
    for (const [a, b] of pairs) {
      let mine;
      try { mine = t.encode(a, b); } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        await expect(nat.encode(a, b, { addSpecialTokens: true })).rejects.toThrow();
        continue;
      }
      const n = await nat.encode(a, b, { addSpecialTokens: true });
      expect([mine.ids, mine.typeIds, mine.attentionMask, mine.specialTokensMask]).toEqual([n.getIds(), n.getTypeIds(), n.getAttentionMask(), n.getSpecialTokensMask()]);
      expect(mine.ids.length).toBe(16);
    }
  });

  it('batch padding to the longest, left or right', async () => {
    const t = HfTokenizer.fromJSON(bert.toJSON());
    t.padding = { strategy: 'longest', padId: 0, padToken: '[PAD]', direction: 'left' };
    const path = join(dir, 'bert-left.json');
    await t.save(path);
    const nat = native.Tokenizer.fromFile(path);
    const mine = t.encodeBatch(['one', 'two three four five', 'a b c']);
    const theirs = await nat.encodeBatch(['one', 'two three four five', 'a b c'], { addSpecialTokens: true });
    expect(mine.map((e) => [e.ids, e.attentionMask, e.typeIds])).toEqual(theirs.map((e) => [e.getIds(), e.getAttentionMask(), e.getTypeIds()]));
    expect(new Set(mine.map((e) => e.ids.length)).size).toBe(1);
    expect(mine[0]!.attentionMask[0]).toBe(0);
  });
});
