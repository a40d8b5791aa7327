import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, NotFoundError, CancelledError } from '../errors.js';
import { Rng } from '../rng.js';
import { batches, collect, hashSplit, parseJson, readJsonl, readLines, readText, readTsv, shuffledBatches } from './readers.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-readers-'));
const file = (name: string, content: string | Uint8Array) => { const p = join(dir, name); writeFileSync(p, content); return p; };

async function rejectsWith(p: Promise<unknown>, line: number, match: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location.line).toBe(line);
    expect((err as InputError).message).toMatch(match);
    return;
  }
  throw new Error('expected an InputError');
}

describe('readers', () => {
  it('reads lines with numbers, CRLF and gzip alike', async () => {
    const plain = file('a.txt', 'one\r\ntwo\nthree');
    const gz = file('a.txt.gz', gzipSync('one\ntwo\nthree\n'));
    const want = [{ line: 'one', lineNo: 1 }, { line: 'two', lineNo: 2 }, { line: 'three', lineNo: 3 }];
    expect(await collect(readLines(plain))).toEqual(want);
    expect(await collect(readLines(gz))).toEqual(want);
    expect(await readText(gz)).toBe('one\ntwo\nthree\n');
    await expect(collect(readLines(join(dir, 'missing.txt')))).rejects.toThrow(NotFoundError);
  });

  it('stops when cancelled', async () => {
    const big = file('big.txt', 'x\n'.repeat(5000));
    const c = new AbortController();
    c.abort();
    await expect(collect(readLines(big, { signal: c.signal }))).rejects.toThrow(CancelledError);
  });

  it('reads TSV with a header or given columns, and names the bad line', async () => {
    const ok = file('ok.tsv', 'a\tb\n1\t2\n\n3\t4\n');
    expect((await collect(readTsv(ok))).map((r) => [r.values, r.lineNo])).toEqual([[{ a: '1', b: '2' }, 2], [{ a: '3', b: '4' }, 4]]);
    const noHeader = file('nh.tsv', 'x\ty\n');
    expect((await collect(readTsv(noHeader, { columns: ['en', 'es'] })))[0]!.values).toEqual({ en: 'x', es: 'y' });
    const bad = file('bad.tsv', 'a\tb\n1\t2\n3\n4\t5\n');
    await rejectsWith(collect(readTsv(bad)), 3, /expected 2 tab-separated fields \(a, b\), got 1/);
    try {
      await collect(readTsv(bad));
    } catch (err) {
      expect((err as InputError).describe()).toBe(`${bad}:3: expected 2 tab-separated fields (a, b), got 1`);
    }
  });

  it('reads JSONL and points at the bad line and column', async () => {
    const ok = file('ok.jsonl', '{"a":1}\n\n{"a":2}\n');
    expect((await collect(readJsonl<{ a: number }>(ok))).map((r) => r.value.a)).toEqual([1, 2]);
    const bad = file('bad.jsonl', '{"a":1}\n{"a":2}\n{"a":,}\n');
    await rejectsWith(collect(readJsonl(bad)), 3, /invalid JSON/);
    try {
      parseJson('{\n  "a": 1,\n  "b": oops\n}', { file: 'x.json' });
    } catch (err) {
      expect((err as InputError).location).toMatchObject({ file: 'x.json', line: 3, column: 8 });
    }
  });

  it('splits by hash: stable per key and close to the requested fractions', () => {
    expect(hashSplit('Genesis 1:1')).toBe(hashSplit('Genesis 1:1'));
    const counts = { train: 0, dev: 0, test: 0 };
    for (let i = 0; i < 20000; i++) counts[hashSplit(`key-${i}`, { dev: 0.1, test: 0.2 })]++;
    expect(counts.test / 20000).toBeCloseTo(0.2, 1);
    expect(counts.dev / 20000).toBeCloseTo(0.1, 1);
    expect(hashSplit('k', {}, 'salt-a') === hashSplit('k', {}, 'salt-b') || true).toBe(true);
    expect(() => hashSplit('k', { dev: 0.6, test: 0.5 })).toThrow(RangeError);
  });

  it('batches, and shuffles batches deterministically per seed and epoch', () => {
    expect([...batches([1, 2, 3, 4, 5], 2)]).toEqual([[1, 2], [3, 4], [5]]);
    expect([...batches([1, 2, 3, 4, 5], 2, { dropLast: true })]).toEqual([[1, 2], [3, 4]]);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const a = [...shuffledBatches(items, 8, new Rng(1), { epoch: 0 })];
    const b = [...shuffledBatches(items, 8, new Rng(1), { epoch: 0 })];
    const c = [...shuffledBatches(items, 8, new Rng(1), { epoch: 1 })];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.flat().sort((x, y) => x - y)).toEqual(items);
  });
});

describe('locateJsonError', () => {
  it('finds the offset of the first error, or -1', async () => {
    const { locateJsonError } = await import('./readers.js');
    expect(locateJsonError('{"a": [1, 2, {"b": null}], "c": "x\\"y", "d": -1.5e3}')).toBe(-1);
    expect(locateJsonError('{"a": tru}')).toBe(6);
    expect(locateJsonError('[1, 2,]')).toBe(6);
    expect(locateJsonError('{"a": 1} x')).toBe(9);
    expect(locateJsonError('"unterminated')).toBe(13);
    expect(locateJsonError('')).toBe(0);
  });
});
