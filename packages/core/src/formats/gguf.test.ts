import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, NotFoundError } from '../errors.js';
import { GgufType, ggufNumberArray, ggufStringArray, ggufValue, parseGguf, readGgufHeader, type GgufArray } from './gguf.js';

/** A little-endian byte builder for hand-made GGUF files (the writer itself belongs to @llm/quant). */
class Bytes {
  private parts: number[] = [];
  get length(): number { return this.parts.length; }
  u8(v: number): this { this.parts.push(v & 255); return this; }
  u32(v: number): this { for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 255); return this; }
  i32(v: number): this { return this.u32(v >>> 0); }
  u64(v: number | bigint): this { let b = BigInt(v); for (let i = 0; i < 8; i++) { this.parts.push(Number(b & 255n)); b >>= 8n; } return this; }
  f32(v: number): this { const d = new DataView(new ArrayBuffer(4)); d.setFloat32(0, v, true); for (let i = 0; i < 4; i++) this.parts.push(d.getUint8(i)); return this; }
  str(s: string): this { const b = new TextEncoder().encode(s); this.u64(b.length); for (const x of b) this.parts.push(x); return this; }
  raw(b: ArrayLike<number>): this { for (let i = 0; i < b.length; i++) this.parts.push(b[i]!); return this; }
  pad(align: number): this { while (this.parts.length % align) this.parts.push(0); return this; }
  build(): Uint8Array { return Uint8Array.from(this.parts); }
}

function sample(opts: { alignment?: number; tensorOffset?: number; extraData?: number } = {}): Uint8Array {
  const b = new Bytes();
  const align = opts.alignment ?? 32;
  const kvs = opts.alignment ? 6 : 5;
  b.raw([0x47, 0x47, 0x55, 0x46]).u32(3).u64(2).u64(kvs);
  b.str('general.architecture').u32(GgufType.STRING).str('llama');
  b.str('test.u32').u32(GgufType.UINT32).u32(4096);
  b.str('test.f32').u32(GgufType.FLOAT32).f32(0.5);
  b.str('tokenizer.ggml.tokens').u32(GgufType.ARRAY).u32(GgufType.STRING).u64(3).str('a').str('ñ').str('<s>');
  b.str('tokenizer.ggml.token_type').u32(GgufType.ARRAY).u32(GgufType.INT32).u64(3).i32(1).i32(1).i32(3);
  if (opts.alignment) b.str('general.alignment').u32(GgufType.UINT32).u32(align);
  b.str('w').u32(2).u64(4).u64(2).u32(0).u64(0); // F32 [4,2] = 32 bytes
  b.str('v').u32(1).u64(8).u32(1).u64(opts.tensorOffset ?? Math.max(32, align)); // F16 [8] = 16 bytes
  b.pad(align);
  const dataSize = Math.max(32, align) + 16 + (opts.extraData ?? 0);
  b.raw(new Array<number>(dataSize).fill(7));
  return b.build();
}

describe('GGUF container reader', () => {
  it('reads header, typed metadata, arrays and tensor infos', () => {
    const f = parseGguf(sample());
    expect(f.version).toBe(3);
    expect(f.alignment).toBe(32);
    expect(ggufValue(f, 'general.architecture')).toBe('llama');
    expect(ggufValue(f, 'test.u32')).toBe(4096);
    expect(ggufValue(f, 'test.f32')).toBe(0.5);
    expect(f.metadata.get('test.u32')!.type).toBe(GgufType.UINT32);
    expect(ggufStringArray(f, 'tokenizer.ggml.tokens', true)).toEqual(['a', 'ñ', '<s>']);
    expect(ggufNumberArray(f, 'tokenizer.ggml.token_type')).toEqual([1, 1, 3]);
    const tt = ggufValue(f, 'tokenizer.ggml.token_type') as GgufArray;
    expect(tt.values).toBeInstanceOf(Int32Array);
    expect(f.tensors.map((t) => [t.name, t.dims, t.type, t.relativeOffset, t.byteSize])).toEqual([
      ['w', [4, 2], 0, 0, 32],
      ['v', [8], 1, 32, 16],
    ]);
    expect(f.dataOffset % 32).toBe(0);
    expect(f.tensors[1]!.absoluteOffset).toBe(f.dataOffset + 32);
  });

  it('reads numeric arrays at unaligned offsets of a pooled Buffer', () => {
    const raw = sample();
    const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(raw)]).subarray(3);
    expect(Array.from((ggufValue(parseGguf(pooled), 'tokenizer.ggml.token_type') as GgufArray).values as Int32Array)).toEqual([1, 1, 3]);
  });

  it('honours general.alignment', () => {
    const f = parseGguf(sample({ alignment: 64 }));
    expect(f.alignment).toBe(64);
    expect(f.dataOffset % 64).toBe(0);
    expect(f.tensors[1]!.relativeOffset).toBe(64);
  });

  it('reads a file header incrementally from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gguf-'));
    const p = join(dir, 'x.gguf');
    writeFileSync(p, sample({ extraData: 3 << 20 }));
    const f = readGgufHeader(p);
    expect(f.tensors).toHaveLength(2);
    expect(() => readGgufHeader(join(dir, 'missing.gguf'))).toThrow(NotFoundError);
  });

  function expectFormatError(buf: Uint8Array, message: RegExp, offset?: number): void {
    let err: unknown;
    try { parseGguf(buf, { file: 'bad.gguf' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(FormatError);
    const fe = err as FormatError;
    expect(fe.message).toMatch(message);
    expect(fe.location.file).toBe('bad.gguf');
    if (offset !== undefined) expect(fe.location.offset).toBe(offset);
  }

  it('rejects bad magic, versions, truncation and offsets with byte offsets', () => {
    const good = sample();
    const badMagic = good.slice(); badMagic[0] = 0x58;
    expectFormatError(badMagic, /bad magic/, 0);
    const v1 = good.slice(); v1[4] = 1;
    expectFormatError(v1, /unsupported GGUF version 1/, 4);
    expectFormatError(good.subarray(0, 40), /end of file|runs past|cannot fit/);
    expectFormatError(good.subarray(0, good.length - 10), /runs past the end/);
    expectFormatError(sample({ tensorOffset: 33 }), /not a multiple of the alignment/);
    expectFormatError(sample({ alignment: 16, tensorOffset: 16 }), /overlap/);
    // A huge string length.
    const b = new Bytes().raw([0x47, 0x47, 0x55, 0x46]).u32(3).u64(0).u64(1).u64(1n << 40n).build();
    expectFormatError(b, /runs past the end of the file/, 24);
    // Unknown value type.
    const t = new Bytes().raw([0x47, 0x47, 0x55, 0x46]).u32(3).u64(0).u64(1).str('k').u32(99).u32(0).build();
    expectFormatError(t, /unknown value type 99/, 33);
    // Bad alignment.
    const a = new Bytes().raw([0x47, 0x47, 0x55, 0x46]).u32(3).u64(0).u64(1).str('general.alignment').u32(GgufType.UINT32).u32(3).build();
    expectFormatError(a, /power of two/, 24);
    // Invalid UTF-8 in a key.
    const u = new Bytes().raw([0x47, 0x47, 0x55, 0x46]).u32(3).u64(0).u64(1).u64(2).raw([0xc3, 0x28]).u32(4).u32(1).build();
    expectFormatError(u, /not valid UTF-8/, 32);
    // Absurd counts are rejected before allocation.
    const c = new Bytes().raw([0x47, 0x47, 0x55, 0x46]).u32(3).u64(0).u64(1n << 50n).build();
    expectFormatError(c, /cannot fit/, 16);
  });
});
