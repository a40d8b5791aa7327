/**
 * GGUF v3 writer: header, typed metadata (every value type and arrays), tensor infos, alignment
 * padding (`general.alignment`, default 32) and data, streamed through an atomic write so a
 * failed or cancelled write never leaves a partial file at the target path.
 */
import { ConfigError, createAtomicWriteStream, createProgress, InputError, throwIfAborted } from '@llm/core';
import { ggmlByteSize, ggmlTypeInfo } from '../ggml/types.js';
import { KIND_TO_TYPE, type GGUFArray, type GGUFValue } from './types.js';

/** GGUF magic, "GGUF" read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
/** Default data alignment. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** A tensor to write: ggml dims (innermost first), type id, and its encoded bytes. */
export interface GGUFTensorInput {
  name: string;
  dims: readonly number[];
  type: number;
  data: Uint8Array;
}

/** Options for {@link writeGGUF}. */
export interface WriteGGUFOptions {
  signal?: AbortSignal;
  /** Progress label; default `write gguf`. */
  label?: string;
}

const enc = new TextEncoder();

class ByteSink {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(1 << 16);
  private dv = new DataView(this.cur.buffer);
  private pos = 0;
  length = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.chunks.push(this.cur.subarray(0, this.pos));
    this.cur = new Uint8Array(Math.max(1 << 16, n));
    this.dv = new DataView(this.cur.buffer);
    this.pos = 0;
  }
  u8(v: number) { this.ensure(1); this.dv.setUint8(this.pos, v); this.pos += 1; this.length += 1; }
  i8(v: number) { this.ensure(1); this.dv.setInt8(this.pos, v); this.pos += 1; this.length += 1; }
  u16(v: number) { this.ensure(2); this.dv.setUint16(this.pos, v, true); this.pos += 2; this.length += 2; }
  i16(v: number) { this.ensure(2); this.dv.setInt16(this.pos, v, true); this.pos += 2; this.length += 2; }
  u32(v: number) { this.ensure(4); this.dv.setUint32(this.pos, v, true); this.pos += 4; this.length += 4; }
  i32(v: number) { this.ensure(4); this.dv.setInt32(this.pos, v, true); this.pos += 4; this.length += 4; }
  f32(v: number) { this.ensure(4); this.dv.setFloat32(this.pos, v, true); this.pos += 4; this.length += 4; }
  f64(v: number) { this.ensure(8); this.dv.setFloat64(this.pos, v, true); this.pos += 8; this.length += 8; }
  u64(v: bigint) { this.ensure(8); this.dv.setBigUint64(this.pos, v, true); this.pos += 8; this.length += 8; }
  i64(v: bigint) { this.ensure(8); this.dv.setBigInt64(this.pos, v, true); this.pos += 8; this.length += 8; }
  bytes(b: Uint8Array) { this.ensure(b.length); this.cur.set(b, this.pos); this.pos += b.length; this.length += b.length; }
  str(s: string) { const b = enc.encode(s); this.u64(BigInt(b.length)); this.bytes(b); }
  finish(): Uint8Array[] { this.chunks.push(this.cur.subarray(0, this.pos)); const c = this.chunks; this.chunks = []; return c; }
}

function checkRange(key: string, kind: string, v: number, lo: number, hi: number, integer = true): void {
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < lo || v > hi) throw new InputError(`metadata '${key}': ${v} is not a valid ${kind}`, { field: key });
}

function writeScalar(s: ByteSink, key: string, kind: string, v: number | bigint | boolean | string): void {
  switch (kind) {
    case 'uint8': checkRange(key, kind, v as number, 0, 255); s.u8(v as number); break;
    case 'int8': checkRange(key, kind, v as number, -128, 127); s.i8(v as number); break;
    case 'uint16': checkRange(key, kind, v as number, 0, 65535); s.u16(v as number); break;
    case 'int16': checkRange(key, kind, v as number, -32768, 32767); s.i16(v as number); break;
    case 'uint32': checkRange(key, kind, v as number, 0, 2 ** 32 - 1); s.u32(v as number); break;
    case 'int32': checkRange(key, kind, v as number, -(2 ** 31), 2 ** 31 - 1); s.i32(v as number); break;
    case 'float32': s.f32(v as number); break;
    case 'float64': s.f64(v as number); break;
    case 'uint64': if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n) throw new InputError(`metadata '${key}': ${String(v)} is not a valid uint64`, { field: key }); s.u64(v); break;
    case 'int64': if (typeof v !== 'bigint' || v < -(1n << 63n) || v >= 1n << 63n) throw new InputError(`metadata '${key}': ${String(v)} is not a valid int64`, { field: key }); s.i64(v); break;
    case 'bool': s.u8(v ? 1 : 0); break;
    case 'string': if (typeof v !== 'string') throw new InputError(`metadata '${key}': expected a string`, { field: key }); s.str(v); break;
    default: throw new InputError(`metadata '${key}': unknown value kind ${kind}`, { field: key });
  }
}

function writeArray(s: ByteSink, key: string, a: GGUFArray): void {
  s.u32(KIND_TO_TYPE[a.itemKind]);
  s.u64(BigInt(a.values.length));
  if (a.itemKind === 'array') for (const inner of a.values) writeArray(s, key, inner); // items of a nested array: (type, count, data), as gguf-py writes them
  else for (const v of a.values) writeScalar(s, key, a.itemKind, v);
}

function writeValue(s: ByteSink, key: string, v: GGUFValue): void {
  s.u32(KIND_TO_TYPE[v.kind]);
  if (v.kind === 'array') writeArray(s, key, v);
  else writeScalar(s, key, v.kind, v.value);
}

/**
 * Serialize a GGUF v3 file into chunks (header, metadata, tensor infos, padded data). Tensor
 * offsets are assigned in the order given, each aligned to `general.alignment`.
 */
export function serializeGGUF(metadata: ReadonlyMap<string, GGUFValue> | Readonly<Record<string, GGUFValue>>, tensors: readonly GGUFTensorInput[]): Uint8Array[] {
  const meta = metadata instanceof Map ? [...metadata.entries()] : Object.entries(metadata as Record<string, GGUFValue>);
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const al = meta.find(([k]) => k === 'general.alignment');
  if (al) {
    const v = al[1];
    if (v.kind !== 'uint32' || v.value === 0 || (v.value & (v.value - 1)) !== 0) throw new ConfigError('general.alignment must be a uint32 power of two', { field: 'general.alignment' });
    alignment = v.value;
  }
  const names = new Set<string>();
  for (const [k] of meta) { if (names.has(k)) throw new InputError(`duplicate metadata key '${k}'`, { field: k }); names.add(k); }
  names.clear();
  const s = new ByteSink();
  s.u32(GGUF_MAGIC);
  s.u32(3);
  s.u64(BigInt(tensors.length));
  s.u64(BigInt(meta.length));
  for (const [k, v] of meta) { s.str(k); writeValue(s, k, v); }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    if (names.has(t.name)) throw new InputError(`duplicate tensor name '${t.name}'`, { field: t.name });
    names.add(t.name);
    const info = ggmlTypeInfo(t.type);
    if (!info) throw new InputError(`tensor '${t.name}': unknown ggml type ${t.type}`, { field: t.name });
    if (t.dims.length < 1 || t.dims.length > 4 || !t.dims.every((d) => Number.isSafeInteger(d) && d > 0)) throw new InputError(`tensor '${t.name}': dims must be 1 to 4 positive integers, got [${t.dims.join(', ')}]`, { field: t.name });
    if (t.dims[0]! % info.blockSize !== 0) throw new InputError(`tensor '${t.name}': innermost dim ${t.dims[0]} is not a multiple of ${info.name}'s block size ${info.blockSize}`, { field: t.name });
    const elements = t.dims.reduce((a, b) => a * b, 1);
    const size = ggmlByteSize(info, elements);
    if (size !== t.data.byteLength) throw new InputError(`tensor '${t.name}': ${info.name}[${t.dims.join(', ')}] needs ${size} bytes, got ${t.data.byteLength}`, { field: t.name });
    s.str(t.name);
    s.u32(t.dims.length);
    for (const d of t.dims) s.u64(BigInt(d));
    s.u32(t.type);
    s.u64(BigInt(offset));
    offsets.push(offset);
    offset += Math.ceil(size / alignment) * alignment;
  }
  const pad = (n: number) => (alignment - (n % alignment)) % alignment;
  s.bytes(new Uint8Array(pad(s.length)));
  const chunks = s.finish();
  for (const t of tensors) {
    chunks.push(t.data);
    const p = pad(t.data.byteLength);
    if (p) chunks.push(new Uint8Array(p));
  }
  return chunks;
}

/** Write a GGUF v3 file atomically (the target appears only when complete). */
export async function writeGGUF(path: string, metadata: ReadonlyMap<string, GGUFValue> | Readonly<Record<string, GGUFValue>>, tensors: readonly GGUFTensorInput[], options: WriteGGUFOptions = {}): Promise<void> {
  const chunks = serializeGGUF(metadata, tensors);
  const total = chunks.reduce((a, c) => a + c.byteLength, 0);
  const progress = createProgress({ label: options.label ?? 'write gguf', total: Math.ceil(total / 2 ** 20), unit: 'MB' });
  const out = await createAtomicWriteStream(path);
  try {
    let written = 0;
    for (const c of chunks) {
      throwIfAborted(options.signal);
      await out.write(c);
      written += c.byteLength;
      progress.update(Math.floor(written / 2 ** 20));
    }
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  } finally {
    progress.done();
  }
}
