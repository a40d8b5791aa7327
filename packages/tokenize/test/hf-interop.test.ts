import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { datasetRows, FormatError, loadText, parseGguf } from '@llm/core';
import { Tokenizer as HfJsTokenizer } from '@huggingface/tokenizers';
import * as native from 'tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { HfTokenizer, tokenizerFromGguf, trainBpe, trainWordPiece } from '../src/index.js';

// A tokenizer.json written here must give the same ids in @huggingface/tokenizers (JS) and in the
// native `tokenizers` package (Rust, napi); one trained by the native package must load here.
const dir = mkdtempSync(join(tmpdir(), 'tok-interop-'));
let train: string[] = [];
let samples: string[] = [];

beforeAll(async () => {
  const austen = (await loadText('austen')).split('\n').filter((l) => l.length > 0);
  train = austen.filter((_, i) => i % 4 === 0);
  const es: string[] = [];
  let i = 0;
  for await (const row of datasetRows('bible-es-en')) { if (i++ % 50 === 0) es.push(row.values['es_rv1909'] ?? ''); }
  samples = [...austen.filter((_, k) => k % 97 === 1), ...es, "Don't   stop\tnow!\n\nNaïve café — ÀÉÎ 日本語 😶‍🌫️ 3.14159 <|endoftext|> [SEP]", '', ' ', 'a'];
}, 60_000);

function nativeIds(t: native.Tokenizer, text: string, pair?: string, add = true): Promise<number[]> {
  return t.encode(text, pair ?? null, { addSpecialTokens: add }).then((e) => e.getIds());
}

async function compare(ours: HfTokenizer, path: string, opts: { pairs?: boolean } = {}): Promise<void> {
  await ours.save(path);
  const json = JSON.parse(readFileSync(path, 'utf8')) as object;
  const js = new HfJsTokenizer(json, {});
  const nat = native.Tokenizer.fromFile(path);
  const mism: string[] = [];
  for (const s of samples) {
    const mine = ours.encode(s).ids;
    const a = js.encode(s).ids;
    const b = await nativeIds(nat, s);
    if (JSON.stringify(mine) !== JSON.stringify(a)) mism.push(`js ${JSON.stringify(s)}: ${mine.join(' ')} vs ${a.join(' ')}`);
    if (JSON.stringify(mine) !== JSON.stringify(b)) mism.push(`native ${JSON.stringify(s)}: ${mine.join(' ')} vs ${b.join(' ')}`);
    const offs = ours.encode(s).offsets;
    const nOffs = (await nat.encode(s, null, { addSpecialTokens: true })).getOffsets();
    if (JSON.stringify(offs) !== JSON.stringify(nOffs) && !/[^\u0000-\uffff]/u.test(s)) mism.push(`offsets ${JSON.stringify(s)}: ${JSON.stringify(offs)} vs ${JSON.stringify(nOffs)}`);
  }
  if (opts.pairs) {
    for (let k = 0; k + 1 < Math.min(samples.length, 40); k += 2) {
      const e = ours.encode(samples[k]!, samples[k + 1]!);
      const n = await nat.encode(samples[k]!, samples[k + 1]!, { addSpecialTokens: true });
      if (JSON.stringify([e.ids, e.typeIds]) !== JSON.stringify([n.getIds(), n.getTypeIds()])) mism.push(`pair ${k}`);
    }
  }
  expect(mism.slice(0, 5).join('\n')).toBe('');
}

describe('tokenizer.json interop', () => {
  it('a byte-level BPE trained here encodes identically in @huggingface/tokenizers and native tokenizers', async () => {
    const { tokenizer } = await trainBpe(train, { vocabSize: 1500, specialTokens: ['<|endoftext|>'], showProgress: false });
    await compare(tokenizer, join(dir, 'bpe.json'));
  });

  it('a WordPiece trained here encodes identically (single and pairs)', async () => {
    const { tokenizer } = await trainWordPiece(train, { vocabSize: 1500, showProgress: false });
    await compare(tokenizer, join(dir, 'wp.json'), { pairs: true });
  });

  it('vocabularies read from llama.cpp GGUF (gpt-2, bert-bge) save as tokenizer.json that encodes identically', async () => {
    for (const name of ['gpt-2', 'bert-bge']) {
      const gguf = parseGguf(brotliDecompressSync(readFileSync(join(__dirname, '..', 'fixtures', 'llama-vocab', `ggml-vocab-${name}.gguf.br`))));
      await compare(tokenizerFromGguf(gguf), join(dir, `${name}.json`), { pairs: name === 'bert-bge' });
    }
  });

  it('a tokenizer trained by the native tokenizers package loads here and encodes identically', async () => {
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, train.slice(0, 4000).join('\n'));
    const t = new native.Tokenizer(native.BPE.empty());
    t.setPreTokenizer(native.byteLevelPreTokenizer(false, true));
    t.train([corpus]);
    const path = join(dir, 'native.json');
    t.save(path);
    const ours = HfTokenizer.load(path);
    expect(ours.vocabSize).toBe(t.getVocabSize(true));
    const bad: string[] = [];
    for (const s of samples) {
      const a = ours.encode(s).ids;
      const b = await nativeIds(t, s);
      if (JSON.stringify(a) !== JSON.stringify(b)) bad.push(JSON.stringify(s));
      if (ours.decode(a) !== (await t.decode(b, false))) bad.push(`decode ${JSON.stringify(s)}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('round-trips through toJSON/fromJSON', async () => {
    const { tokenizer } = await trainWordPiece(train.slice(0, 2000), { vocabSize: 600, showProgress: false });
    tokenizer.truncation = { maxLength: 12, strategy: 'longest_first' };
    tokenizer.padding = { strategy: 'fixed', length: 16, padId: 0, padToken: '[PAD]' };
    const again = HfTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON())));
    for (const s of samples.slice(0, 30)) expect(again.encode(s, 'a second sequence here')).toEqual(tokenizer.encode(s, 'a second sequence here'));
  });

  it('rejects malformed tokenizer.json with the field or line', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [}\n');
    expect(() => HfTokenizer.load(bad)).toThrow(FormatError);
    const cases: Array<[unknown, RegExp]> = [
      [[], /top level/],
      [{}, /missing model/],
      [{ model: { type: 'Unigram', vocab: {} } }, /not supported/],
      [{ model: { type: 'BPE', vocab: { a: 0, b: 0 }, merges: [] } }, /used twice/],
      [{ model: { type: 'BPE', vocab: { a: 0, b: 1 }, merges: ['a b'] } }, /missing from the vocabulary/],
      [{ model: { type: 'BPE', vocab: { a: -1 }, merges: [] } }, /non-negative/],
      [{ model: { type: 'BPE', vocab: { a: 0 }, merges: ['ab'] } }, /not "a b"/],
      [{ model: { type: 'WordPiece', vocab: { a: 0 } } }, /unk_token/],
      [{ pre_tokenizer: { type: 'Nope' }, model: { type: 'BPE', vocab: {}, merges: [] } }, /pre_tokenizer.type/],
      [{ pre_tokenizer: { type: 'Split', pattern: { Regex: '(' }, behavior: 'Isolated', invert: false }, model: { type: 'BPE', vocab: {}, merges: [] } }, /not a usable regex/],
    ];
    for (const [json, re] of cases) {
      let err: unknown;
      try { HfTokenizer.fromJSON(json, 'x.json'); } catch (e) { err = e; }
      expect(String(err) + JSON.stringify(json)).toMatch(/FormatError/);
      expect((err as Error).message).toMatch(re);
      expect((err as FormatError).location.file).toBe('x.json');
    }
  });
});
