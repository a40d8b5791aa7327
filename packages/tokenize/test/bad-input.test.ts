import { FormatError, InputError } from '@llm/core';
import { encode as gptCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import { bpeWork, decodeUtf8Strict, firstInvalidUtf8, getEncoding, HfTokenizer, BpeModel, Rng } from './helpers.js';

const enc = getEncoding('cl100k_base');

function randomWord(n: number, seed: number): string {
  const rng = new Rng(seed);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(rng.next() * 26));
  return s;
}

describe('bad input', () => {
  it('lone surrogates are an InputError naming the index', () => {
    for (const text of ['abc\uD800def', 'x\uDC00', '\uD83D']) {
      let err: unknown;
      try { enc.encodeIds(text); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toMatch(/lone surrogate/);
      expect((err as InputError).location.column).toBe(text.search(/[\uD800-\uDFFF]/u) + 1);
    }
    const hf = new HfTokenizer({ model: new BpeModel(new Map([['a', 0]]), []) });
    expect(() => hf.encode('a\uDFFF')).toThrow(InputError);
    expect(enc.encodeOrdinary('ok 😀')).toEqual(gptCl100k('ok 😀'));
  });

  it('invalid UTF-8 on decode: lossy by default, FormatError with the byte offset when strict', () => {
    const bad = Uint8Array.from([0x61, 0x62, 0xe2, 0x82, 0x41, 0xff]);
    expect(firstInvalidUtf8(bad)).toBe(2);
    expect(firstInvalidUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(0); // encoded surrogate
    expect(firstInvalidUtf8(Uint8Array.from([0xc0, 0x80]))).toBe(0); // overlong
    expect(firstInvalidUtf8(Buffer.from('ñ😀'))).toBe(-1);
    let err: unknown;
    try { decodeUtf8Strict(bad); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).location.offset).toBe(2);
    // Token 0xff alone: a byte token that is not valid UTF-8 by itself.
    const ff = enc.encodeOrdinary('ÿ');
    const lone = [enc.tokenToId('ÿ')!];
    expect(enc.decode(lone)).toBe('\uFFFD');
    expect(() => enc.decode(lone, { strict: true })).toThrow(FormatError);
    expect(enc.decode(ff)).toBe('ÿ');
  });

  it('empty strings', () => {
    expect(enc.encodeIds('')).toEqual([]);
    expect(enc.count('')).toBe(0);
    expect(enc.encodeWithOffsets('')).toEqual({ ids: [], offsets: [] });
    expect(enc.decode([])).toBe('');
  });

  it('a 1 MB word without spaces encodes, decodes back, and matches the reference on a shorter one', () => {
    const mid = randomWord(4000, 7);
    expect(enc.encodeOrdinary(mid)).toEqual(gptCl100k(mid));
    const big = randomWord(1 << 20, 8);
    const ids = enc.encodeOrdinary(big);
    expect(ids.length).toBeGreaterThan(100_000);
    expect(enc.decode(ids)).toBe(big);
  });

  it('BPE work grows linearly on a pathological word (heap merges, no rescans)', () => {
    const work = (n: number) => {
      const w = randomWord(n, n);
      const before = bpeWork.count;
      getEncoding('o200k_base').encodeOrdinary(w);
      return bpeWork.count - before;
    };
    const small = work(1 << 16);
    const large = work(1 << 18);
    // Linear: ~4x. A rescan per merge (tiktoken's simple loop) would be ~16x.
    expect(large / small).toBeGreaterThan(3);
    expect(large / small).toBeLessThan(5);
  });

  it('pre-tokenisation time grows linearly on pathological whitespace and punctuation (loose ratio)', () => {
    const inputs = [(n: number) => ' '.repeat(n) + 'a', (n: number) => "'".repeat(n), (n: number) => '\n '.repeat(n / 2), (n: number) => '1'.repeat(n)];
    for (const make of inputs) {
      const time = (n: number) => {
        const s = make(n);
        let best = Infinity;
        for (let r = 0; r < 3; r++) { const t0 = performance.now(); enc.encodeOrdinary(s); best = Math.min(best, performance.now() - t0); }
        return best;
      };
      time(1 << 14);
      const t1 = time(1 << 16);
      const t4 = time(1 << 18);
      // 4x the input: linear ≈ 4x, quadratic ≈ 16x; allow generous noise.
      expect(t4 / Math.max(t1, 0.5)).toBeLessThan(12);
    }
  });
});
