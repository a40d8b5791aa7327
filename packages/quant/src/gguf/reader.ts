/**
 * A small GGUF v3 (and v2) reader: header, typed metadata, tensor infos and data. Every count,
 * length, offset and size is checked against the file before it is used, so a truncated or
 * malformed file is a {@link FormatError} naming the byte offset, never an allocation of garbage
 * size or a crash further down (llama.cpp).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { FormatError, NotFoundError } from '@llm/core';
import { ggmlByteSize, ggmlTypeInfo } from '../ggml/types.js';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './writer.js';
import { KIND_SIZE, TYPE_TO_KIND, type GGUFArray, type GGUFTensorInfo, type GGUFValue } from './types.js';

const FORMAT = 'gguf';
/** Longest string accepted (keys, names, metadata strings). */
const MAX_STRING = 1 << 26;

/** A parsed GGUF header. */
export interface GGUFHeader {
  version: number;
  metadata: Map<string, GGUFValue>;
  tensors: GGUFTensorInfo[];
  alignment: number;
  /** Absolute offset of the data section. */
  dataStart: number;
  fileSize: number;
}

/** Random-access bytes: a whole buffer or a file read on demand. */
interface Source {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

class Cursor {
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  constructor(readonly src: Source, private file: string | undefined) {}
  fail(msg: string, offset = this.pos, field?: string): never {
    throw new FormatError(FORMAT, msg, { file: this.file, offset, field });
  }
  async need(n: number, what: string): Promise<DataView> {
    if (this.pos + n > this.src.size) this.fail(`${what} at byte ${this.pos} needs ${n} bytes, but the file ends at ${this.src.size}`);
    const end = this.bufStart + this.buf.length;
    if (this.pos < this.bufStart || this.pos + n > end) {
      const len = Math.min(this.src.size - this.pos, Math.max(n, 1 << 20));
      this.buf = await this.src.read(this.pos, len);
      this.bufStart = this.pos;
    }
    const off = this.pos - this.bufStart;
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + off, n);
    this.pos += n;
    return dv;
  }
  async u32(what: string) { return (await this.need(4, what)).getUint32(0, true); }
  async u64(what: string): Promise<number> {
    const at = this.pos;
    const v = (await this.need(8, what)).getBigUint64(0, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${v} is too large`, at);
    return Number(v);
  }
  async str(what: string): Promise<string> {
    const at = this.pos;
    const n = await this.u64(`${what} length`);
    if (n > MAX_STRING) this.fail(`${what}: string length ${n} exceeds ${MAX_STRING}`, at);
    if (this.pos + n > this.src.size) this.fail(`${what}: string of ${n} bytes runs past the end of the file (${this.src.size} bytes)`, at);
    const dv = await this.need(n, what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(dv.buffer, dv.byteOffset, n));
    } catch {
      return this.fail(`${what} is not valid UTF-8`, at + 8);
    }
  }
}

async function readScalar(c: Cursor, kind: string, key: string): Promise<number | bigint | boolean | string> {
  switch (kind) {
    case 'uint8': return (await c.need(1, key)).getUint8(0);
    case 'int8': return (await c.need(1, key)).getInt8(0);
    case 'uint16': return (await c.need(2, key)).getUint16(0, true);
    case 'int16': return (await c.need(2, key)).getInt16(0, true);
    case 'uint32': return (await c.need(4, key)).getUint32(0, true);
    case 'int32': return (await c.need(4, key)).getInt32(0, true);
    case 'float32': return (await c.need(4, key)).getFloat32(0, true);
    case 'float64': return (await c.need(8, key)).getFloat64(0, true);
    case 'uint64': return (await c.need(8, key)).getBigUint64(0, true);
    case 'int64': return (await c.need(8, key)).getBigInt64(0, true);
    case 'bool': {
      const at = c.pos;
      const b = (await c.need(1, key)).getUint8(0);
      if (b > 1) c.fail(`metadata '${key}': bool byte is ${b}, expected 0 or 1`, at, key);
      return b === 1;
    }
    case 'string': return c.str(`metadata '${key}' value`);
  }
  return c.fail(`metadata '${key}': unknown kind ${kind}`, c.pos, key);
}

async function readArray(c: Cursor, key: string, depth: number): Promise<GGUFArray> {
  const at = c.pos;
  const t = await c.u32(`metadata '${key}' array item type`);
  const itemKind = TYPE_TO_KIND[t];
  if (itemKind === undefined) c.fail(`metadata '${key}': unknown array item type ${t}`, at, key);
  const count = await c.u64(`metadata '${key}' array count`);
  const minItem = itemKind === 'string' ? 8 : itemKind === 'array' ? 12 : KIND_SIZE[itemKind];
  if (count * minItem > c.src.size - c.pos) c.fail(`metadata '${key}': array of ${count} ${itemKind} items cannot fit in the ${c.src.size - c.pos} bytes left`, at, key);
  if (itemKind === 'array') {
    if (depth > 8) c.fail(`metadata '${key}': arrays nested deeper than 8`, at, key);
    const values: GGUFArray[] = [];
    for (let i = 0; i < count; i++) values.push(await readArray(c, key, depth + 1));
    return { kind: 'array', itemKind, values };
  }
  const values: (number | bigint | boolean | string)[] = new Array(count);
  for (let i = 0; i < count; i++) values[i] = await readScalar(c, itemKind, key);
  return { kind: 'array', itemKind, values } as GGUFArray;
}

async function readValue(c: Cursor, key: string): Promise<GGUFValue> {
  const at = c.pos;
  const t = await c.u32(`metadata '${key}' type`);
  const kind = TYPE_TO_KIND[t];
  if (kind === undefined) c.fail(`metadata '${key}': unknown value type ${t}`, at, key);
  if (kind === 'array') return readArray(c, key, 0);
  return { kind, value: await readScalar(c, kind, key) } as GGUFValue;
}

async function parse(src: Source, file?: string): Promise<GGUFHeader> {
  const c: Cursor = new Cursor(src, file);
  if (src.size < 24) c.fail(`file is ${src.size} bytes, shorter than a GGUF header (24)`, 0);
  const magic = await c.u32('magic');
  if (magic !== GGUF_MAGIC) c.fail(`bad magic 0x${magic.toString(16).padStart(8, '0')} (expected "GGUF")`, 0);
  const version = await c.u32('version');
  if (version !== 2 && version !== 3) c.fail(`unsupported GGUF version ${version} (2 or 3 expected)`, 4);
  const nTensors = await c.u64('tensor count');
  const nKv = await c.u64('metadata count');
  // Each KV takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor info at least 8+4+8+4+8.
  if (nKv * 13 > src.size - c.pos) c.fail(`metadata count ${nKv} cannot fit in the file`, 16);
  if (nTensors * 32 > src.size - c.pos) c.fail(`tensor count ${nTensors} cannot fit in the file`, 8);
  const metadata = new Map<string, GGUFValue>();
  for (let i = 0; i < nKv; i++) {
    const at = c.pos;
    const key = await c.str(`metadata key #${i}`);
    if (metadata.has(key)) c.fail(`duplicate metadata key '${key}'`, at, key);
    metadata.set(key, await readValue(c, key));
  }
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const al = metadata.get('general.alignment');
  if (al) {
    if (al.kind !== 'uint32' || al.value === 0 || (al.value & (al.value - 1)) !== 0) return c.fail(`general.alignment must be a uint32 power of two, got ${al.kind}`, 0, 'general.alignment');
    alignment = al.value;
  }
  const tensors: GGUFTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const infoOffset = c.pos;
    const name = await c.str(`tensor #${i} name`);
    if (names.has(name)) c.fail(`duplicate tensor name '${name}'`, infoOffset, name);
    names.add(name);
    const nd = await c.u32(`tensor '${name}' n_dims`);
    if (nd < 1 || nd > 4) c.fail(`tensor '${name}': n_dims ${nd} (1 to 4 expected)`, infoOffset, name);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nd; d++) {
      const v = await c.u64(`tensor '${name}' dim ${d}`);
      if (v === 0 || v > 2 ** 40) c.fail(`tensor '${name}': dim ${d} is ${v}`, c.pos - 8, name);
      dims.push(v);
      elements *= v;
      if (elements > 2 ** 50) c.fail(`tensor '${name}': ${elements} elements overflow`, c.pos - 8, name);
    }
    const typeAt = c.pos;
    const type = await c.u32(`tensor '${name}' type`);
    const info = ggmlTypeInfo(type);
    if (!info) c.fail(`tensor '${name}': unknown ggml type ${type}`, typeAt, name);
    if (dims[0]! % info.blockSize !== 0) c.fail(`tensor '${name}': innermost dim ${dims[0]} is not a multiple of ${info.name}'s block size ${info.blockSize}`, typeAt, name);
    const offAt = c.pos;
    const offset = await c.u64(`tensor '${name}' offset`);
    if (offset % alignment !== 0) c.fail(`tensor '${name}': data offset ${offset} is not a multiple of the alignment ${alignment}`, offAt, name);
    tensors.push({ name, dims, type, typeName: info.name, offset, fileOffset: 0, byteSize: ggmlByteSize(info, elements), elements, infoOffset });
  }
  const dataStart = Math.ceil(c.pos / alignment) * alignment;
  if (nTensors > 0 && dataStart > src.size) c.fail(`data section would start at ${dataStart}, past the end of the file (${src.size})`, c.pos);
  const dataSize = src.size - dataStart;
  // Every tensor inside the data section, and no two overlapping.
  const byOffset = [...tensors].sort((a, b) => a.offset - b.offset);
  let end = 0;
  let prev = '';
  for (const t of byOffset) {
    t.fileOffset = dataStart + t.offset;
    if (t.offset + t.byteSize > dataSize) c.fail(`tensor '${t.name}': data [${t.offset}, ${t.offset + t.byteSize}) runs past the end of the data section (${dataSize} bytes)`, t.infoOffset, t.name);
    if (t.offset < end) c.fail(`tensor '${t.name}' overlaps tensor '${prev}'`, t.infoOffset, t.name);
    end = t.offset + t.byteSize;
    prev = t.name;
  }
  return { version, metadata, tensors, alignment, dataStart, fileSize: src.size };
}

/** Parse a GGUF file held in memory. */
export function parseGGUF(buf: Uint8Array, file?: string): Promise<GGUFHeader> {
  return parse({ size: buf.byteLength, read: async (o, n) => buf.subarray(o, o + n) }, file);
}

/** An open GGUF file: the parsed header and tensor data on demand. */
export class GGUFFile {
  private constructor(readonly path: string, readonly header: GGUFHeader, private fh: FileHandle) {}

  /** Open and validate `path`. */
  static async open(path: string): Promise<GGUFFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`no such GGUF file: ${path}`, { file: path }, { cause: err });
      throw err;
    }
    try {
      const { size } = await fh.stat();
      const header = await parse({
        size,
        read: async (o, n) => {
          const b = new Uint8Array(n);
          const { bytesRead } = await fh.read(b, 0, n, o);
          return b.subarray(0, bytesRead);
        },
      }, path);
      return new GGUFFile(path, header, fh);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Tensor infos in file order. */
  get tensors(): GGUFTensorInfo[] { return this.header.tensors; }
  get metadata(): Map<string, GGUFValue> { return this.header.metadata; }

  /** Info of a tensor by name. */
  tensor(name: string): GGUFTensorInfo {
    const t = this.header.tensors.find((x) => x.name === name);
    if (!t) throw new NotFoundError(`tensor '${name}' not in ${this.path}`, { file: this.path, field: name });
    return t;
  }

  /** The raw (encoded) bytes of a tensor. */
  async read(name: string): Promise<Uint8Array> {
    const t = this.tensor(name);
    const b = new Uint8Array(t.byteSize);
    await this.fh.read(b, 0, t.byteSize, t.fileOffset);
    return b;
  }

  async close(): Promise<void> { await this.fh.close(); }
}
