import { brotliDecompressSync } from 'node:zlib';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, InputError } from '@llm/core';
import { describe, expect, it } from 'vitest';
import { GGMLType } from '../ggml/types.js';
import { quantizeGGML } from '../ggml/quants.js';
import { GGUFFile, parseGGUF } from './reader.js';
import { gv, plainValue, type GGUFValue } from './types.js';
import { serializeGGUF, writeGGUF } from './writer.js';
import { validateForLlamaCpp } from './validate.js';

const concat = (chunks: Uint8Array[]) => { const n = chunks.reduce((a, c) => a + c.length, 0); const o = new Uint8Array(n); let p = 0; for (const c of chunks) { o.set(c, p); p += c.length; } return o; };

function sample(): { meta: Map<string, GGUFValue>; tensors: { name: string; dims: number[]; type: number; data: Uint8Array }[] } {
  const meta = new Map<string, GGUFValue>([
    ['general.architecture', gv.str('test')],
    ['u8', gv.u8(255)], ['i8', gv.i8(-128)], ['u16', gv.u16(65535)], ['i16', gv.i16(-32768)],
    ['u32', gv.u32(4294967295)], ['i32', gv.i32(-2147483648)], ['f32', gv.f32(1.5)], ['f64', gv.f64(Math.PI)],
    ['u64', gv.u64(2n ** 64n - 1n)], ['i64', gv.i64(-(2n ** 63n))], ['bool', gv.bool(true)], ['str', gv.str('héllo ✓')],
    ['arr.str', gv.strs(['a', '', 'ç'])], ['arr.f32', gv.f32s([0.5, -2])], ['arr.u64', { kind: 'array', itemKind: 'uint64', values: [1n, 2n] }],
    ['arr.bool', { kind: 'array', itemKind: 'bool', values: [true, false] }],
    ['arr.nested', { kind: 'array', itemKind: 'array', values: [{ kind: 'array', itemKind: 'int32', values: [1, -2] }, { kind: 'array', itemKind: 'string', values: ['x'] }] }],
    ['arr.empty', gv.i32s([])],
  ]);
  const x = new Float32Array(64).map((_, i) => Math.sin(i));
  return { meta, tensors: [
    { name: 'a', dims: [64], type: GGMLType.F32, data: quantizeGGML('F32', x) },
    { name: 'b', dims: [32, 2], type: GGMLType.Q8_0, data: quantizeGGML('Q8_0', x) },
    { name: 'c', dims: [32, 2], type: GGMLType.Q4_0, data: quantizeGGML('Q4_0', x) },
  ] };
}

describe('GGUF writer and reader', () => {
  it('round-trips every metadata value type, arrays (nested too) and tensors', async () => {
    const { meta, tensors } = sample();
    const buf = concat(serializeGGUF(meta, tensors));
    const h = await parseGGUF(buf);
    expect(h.version).toBe(3);
    expect([...h.metadata.keys()]).toEqual([...meta.keys()]);
    for (const [k, v] of meta) expect(h.metadata.get(k)).toEqual(v.kind === 'float32' ? { kind: 'float32', value: Math.fround(v.value) } : v);
    expect(plainValue(h.metadata.get('arr.nested')!)).toEqual([[1, -2], ['x']]);
    expect(h.dataStart % 32).toBe(0);
    expect(h.tensors.map((t) => [t.name, t.typeName, t.offset % 32, t.byteSize])).toEqual([['a', 'F32', 0, 256], ['b', 'Q8_0', 0, 68], ['c', 'Q4_0', 0, 36]]);
    for (const t of tensors) {
      const info = h.tensors.find((i) => i.name === t.name)!;
      expect(buf.subarray(info.fileOffset, info.fileOffset + info.byteSize)).toEqual(t.data);
    }
  });

  it('honours general.alignment and writes atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gguf-'));
    const { meta, tensors } = sample();
    meta.set('general.alignment', gv.u32(64));
    const p = join(dir, 'x.gguf');
    await writeGGUF(p, meta, tensors);
    const f = await GGUFFile.open(p);
    expect(f.header.alignment).toBe(64);
    expect(f.header.dataStart % 64).toBe(0);
    for (const t of f.tensors) expect(t.offset % 64).toBe(0);
    expect(await f.read('c')).toEqual(tensors[2]!.data);
    await f.close();
    // An aborted write leaves no file behind.
    const ac = new AbortController();
    ac.abort();
    await expect(writeGGUF(join(dir, 'y.gguf'), meta, tensors, { signal: ac.signal })).rejects.toThrow();
    expect(existsSync(join(dir, 'y.gguf'))).toBe(false);
  });

  it('rejects bad input when writing', () => {
    const { meta, tensors } = sample();
    expect(() => serializeGGUF(meta, [{ ...tensors[1]!, dims: [32, 3] }])).toThrow(InputError);
    expect(() => serializeGGUF(meta, [{ ...tensors[1]!, dims: [16, 4] }])).toThrow(/block size 32/);
    expect(() => serializeGGUF(new Map([['k', gv.u8(300)]]), [])).toThrow(/not a valid uint8/);
    expect(() => serializeGGUF(meta, [tensors[0]!, tensors[0]!])).toThrow(/duplicate tensor/);
    expect(() => serializeGGUF(new Map([['general.alignment', gv.u32(24)]]), [])).toThrow(/power of two/);
  });
});

describe('GGUF reader: every malformed file is a FormatError with a byte offset', () => {
  const { meta, tensors } = sample();
  const good = concat(serializeGGUF(meta, tensors));

  it('every truncation of a valid file is a FormatError', async () => {
    const h = await parseGGUF(good);
    const header = h.dataStart;
    // Padding after the last tensor's bytes is optional (llama.cpp only checks offset + size <= file size).
    const lastEnd = Math.max(...h.tensors.map((t) => t.fileOffset + t.byteSize));
    expect(await parseGGUF(good.subarray(0, lastEnd))).toBeTruthy();
    for (let n = 0; n < lastEnd; n += n < header ? 1 : 7) {
      const err = await parseGGUF(good.subarray(0, n)).then(() => null, (e: unknown) => e);
      expect(err, `prefix ${n}`).toBeInstanceOf(FormatError);
      expect((err as FormatError).location.offset).toBeTypeOf('number');
    }
  });

  it('bad magic, version, counts, types, offsets', async () => {
    const mut = (f: (dv: DataView, b: Uint8Array) => void) => { const b = good.slice(); f(new DataView(b.buffer), b); return parseGGUF(b, 'bad.gguf'); };
    await expect(mut((dv) => dv.setUint32(0, 0x46554746, true))).rejects.toThrow(/bad magic/);
    await expect(mut((dv) => dv.setUint32(4, 1, true))).rejects.toThrow(/unsupported GGUF version 1/);
    await expect(mut((dv) => dv.setBigUint64(8, 2n ** 40n, true))).rejects.toThrow(/tensor count/);
    await expect(mut((dv) => dv.setBigUint64(16, 10_000_000n, true))).rejects.toThrow(/metadata count/);
    // First key's length: absurd.
    await expect(mut((dv) => dv.setBigUint64(24, 2n ** 50n, true))).rejects.toThrow(FormatError);
    const h = await parseGGUF(good);
    const c = h.tensors.find((t) => t.name === 'c')!;
    // tensor 'c' info: name(8+1) n_dims(4) dims(16) type(4) offset(8)
    const typeAt = c.infoOffset + 9 + 4 + 16;
    await expect(mut((dv) => dv.setUint32(typeAt, 99, true))).rejects.toThrow(/unknown ggml type 99/);
    await expect(mut((dv) => dv.setBigUint64(typeAt + 4, 8n, true))).rejects.toThrow(/not a multiple of the alignment/);
    await expect(mut((dv) => dv.setBigUint64(typeAt + 4, 4096n, true))).rejects.toThrow(/runs past the end/);
    await expect(mut((dv) => dv.setBigUint64(typeAt + 4, 256n, true))).rejects.toThrow(/overlaps/);
    await expect(mut((dv) => dv.setBigUint64(c.infoOffset + 9 + 4, 0n, true))).rejects.toThrow(/dim 0 is 0/);
    const err = (await mut((dv) => dv.setUint32(typeAt, 99, true)).catch((e: unknown) => e)) as FormatError;
    expect(err.location).toMatchObject({ file: 'bad.gguf', offset: typeAt, field: 'c' });
  });

  it('a missing file is NotFoundError', async () => {
    await expect(GGUFFile.open('/nonexistent/x.gguf')).rejects.toThrow(/no such GGUF file/);
  });
});

describe('validateForLlamaCpp', () => {
  it('names the missing key that would make llama.cpp abort', async () => {
    const meta = new Map<string, GGUFValue>([
      ['general.architecture', gv.str('llama')], ['llama.context_length', gv.u32(64)], ['llama.embedding_length', gv.u32(32)],
      ['llama.block_count', gv.u32(1)], ['llama.attention.head_count', gv.u32(4)], ['llama.attention.layer_norm_rms_epsilon', gv.f32(1e-5)],
      ['tokenizer.ggml.model', gv.str('llama')], ['tokenizer.ggml.tokens', gv.strs(['a', 'b'])], ['tokenizer.ggml.scores', gv.f32s([0, 0])],
    ]);
    const h = await parseGGUF(concat(serializeGGUF(meta, [])));
    expect(() => validateForLlamaCpp(h, 'm.gguf')).toThrow(/missing metadata key 'llama.feed_forward_length'/);
    meta.set('llama.feed_forward_length', gv.u32(64));
    meta.set('tokenizer.ggml.bos_token_id', gv.u32(5));
    const h2 = await parseGGUF(concat(serializeGGUF(meta, [])));
    expect(() => validateForLlamaCpp(h2)).toThrow(/bos_token_id' = 5 is outside the vocabulary/);
    meta.delete('tokenizer.ggml.bos_token_id');
    const h3 = await parseGGUF(concat(serializeGGUF(meta, [])));
    expect(() => validateForLlamaCpp(h3)).toThrow(/missing tensor 'token_embd.weight'/);
    // llama.cpp's vocab-only files (models/ggml-vocab-*.gguf) carry hyperparameters and vocab, no tensors.
    expect(validateForLlamaCpp(h3, 'vocab.gguf', { vocabOnly: true })).toMatchObject({ architecture: 'llama', vocabSize: 2, tokenizerModel: 'llama' });
  });
});

describe("llama.cpp's own vocab-only GGUFs (models/ggml-vocab-*.gguf, kept by @llm/tokenize's fixtures)", () => {
  const dir = join(__dirname, '..', '..', '..', 'tokenize', 'fixtures', 'llama-vocab');
  it.each([['gpt-2', 'gpt2', 'gpt2'], ['llama-bpe', 'llama', 'gpt2'], ['qwen2', 'qwen2', 'gpt2'], ['bert-bge', 'bert', 'bert']])('%s opens, and its metadata matches', async (name, arch, model) => {
    const buf = brotliDecompressSync(readFileSync(join(dir, `ggml-vocab-${name}.gguf.br`)));
    const h = await parseGGUF(buf, name);
    expect(h.tensors).toHaveLength(0);
    expect(plainValue(h.metadata.get('general.architecture')!)).toBe(arch);
    expect(plainValue(h.metadata.get('tokenizer.ggml.model')!)).toBe(model);
    const tokens = plainValue(h.metadata.get('tokenizer.ggml.tokens')!) as string[];
    expect(tokens.length).toBeGreaterThan(20000);
    if (arch === 'llama' || arch === 'gpt2') expect(validateForLlamaCpp(h, name, { vocabOnly: true }).vocabSize).toBe(tokens.length);
  });
});
