import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { FormatError, NotFoundError } from '../errors.js';

/**
 * GGUF container reader (versions 2 and 3, little-endian): header, typed metadata (arrays
 * included), tensor infos and the aligned data section, validated before anything is handed out.
 *
 * Layout: `"GGUF"` magic, `u32` version, `u64` tensor count, `u64` metadata count; then the
 * metadata key/values (`string` key, `u32` type, value), then per tensor `string` name,
 * `u32` n_dims, `u64[n_dims]` dims, `u32` ggml type, `u64` offset (relative to the data section);
 * the data section starts at the next multiple of `general.alignment` (default 32).
 * Strings are a `u64` byte length then UTF-8 bytes. Quantisation types (block sizes beyond the
 * table below) and the writer belong to `@llm/quant`.
 *
 * @packageDocumentation
 */

const FORMAT = 'gguf';

/** GGUF metadata value types (the numbers used in the file). */
export enum GgufType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** A metadata array's values: numbers in a typed array, 64-bit integers as bigint arrays, or strings/booleans/nested arrays. */
export type GgufArrayValue =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array
  | BigUint64Array | BigInt64Array
  | string[]
  | boolean[]
  | GgufArray[];

/** An array value with its element type. */
export interface GgufArray {
  /** Element type. */
  itemType: GgufType;
  /** The elements. */
  values: GgufArrayValue;
}

/** A metadata value: numbers (8–32-bit and floats), bigint (64-bit integers), boolean, string or array. */
export type GgufValue = number | bigint | boolean | string | GgufArray;

/** One metadata entry. */
export interface GgufMetadataEntry {
  /** Value type as stored. */
  type: GgufType;
  /** The value. */
  value: GgufValue;
  /** Byte offset of the entry's key in the file. */
  offset: number;
}

/** A tensor's entry in the header. */
export interface GgufTensorInfo {
  name: string;
  /** Dimensions as stored (ggml order: fastest-varying first). */
  dims: number[];
  /** ggml type number (0 = F32, 1 = F16, 30 = BF16, quant types per ggml). */
  type: number;
  /** Offset relative to the start of the data section. */
  relativeOffset: number;
  /** Absolute offset in the file. */
  absoluteOffset: number;
  /** Byte size when the type's block size is known to this reader, else undefined. */
  byteSize?: number;
  /** Byte offset of this tensor's info record (its name) in the header. */
  infoOffset: number;
}

/** A parsed GGUF header. */
export interface GgufFile {
  /** Format version (2 or 3). */
  version: number;
  /** Metadata by key, in file order. */
  metadata: Map<string, GgufMetadataEntry>;
  /** Tensor infos in file order. */
  tensors: GgufTensorInfo[];
  /** Alignment of the data section and tensor offsets. */
  alignment: number;
  /** Absolute offset of the data section. */
  dataOffset: number;
  /** Size of the whole file in bytes. */
  fileSize: number;
}

/** Block geometry of a ggml type: `blockSize` elements stored in `typeSize` bytes. */
export interface GgmlBlockInfo {
  name: string;
  blockSize: number;
  typeSize: number;
}

/**
 * Block size (elements) and bytes per block of the ggml types this reader can size by itself,
 * for offset validation (unknown types are accepted but not sized). `@llm/quant` passes its full
 * table (k-quants, i-quants) through {@link GgufParseOptions.types}.
 */
export const GGML_TYPE_BLOCKS: Readonly<Record<number, GgmlBlockInfo>> = {
  0: { name: 'F32', blockSize: 1, typeSize: 4 },
  1: { name: 'F16', blockSize: 1, typeSize: 2 },
  2: { name: 'Q4_0', blockSize: 32, typeSize: 18 },
  3: { name: 'Q4_1', blockSize: 32, typeSize: 20 },
  6: { name: 'Q5_0', blockSize: 32, typeSize: 22 },
  7: { name: 'Q5_1', blockSize: 32, typeSize: 24 },
  8: { name: 'Q8_0', blockSize: 32, typeSize: 34 },
  9: { name: 'Q8_1', blockSize: 32, typeSize: 36 },
  24: { name: 'I8', blockSize: 1, typeSize: 1 },
  25: { name: 'I16', blockSize: 1, typeSize: 2 },
  26: { name: 'I32', blockSize: 1, typeSize: 4 },
  27: { name: 'I64', blockSize: 1, typeSize: 8 },
  28: { name: 'F64', blockSize: 1, typeSize: 8 },
  30: { name: 'BF16', blockSize: 1, typeSize: 2 },
};

/** Thrown internally when the buffer ends before the header does (the file reader then reads more). */
class NeedMore extends Error {
  constructor(readonly needed: number) {
    super('need more bytes');
  }
}

class Cursor {
  pos = 0;
  readonly view: DataView;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  constructor(
    readonly buf: Uint8Array,
    /** Whole file size, when the buffer is only its beginning. */
    readonly fileSize: number,
    readonly file: string | undefined,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  fail(message: string, offset = this.pos, field?: string): never {
    throw new FormatError(FORMAT, message, { file: this.file, offset, field });
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.byteLength) {
      if (this.pos + n > this.fileSize) this.fail(`unexpected end of file reading ${what} (${n} bytes at offset ${this.pos}, file is ${this.fileSize} bytes)`);
      throw new NeedMore(this.pos + n);
    }
  }
  u8(): number { this.need(1, 'u8'); return this.view.getUint8(this.pos++); }
  u32(what = 'u32'): number { this.need(4, what); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  u64(what = 'u64'): bigint { this.need(8, what); const v = this.view.getBigUint64(this.pos, true); this.pos += 8; return v; }
  /** A u64 that must fit a safe integer (counts, lengths, offsets). */
  size(what: string): number {
    const at = this.pos;
    const v = this.u64(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${v} is too large`, at);
    return Number(v);
  }
  str(what: string): string {
    const at = this.pos;
    const n = this.size(`${what} length`);
    if (at + 8 + n > this.fileSize) this.fail(`${what} length ${n} runs past the end of the file`, at);
    this.need(n, what);
    try {
      const s = this.decoder.decode(this.buf.subarray(this.pos, this.pos + n));
      this.pos += n;
      return s;
    } catch (err) {
      throw new FormatError(FORMAT, `${what} is not valid UTF-8`, { file: this.file, offset: this.pos }, { cause: err });
    }
  }
}

const SCALAR_SIZE: Partial<Record<GgufType, number>> = {
  [GgufType.UINT8]: 1, [GgufType.INT8]: 1, [GgufType.UINT16]: 2, [GgufType.INT16]: 2,
  [GgufType.UINT32]: 4, [GgufType.INT32]: 4, [GgufType.FLOAT32]: 4, [GgufType.BOOL]: 1,
  [GgufType.UINT64]: 8, [GgufType.INT64]: 8, [GgufType.FLOAT64]: 8,
};

function readScalar(c: Cursor, type: GgufType): number | bigint | boolean {
  const size = SCALAR_SIZE[type]!;
  c.need(size, GgufType[type]);
  const v = c.view;
  const p = c.pos;
  c.pos += size;
  switch (type) {
    case GgufType.UINT8: return v.getUint8(p);
    case GgufType.INT8: return v.getInt8(p);
    case GgufType.UINT16: return v.getUint16(p, true);
    case GgufType.INT16: return v.getInt16(p, true);
    case GgufType.UINT32: return v.getUint32(p, true);
    case GgufType.INT32: return v.getInt32(p, true);
    case GgufType.FLOAT32: return v.getFloat32(p, true);
    case GgufType.FLOAT64: return v.getFloat64(p, true);
    case GgufType.UINT64: return v.getBigUint64(p, true);
    case GgufType.INT64: return v.getBigInt64(p, true);
    case GgufType.BOOL: {
      const b = v.getUint8(p);
      if (b > 1) c.fail(`bool value ${b} is not 0 or 1`, p);
      return b === 1;
    }
    default: return c.fail(`not a scalar type ${type as number}`, p);
  }
}

function readArray(c: Cursor, depth: number): GgufArray {
  const at = c.pos;
  const itemType = c.u32('array item type') as GgufType;
  const n = c.size('array length');
  if (!(itemType in GgufType)) c.fail(`unknown array item type ${itemType as number}`, at);
  const scalar = SCALAR_SIZE[itemType];
  if (scalar !== undefined) {
    if (c.pos + n * scalar > c.fileSize) c.fail(`array of ${n} ${GgufType[itemType]} runs past the end of the file`, at);
    c.need(n * scalar, 'array data');
    const bytes = new Uint8Array(c.buf.subarray(c.pos, c.pos + n * scalar)); // a copy (Buffer#slice would alias)
    c.pos += n * scalar;
    const ab = bytes.buffer;
    let values: GgufArrayValue;
    switch (itemType) {
      case GgufType.UINT8: values = new Uint8Array(ab); break;
      case GgufType.INT8: values = new Int8Array(ab); break;
      case GgufType.UINT16: values = new Uint16Array(ab); break;
      case GgufType.INT16: values = new Int16Array(ab); break;
      case GgufType.UINT32: values = new Uint32Array(ab); break;
      case GgufType.INT32: values = new Int32Array(ab); break;
      case GgufType.FLOAT32: values = new Float32Array(ab); break;
      case GgufType.FLOAT64: values = new Float64Array(ab); break;
      case GgufType.UINT64: values = new BigUint64Array(ab); break;
      case GgufType.INT64: values = new BigInt64Array(ab); break;
      default: {
        const out: boolean[] = new Array<boolean>(n);
        for (let i = 0; i < n; i++) {
          if (bytes[i]! > 1) c.fail(`bool value ${bytes[i]!} is not 0 or 1`, c.pos - n + i);
          out[i] = bytes[i] === 1;
        }
        values = out;
      }
    }
    return { itemType, values };
  }
  if (itemType === GgufType.STRING) {
    // Each string takes at least 8 bytes: reject impossible counts before allocating.
    if (c.pos + n * 8 > c.fileSize) c.fail(`array of ${n} strings runs past the end of the file`, at);
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = c.str(`string ${i} of array`);
    return { itemType, values: out };
  }
  if (depth > 8) c.fail('arrays nested more than 8 deep', at);
  if (c.pos + n * 12 > c.fileSize) c.fail(`array of ${n} arrays runs past the end of the file`, at);
  const out: GgufArray[] = [];
  for (let i = 0; i < n; i++) out.push(readArray(c, depth + 1));
  return { itemType, values: out };
}

function readValue(c: Cursor, type: GgufType): GgufValue {
  if (type === GgufType.STRING) return c.str('string value');
  if (type === GgufType.ARRAY) return readArray(c, 0);
  return readScalar(c, type);
}

/** Options of {@link parseGguf} and {@link readGgufHeader}. */
export interface GgufParseOptions {
  /** File name for error messages. */
  file?: string;
  /** Whole file size, when the buffer given to {@link parseGguf} is only the file's beginning. */
  fileSize?: number;
  /**
   * ggml type geometry by type id. When given, it replaces {@link GGML_TYPE_BLOCKS} and a tensor
   * of a type not in it is a FormatError (so every tensor is sized and bounds-checked).
   */
  types?: Readonly<Record<number, GgmlBlockInfo>>;
}

/** ggml's GGML_MAX_DIMS: llama.cpp's GGUF loader rejects tensors with more dimensions. */
const MAX_DIMS = 4;

function parse(buf: Uint8Array, fileSize: number, file: string | undefined, types?: Readonly<Record<number, GgmlBlockInfo>>): GgufFile {
  const c = new Cursor(buf, fileSize, file);
  c.need(4, 'magic');
  if (buf[0] !== 0x47 || buf[1] !== 0x47 || buf[2] !== 0x55 || buf[3] !== 0x46) c.fail('bad magic (expected "GGUF")', 0);
  c.pos = 4;
  const version = c.u32('version');
  if (version !== 2 && version !== 3) c.fail(`unsupported GGUF version ${version} (2 and 3 are read)`, 4);
  const tensorCount = c.size('tensor count');
  const kvCount = c.size('metadata count');
  if (kvCount * 12 > fileSize) c.fail(`metadata count ${kvCount} cannot fit in ${fileSize} bytes`, 16);
  if (tensorCount * 24 > fileSize) c.fail(`tensor count ${tensorCount} cannot fit in ${fileSize} bytes`, 8);
  const metadata = new Map<string, GgufMetadataEntry>();
  for (let i = 0; i < kvCount; i++) {
    const offset = c.pos;
    const key = c.str(`metadata key ${i}`);
    if (metadata.has(key)) c.fail(`duplicate metadata key "${key}"`, offset);
    const typeAt = c.pos;
    const type = c.u32(`type of "${key}"`) as GgufType;
    if (!(type in GgufType)) c.fail(`unknown value type ${type as number} for "${key}"`, typeAt);
    metadata.set(key, { type, value: readValue(c, type), offset });
  }
  let alignment = 32;
  const al = metadata.get('general.alignment');
  if (al) {
    const v = al.value;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || (v & (v - 1)) !== 0) {
      c.fail(`general.alignment must be a positive power of two, got ${String(v)}`, al.offset);
    }
    alignment = v as number;
  }
  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const at = c.pos;
    const name = c.str(`tensor ${i} name`);
    if (names.has(name)) c.fail(`duplicate tensor name "${name}"`, at);
    names.add(name);
    const nd = c.u32('n_dims');
    if (nd > MAX_DIMS) c.fail(`tensor "${name}" has ${nd} dimensions (at most ${MAX_DIMS})`, c.pos - 4, name);
    const dims: number[] = [];
    let n = 1;
    for (let d = 0; d < nd; d++) {
      const v = c.size(`tensor "${name}" dim ${d}`);
      dims.push(v);
      n *= v;
      if (n > Number.MAX_SAFE_INTEGER) c.fail(`tensor "${name}": element count overflows`, c.pos - 8, name);
    }
    const typeAt = c.pos;
    const type = c.u32('tensor type');
    const offAt = c.pos;
    const relativeOffset = c.size(`tensor "${name}" offset`);
    const block = (types ?? GGML_TYPE_BLOCKS)[type];
    if (!block && types) c.fail(`tensor "${name}": unknown ggml type ${type}`, typeAt, name);
    if (relativeOffset % alignment !== 0) c.fail(`tensor "${name}" offset ${relativeOffset} is not a multiple of the alignment ${alignment}`, offAt, name);
    const info: GgufTensorInfo = { name, dims, type, relativeOffset, absoluteOffset: 0, infoOffset: at };
    if (block) {
      // ggml stores rows of whole blocks: the innermost dimension must be a multiple of the block size.
      if (dims.length > 0 && dims[0]! % block.blockSize !== 0) c.fail(`tensor "${name}": innermost dim ${dims[0]} is not a multiple of the ${block.name} block size ${block.blockSize}`, typeAt, name);
      info.byteSize = (n / block.blockSize) * block.typeSize;
    }
    tensors.push(info);
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  if (tensorCount > 0 && dataOffset > fileSize) c.fail(`data section at ${dataOffset} starts past the end of the file (${fileSize} bytes)`, c.pos);
  for (const t of tensors) {
    t.absoluteOffset = dataOffset + t.relativeOffset;
    const end = t.absoluteOffset + (t.byteSize ?? 0);
    if (end > fileSize) c.fail(`tensor "${t.name}" [${t.absoluteOffset}, ${end}) runs past the end of the file (${fileSize} bytes)`, t.infoOffset, t.name);
  }
  // Overlap check among sized tensors.
  const sized = tensors.filter((t) => t.byteSize !== undefined).sort((a, b) => a.relativeOffset - b.relativeOffset);
  for (let i = 1; i < sized.length; i++) {
    const prev = sized[i - 1]!;
    if (prev.relativeOffset + prev.byteSize! > sized[i]!.relativeOffset) {
      c.fail(`tensor "${sized[i]!.name}" overlaps tensor "${prev.name}"`, sized[i]!.infoOffset, sized[i]!.name);
    }
  }
  return { version, metadata, tensors, alignment, dataOffset, fileSize };
}

/**
 * Parse a GGUF header from bytes. `buf` may be the whole file, or its beginning when `fileSize`
 * gives the whole size (offsets are then validated against that size).
 * @throws FormatError with the byte offset of the first problem.
 */
export function parseGguf(buf: Uint8Array, options: GgufParseOptions = {}): GgufFile {
  try {
    return parse(buf, options.fileSize ?? buf.byteLength, options.file, options.types);
  } catch (err) {
    if (err instanceof NeedMore) {
      throw new FormatError(FORMAT, `header needs ${err.needed} bytes but only ${buf.byteLength} were given`, { file: options.file, offset: buf.byteLength });
    }
    throw err;
  }
}

/**
 * Read a GGUF file's header (metadata and tensor infos) without reading the tensor data.
 * @throws NotFoundError if the file does not exist; FormatError for a malformed file.
 */
export function readGgufHeader(path: string, options: Pick<GgufParseOptions, 'types'> = {}): GgufFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new NotFoundError(`cannot open ${path}`, { file: path }, { cause: err });
  }
  try {
    const fileSize = fstatSync(fd).size;
    let want = Math.min(fileSize, 1 << 20);
    for (;;) {
      const buf = new Uint8Array(want);
      const got = readSync(fd, buf, 0, want, 0);
      try {
        return parse(buf.subarray(0, got), fileSize, path, options.types);
      } catch (err) {
        if (!(err instanceof NeedMore) || want >= fileSize) throw err;
        want = Math.min(fileSize, Math.max(want * 2, err.needed + (1 << 20)));
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A metadata value by key, or undefined. */
export function ggufValue(file: GgufFile, key: string): GgufValue | undefined {
  return file.metadata.get(key)?.value;
}

/**
 * A string-array metadata value (e.g. `tokenizer.ggml.tokens`).
 * @throws FormatError if the key is missing (when `required`) or not an array of strings.
 */
export function ggufStringArray(file: GgufFile, key: string, required: true): string[];
export function ggufStringArray(file: GgufFile, key: string, required?: boolean): string[] | undefined;
export function ggufStringArray(file: GgufFile, key: string, required = false): string[] | undefined {
  const e = file.metadata.get(key);
  if (!e) {
    if (required) throw new FormatError(FORMAT, `missing metadata "${key}"`, { field: key });
    return undefined;
  }
  const v = e.value;
  if (typeof v !== 'object' || v.itemType !== GgufType.STRING) throw new FormatError(FORMAT, `metadata "${key}" is not an array of strings`, { field: key, offset: e.offset });
  return v.values as string[];
}

/** A numeric metadata array as plain numbers (64-bit values converted), or undefined. */
export function ggufNumberArray(file: GgufFile, key: string): number[] | undefined {
  const e = file.metadata.get(key);
  if (!e) return undefined;
  const v = e.value;
  if (typeof v !== 'object' || SCALAR_SIZE[v.itemType] === undefined || v.itemType === GgufType.BOOL) {
    throw new FormatError(FORMAT, `metadata "${key}" is not a numeric array`, { field: key, offset: e.offset });
  }
  return Array.from(v.values as ArrayLike<number | bigint>, (x) => Number(x));
}
