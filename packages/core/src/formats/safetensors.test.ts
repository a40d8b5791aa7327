import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, NotFoundError } from '../errors.js';
import { f32ToBf16, f32ToF16, fromFloat32, toFloat32 } from './dtypes.js';
import { SafetensorsFile, parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors, type SafeTensor } from './safetensors.js';

const fixtures = new URL('../../test/fixtures/', import.meta.url);
const pyFile = new URL('python-written.safetensors', fixtures).pathname;
// The fixture writes inf and nan as the strings 'inf', '-inf', 'nan'.
const expected = JSON.parse(readFileSync(new URL('python-written.json', fixtures), 'utf8'), (_k, v: unknown) =>
  v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : v) as Record<string, unknown>;
const tmp = () => mkdtempSync(join(tmpdir(), 'llm-st-'));

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.byteLength; }
  return out;
}

/** Build a file from a header object and a data section, for corruption tests. */
function craft(header: unknown, data: Uint8Array, opts: { headerLen?: bigint; raw?: string } = {}): Uint8Array {
  const hb = Buffer.from(opts.raw ?? JSON.stringify(header));
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, opts.headerLen ?? BigInt(hb.byteLength), true);
  return concat([prefix, hb, data]);
}

function expectFormatError(buf: Uint8Array, match: RegExp, offset?: number): void {
  try {
    parseSafetensors(buf, 'bad.safetensors');
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    const e = err as FormatError;
    expect(e.message).toMatch(match);
    expect(e.location.file).toBe('bad.safetensors');
    if (offset !== undefined) expect(e.location.offset).toBe(offset);
    return;
  }
  throw new Error('expected a FormatError');
}

describe('safetensors: a file written by numpy/torch', () => {
  it('reads every tensor, dtype and the metadata', async () => {
    const f = await SafetensorsFile.open(pyFile);
    try {
      expect(f.metadata).toEqual(expected.metadata);
      expect(f.names).toEqual(expected.names_in_file_order);
      const w = await f.read('weight.f32');
      expect(w.shape).toEqual([2, 3]);
      expect(Array.from(w.data as Float32Array)).toEqual(expected['weight.f32']);
      const f16 = await f.read('values.f16');
      expect(Array.from(f16.data as Uint16Array)).toEqual(expected.f16_bits);
      const dec16 = Array.from(toFloat32('F16', f16.data as Uint16Array));
      expect(dec16).toEqual(expected.f16_decoded);
      const bf16 = await f.read('values.bf16');
      expect(Array.from(bf16.data as Uint16Array)).toEqual(expected.bf16_bits);
      expect(Array.from(toFloat32('BF16', bf16.data as Uint16Array))).toEqual(expected.bf16_decoded);
      expect(Array.from((await f.read('ids.i64')).data as BigInt64Array, String)).toEqual(expected['ids.i64']);
      expect(Array.from((await f.read('ids.i32')).data as Int32Array)).toEqual(expected['ids.i32']);
      expect(Array.from((await f.read('q.i8')).data as Int8Array)).toEqual(expected['q.i8']);
      expect(Array.from((await f.read('mask.u8')).data as Uint8Array)).toEqual(expected['mask.u8']);
      const scalar = await f.read('scalar.f32');
      expect(scalar.shape).toEqual([]);
      expect(Array.from(scalar.data as Float32Array)).toEqual([7.5]);
      expect((await f.read('empty.f32')).data.length).toBe(0);
      await expect(f.read('nope')).rejects.toThrow(NotFoundError);
    } finally {
      await f.close();
    }
  });

  it('rounds float32 to f16 and bf16 bit-for-bit as numpy and torch do', () => {
    const src = expected.f16_source_f32 as number[];
    expect(src.map(f32ToF16)).toEqual(expected.f16_bits);
    expect(src.map(f32ToBf16)).toEqual(expected.bf16_bits);
  });

  it('writes the same bytes as the Python writer for the same tensors', async () => {
    const { tensors, metadata } = await readSafetensors(pyFile);
    const ours = concat(serializeSafetensors(tensors, metadata));
    expect(Buffer.from(ours).equals(readFileSync(pyFile))).toBe(true);
  });
});

describe('safetensors: round trips', () => {
  it('keeps every dtype, shape and value, and the metadata', async () => {
    const vals = new Float32Array([0.1, -2, 3.5, 1e-3, 65000, -0]);
    const tensors: Record<string, SafeTensor> = {
      a: { dtype: 'F32', shape: [2, 3], data: vals },
      b: { dtype: 'F16', shape: [6], data: fromFloat32('F16', vals) },
      c: { dtype: 'BF16', shape: [3, 2], data: fromFloat32('BF16', vals) },
      d: { dtype: 'I8', shape: [3], data: new Int8Array([-5, 0, 5]) },
      e: { dtype: 'U8', shape: [1], data: new Uint8Array([200]) },
      f: { dtype: 'I32', shape: [2], data: new Int32Array([-1, 1 << 30]) },
      g: { dtype: 'I64', shape: [1], data: new BigInt64Array([-(2n ** 50n)]) },
    };
    const path = join(tmp(), 'm.safetensors');
    await writeSafetensors(path, tensors, { note: 'round trip' });
    const back = await readSafetensors(path);
    expect(back.metadata).toEqual({ note: 'round trip' });
    for (const [name, t] of Object.entries(tensors)) {
      const r = back.tensors.get(name)!;
      expect(r.dtype).toBe(t.dtype);
      expect(r.shape).toEqual(t.shape);
      expect(Array.from(r.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
    }
    const f16 = toFloat32('F16', back.tensors.get('b')!.data as Uint16Array);
    for (let i = 0; i < vals.length; i++) expect(Math.abs(f16[i]! - vals[i]!)).toBeLessThanOrEqual(Math.abs(vals[i]!) * 1e-3 + 1e-7);
  });

  it('reads tensors lazily: opening reads only the header', async () => {
    const path = join(tmp(), 'big.safetensors');
    const big = new Float32Array(1 << 20).map((_, i) => i);
    await writeSafetensors(path, { big: { dtype: 'F32', shape: [1024, 1024], data: big }, small: { dtype: 'F32', shape: [1], data: new Float32Array([42]) } });
    const f = await SafetensorsFile.open(path);
    expect(f.info('big').byteLength).toBe(4 << 20);
    expect(Array.from((await f.read('small')).data as Float32Array)).toEqual([42]);
    expect((await f.read('big')).data[123456]).toBe(123456);
    await f.close();
  });

  it('refuses to write a tensor whose data does not match its shape', () => {
    expect(() => serializeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(FormatError);
  });
});

describe('safetensors: corrupt files are FormatErrors with the byte offset', () => {
  const data4 = new Uint8Array(16);
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };

  it('a valid crafted file parses (the control case)', () => {
    expect(parseSafetensors(craft(ok, data4)).tensors.size).toBe(2);
  });
  it('file shorter than 8 bytes', () => expectFormatError(new Uint8Array(5), /shorter than the 8-byte/, 0));
  it('header length past the end of the file', () => expectFormatError(craft(ok, data4, { headerLen: 10_000n }), /runs past the end/, 0));
  it('header length over the limit', () => expectFormatError(craft(ok, data4, { headerLen: 2n ** 40n }), /exceeds/, 0));
  it('header that is not JSON', () => expectFormatError(craft(null, data4, { raw: '{"a": [1,' + ' '.repeat(20) }), /not valid JSON/));
  it("header that does not start with '{'", () => expectFormatError(craft(null, data4, { raw: '[1,2,3]' }), /must start with/, 8));
  it('unknown dtype', () => expectFormatError(craft({ a: { dtype: 'F128', shape: [2], data_offsets: [0, 16] } }, data4), /unknown dtype/));
  it('shape and byte size disagree', () => {
    const buf = craft({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data4);
    const n = buf.byteLength - 16;
    expectFormatError(buf, /needs 12 bytes, data_offsets give 16/, n);
  });
  it('offsets out of range', () => expectFormatError(craft({ a: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, data4), /run past the end of the data/));
  it('end before begin', () => expectFormatError(craft({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, data4), /end 4 < begin 8/));
  it('overlapping tensors', () => {
    const h = { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
    expectFormatError(craft(h, data4), /overlaps/);
  });
  it('a gap between tensors', () => {
    const h = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
    const buf = craft(h, data4);
    expectFormatError(buf, /gap of 4 bytes/, buf.byteLength - 16 + 4);
  });
  it('trailing bytes not described by the header', () => expectFormatError(craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data4), /8 bytes after the last tensor/));
  it('non-string metadata', () => expectFormatError(craft({ __metadata__: { n: 1 }, ...ok }, data4), /must be a string/));
  it('a bad shape', () => expectFormatError(craft({ a: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, data4), /shape must be/));
  it('a truncated file opened from disk', async () => {
    const path = join(tmp(), 'trunc.safetensors');
    const full = readFileSync(pyFile);
    writeFileSync(path, full.subarray(0, full.byteLength - 3));
    await expect(SafetensorsFile.open(path)).rejects.toThrow(FormatError);
    await expect(SafetensorsFile.open(join(tmp(), 'missing.safetensors'))).rejects.toThrow(NotFoundError);
  });
});
