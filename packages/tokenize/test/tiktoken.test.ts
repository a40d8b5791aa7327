import { datasetRows, FormatError, InputError, loadText, NotFoundError } from '@llm/core';
import { getEncoding as refEncoding } from 'js-tiktoken';
import { encode as gptTokEncode } from 'gpt-tokenizer/encoding/o200k_base';
import { encode as gptTokCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as gptTokR50k } from 'gpt-tokenizer/encoding/r50k_base';
import { beforeAll, describe, expect, it } from 'vitest';
import { getEncoding, parseTiktokenRanks, readRankFile, findRankFile, type TiktokenTokenizer } from '../src/index.js';

// Reference ids: gpt-tokenizer on every line of the bundled Austen novels and the Spanish (and
// English) Bible, and js-tiktoken on every 7th line (it is slower; the benchmark script
// benchmarks/tokenize/bench.ts checks every line against every peer).
let lines: string[] = [];

beforeAll(async () => {
  const austen = (await loadText('austen')).split('\n');
  const bible: string[] = [];
  for await (const row of datasetRows('bible-es-en')) bible.push(row.values['es_rv1909'] ?? '', row.values['en_kjv'] ?? '');
  lines = [...austen, ...bible].filter((l) => l.length > 0);
}, 60_000);

const GPT_TOKENIZER = { r50k_base: gptTokR50k, cl100k_base: gptTokCl100k, o200k_base: gptTokEncode } as const;

describe.each(['r50k_base', 'cl100k_base', 'o200k_base'] as const)('%s matches gpt-tokenizer and js-tiktoken', (name) => {
  it('on every line of Austen and the Bible (es + en)', () => {
    const ours = getEncoding(name);
    const js = refEncoding(name);
    const gpt = GPT_TOKENIZER[name];
    let bad = 0;
    let first = '';
    let tokens = 0;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      const a = ours.encodeOrdinary(l);
      const b = i % 7 === 0 ? js.encode(l) : gpt(l, { disallowedSpecial: new Set() });
      tokens += a.length;
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
        if (bad++ === 0) first = `${JSON.stringify(l)}: ${a.join(',')} vs ${b.join(',')}`;
      }
    }
    expect(lines.length).toBeGreaterThan(100_000);
    expect(tokens).toBeGreaterThan(1_000_000);
    expect(first).toBe('');
    expect(bad).toBe(0);
  });
});

describe('tiktoken semantics', () => {
  let enc: TiktokenTokenizer;
  beforeAll(() => { enc = getEncoding('cl100k_base'); });

  it('agrees with gpt-tokenizer on o200k for mixed scripts and code', () => {
    const o = getEncoding('o200k_base');
    const samples = ["HELLO World's CamelCaseWords don'T", 'línea 123456 ¿qué?\r\n\n  x', '日本語のテキスト、中文。 😶‍🌫️', 'a/b//c\n/ end', "  tabs\t\there  \n\n\nand'RE"];
    for (const s of samples) expect(o.encodeOrdinary(s)).toEqual(gptTokEncode(s));
  });

  it('rejects disallowed special tokens by default, with the index', () => {
    const text = 'hello <|endoftext|> world';
    expect(() => enc.encodeIds(text)).toThrow(InputError);
    try { enc.encodeIds(text); } catch (e) { expect((e as InputError).location.column).toBe(7); expect((e as Error).message).toContain('<|endoftext|>'); }
    expect(enc.encodeIds(text, { allowedSpecial: 'all' })).toEqual(refEncoding('cl100k_base').encode(text, 'all'));
    expect(enc.encodeIds(text, { allowedSpecial: ['<|endoftext|>'] })).toContain(100257);
    // disallowedSpecial: [] encodes the text as ordinary text.
    expect(enc.encodeIds(text, { disallowedSpecial: [] })).toEqual(enc.encodeOrdinary(text));
    expect(enc.encodeOrdinary(text)).not.toContain(100257);
    // Only the listed ones are allowed; another special is still an error.
    expect(() => enc.encodeIds('<|fim_prefix|>', { allowedSpecial: ['<|endoftext|>'] })).toThrow(/fim_prefix/);
  });

  it('decodes bytes and strings, lossy or strict', () => {
    const ids = enc.encodeOrdinary('naïve café 😀');
    expect(enc.decode(ids)).toBe('naïve café 😀');
    const emoji = enc.encodeOrdinary('😀');
    expect(emoji.length).toBeGreaterThan(1);
    const partial = emoji.slice(0, 1);
    expect(enc.decode(partial)).toContain('\uFFFD');
    expect(() => enc.decode(partial, { strict: true })).toThrow(FormatError);
    expect(Array.from(enc.decodeBytes(partial))).toEqual(Array.from(Buffer.from('😀')).slice(0, enc.decodeBytes(partial).length));
    expect(() => enc.decode([10_000_000])).toThrow(InputError);
    expect(enc.decode([100257], { skipSpecialTokens: true })).toBe('');
    expect(enc.decode([100257])).toBe('<|endoftext|>');
  });

  it('counts, batches and maps tokens to character offsets', () => {
    const text = 'Hola, señor 😀 mundo';
    expect(enc.count(text)).toBe(enc.encodeOrdinary(text).length);
    expect(enc.encodeBatch(['a b', 'c'])).toEqual([enc.encodeOrdinary('a b'), enc.encodeOrdinary('c')]);
    const { ids, offsets } = enc.encodeWithOffsets(text);
    expect(offsets).toHaveLength(ids.length);
    // Offsets tile the text in order; joined spans of whole-character tokens rebuild the text.
    expect(offsets[0]![0]).toBe(0);
    expect(offsets[offsets.length - 1]![1]).toBe(text.length);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]![0]).toBeGreaterThanOrEqual(offsets[i - 1]![0]);
    const e = enc.encode('Hola, señor');
    expect(e.tokens.join('')).toBe('HolaĠseÃ±or'.replace('Ġ', ',Ġ'));
    expect(e.offsets.map(([a, b]) => 'Hola, señor'.slice(a, b)).join('')).toBe('Hola, señor');
    expect(enc.tokenToId(e.tokens[0]!)).toBe(e.ids[0]);
    expect(enc.encodeOrdinary('')).toEqual([]);
    expect(enc.decode([])).toBe('');
  });

  it('finds the rank files in the installed packages and validates them', () => {
    const f = findRankFile('cl100k_base');
    expect(f.path).toMatch(/node_modules/);
    expect(readRankFile(f.path, f.kind).size).toBe(100256);
    expect(() => parseTiktokenRanks('IQ== 0\n!!!! 1\n', 'bad.tiktoken')).toThrow(FormatError);
    expect(() => parseTiktokenRanks('IQ== 0\nIQ== 1\n', 'bad.tiktoken')).toThrow(/duplicate token/);
    expect(() => parseTiktokenRanks('IQ== 0 9\n', 'bad.tiktoken')).toThrow(/expected/);
    expect(() => parseTiktokenRanks('', 'empty.tiktoken')).toThrow(/no ranks/);
    expect(() => readRankFile('/nonexistent/x.tiktoken')).toThrow(NotFoundError);
    try { parseTiktokenRanks('IQ== 0\nIg== x\n', 'bad.tiktoken'); } catch (e) { expect((e as FormatError).location).toMatchObject({ file: 'bad.tiktoken', line: 2 }); }
  });
});
