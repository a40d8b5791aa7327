import { open, type FileHandle } from 'node:fs/promises';
import { FormatError, NotFoundError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { arrayToBytes, bytesToArray, DTYPE_SIZE, isSafeDType, type SafeDType, type TensorArray } from './dtypes.js';

/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`), then the
 * tensors' bytes, offsets relative to the end of the header. Readers here validate everything
 * the format promises before handing out data; writers produce files the Python `safetensors`
 * library and `transformers` load (tensors sorted by dtype size, then name; header padded with
 * spaces to 8 bytes).
 */

const FORMAT = 'safetensors';
/** Largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** A tensor's entry in the header, with absolute byte positions. */
export interface SafetensorInfo {
  name: string;
  dtype: SafeDType;
  shape: number[];
  /** Offset of the first byte from the start of the file. */
  byteOffset: number;
  byteLength: number;
}

/** A tensor to write, or one read whole. */
export interface SafeTensor {
  dtype: SafeDType;
  shape: readonly number[];
  /** Elements in the dtype's typed array (F16/BF16 as Uint16Array bits), or raw little-endian bytes. */
  data: TensorArray | Uint8Array;
}

/** The parsed header. */
export interface SafetensorsHeader {
  /** Tensors in file order. */
  tensors: SafetensorInfo[];
  metadata: Record<string, string>;
  /** Byte offset where tensor data starts (8 + N). */
  dataStart: number;
}

/**
 * Validate and parse a header. `fileSize` is the whole file's size; `file` names it in errors.
 */
export function parseHeader(headerBytes: Uint8Array, fileSize: number, file?: string): SafetensorsHeader {
  const n = headerBytes.byteLength;
  const dataStart = 8 + n;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch (err) {
    throw new FormatError(FORMAT, 'header is not valid UTF-8', { file, offset: 8 }, { cause: err });
  }
  if (!text.startsWith('{')) throw new FormatError(FORMAT, "header must start with '{'", { file, offset: 8 });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec(String(err));
    throw new FormatError(FORMAT, `header is not valid JSON (${(err as Error).message})`, { file, offset: 8 + (m ? Number(m[1]) : 0) }, { cause: err });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new FormatError(FORMAT, 'header must be a JSON object', { file, offset: 8 });
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: SafetensorInfo[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new FormatError(FORMAT, '__metadata__ must be an object of strings', { file, offset: 8, field: '__metadata__' });
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new FormatError(FORMAT, `__metadata__.${k} must be a string`, { file, offset: 8, field: `__metadata__.${k}` });
        metadata[k] = v;
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const field = name;
    if (e === null || typeof e !== 'object') throw new FormatError(FORMAT, `entry '${name}' must be an object`, { file, offset: 8, field });
    if (typeof e.dtype !== 'string' || !isSafeDType(e.dtype)) throw new FormatError(FORMAT, `tensor '${name}': unknown dtype ${JSON.stringify(e.dtype)}`, { file, offset: 8, field: `${name}.dtype` });
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new FormatError(FORMAT, `tensor '${name}': shape must be an array of non-negative integers`, { file, offset: 8, field: `${name}.shape` });
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new FormatError(FORMAT, `tensor '${name}': data_offsets must be [begin, end]`, { file, offset: 8, field: `${name}.data_offsets` });
    const [begin, end] = offs as [number, number];
    if (end < begin) throw new FormatError(FORMAT, `tensor '${name}': data_offsets end ${end} < begin ${begin}`, { file, offset: dataStart + begin, field: `${name}.data_offsets` });
    if (end > dataSize) throw new FormatError(FORMAT, `tensor '${name}': data_offsets [${begin}, ${end}] run past the end of the data (${dataSize} bytes)`, { file, offset: dataStart + begin, field: `${name}.data_offsets` });
    const shape = e.shape as number[];
    const elems = shape.reduce((a, b) => a * b, 1);
    const expected = elems * DTYPE_SIZE[e.dtype];
    if (expected !== end - begin) throw new FormatError(FORMAT, `tensor '${name}': ${e.dtype}${JSON.stringify(shape)} needs ${expected} bytes, data_offsets give ${end - begin}`, { file, offset: dataStart + begin, field: `${name}.data_offsets` });
    tensors.push({ name, dtype: e.dtype, shape, byteOffset: dataStart + begin, byteLength: end - begin });
  }
  // Data must be covered exactly: sorted by offset, each tensor starts where the previous ended.
  const sorted = [...tensors].sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  let pos = dataStart;
  for (const t of sorted) {
    if (t.byteOffset < pos) throw new FormatError(FORMAT, `tensor '${t.name}' overlaps the previous tensor`, { file, offset: t.byteOffset, field: `${t.name}.data_offsets` });
    if (t.byteOffset > pos) throw new FormatError(FORMAT, `gap of ${t.byteOffset - pos} bytes before tensor '${t.name}' (offsets must be contiguous)`, { file, offset: pos, field: `${t.name}.data_offsets` });
    pos = t.byteOffset + t.byteLength;
  }
  if (pos !== fileSize) throw new FormatError(FORMAT, `${fileSize - pos} bytes after the last tensor are not described by the header`, { file, offset: pos });
  tensors.sort((a, b) => a.byteOffset - b.byteOffset || a.name.localeCompare(b.name));
  return { tensors, metadata, dataStart };
}

function readHeaderLength(prefix: Uint8Array, fileSize: number, file?: string): number {
  if (fileSize < 8) throw new FormatError(FORMAT, `file is ${fileSize} bytes, shorter than the 8-byte header length`, { file, offset: 0 });
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new FormatError(FORMAT, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`, { file, offset: 0 });
  if (n > BigInt(fileSize - 8)) throw new FormatError(FORMAT, `header length ${n} runs past the end of the file (${fileSize} bytes)`, { file, offset: 0 });
  if (n < 2n) throw new FormatError(FORMAT, `header length ${n} is too small for a JSON object`, { file, offset: 0 });
  return Number(n);
}

/** Parse a whole safetensors buffer; tensors are views into it (copied only when unaligned). */
export function parseSafetensors(buf: Uint8Array, file?: string): { header: SafetensorsHeader; tensors: Map<string, SafeTensor> } {
  const n = readHeaderLength(buf.subarray(0, 8), buf.byteLength, file);
  const header = parseHeader(buf.subarray(8, 8 + n), buf.byteLength, file);
  const tensors = new Map<string, SafeTensor>();
  for (const t of header.tensors) {
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: bytesToArray(t.dtype, buf.subarray(t.byteOffset, t.byteOffset + t.byteLength)) });
  }
  return { header, tensors };
}

/**
 * A safetensors file opened for random access: only the header is read at open; each tensor is
 * read from disk when asked for, so files larger than memory can be inspected and loaded piecewise.
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    readonly header: SafetensorsHeader,
    readonly size: number,
    private fh: FileHandle | undefined,
  ) {}

  /** Open and validate `path`. Close it with {@link SafetensorsFile.close}. */
  static async open(path: string): Promise<SafetensorsFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('no such file', { file: path }, { cause: err });
      throw err;
    }
    try {
      const { size } = await fh.stat();
      const prefix = new Uint8Array(8);
      await fh.read(prefix, 0, Math.min(8, size), 0);
      const n = readHeaderLength(prefix, size, path);
      const hb = new Uint8Array(n);
      await fh.read(hb, 0, n, 8);
      return new SafetensorsFile(path, parseHeader(hb, size, path), size, fh);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Tensor names in file order. */
  get names(): string[] {
    return this.header.tensors.map((t) => t.name);
  }

  /** The `__metadata__` strings. */
  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  /** A tensor's header entry, or a NotFoundError. */
  info(name: string): SafetensorInfo {
    const t = this.header.tensors.find((x) => x.name === name);
    if (!t) throw new NotFoundError(`no tensor '${name}'`, { file: this.path });
    return t;
  }

  /** Read one tensor from disk. */
  async read(name: string): Promise<SafeTensor> {
    if (!this.fh) throw new Error(`${this.path} is closed`);
    const t = this.info(name);
    const bytes = new Uint8Array(t.byteLength);
    let off = 0;
    while (off < t.byteLength) {
      const { bytesRead } = await this.fh.read(bytes, off, t.byteLength - off, t.byteOffset + off);
      if (bytesRead === 0) throw new FormatError(FORMAT, `file ended while reading '${name}'`, { file: this.path, offset: t.byteOffset + off });
      off += bytesRead;
    }
    return { dtype: t.dtype, shape: t.shape, data: bytesToArray(t.dtype, bytes) };
  }

  /** Read every tensor. */
  async readAll(): Promise<Map<string, SafeTensor>> {
    const out = new Map<string, SafeTensor>();
    for (const n of this.names) out.set(n, await this.read(n));
    return out;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}

/**
 * Serialise tensors as safetensors (as chunks, so large tensors are not copied). Order is the
 * reference writer's: larger dtype first, then by name.
 */
export function serializeSafetensors(tensors: Readonly<Record<string, SafeTensor>> | ReadonlyMap<string, SafeTensor>, metadata?: Readonly<Record<string, string>>): Uint8Array[] {
  const entries: Array<[string, SafeTensor]> = tensors instanceof Map ? [...(tensors as ReadonlyMap<string, SafeTensor>).entries()] : Object.entries(tensors as Record<string, SafeTensor>);
  entries.sort(([an, a], [bn, b]) => DTYPE_SIZE[b.dtype] - DTYPE_SIZE[a.dtype] || (an < bn ? -1 : an > bn ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new FormatError(FORMAT, "a tensor may not be named '__metadata__'");
    if (!isSafeDType(t.dtype)) throw new FormatError(FORMAT, `tensor '${name}': unknown dtype ${String(t.dtype)}`);
    const bytes = arrayToBytes(t.data);
    const elems = t.shape.reduce((a, b) => a * b, 1);
    if (bytes.byteLength !== elems * DTYPE_SIZE[t.dtype]) {
      throw new FormatError(FORMAT, `tensor '${name}': ${t.dtype}${JSON.stringify(t.shape)} needs ${elems * DTYPE_SIZE[t.dtype]} bytes, got ${bytes.byteLength}`);
    }
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    chunks.push(bytes);
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const hb = Buffer.from(json, 'utf8');
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(hb.byteLength), true);
  return [prefix, hb, ...chunks];
}

/** Write tensors to `path` as safetensors, atomically. */
export async function writeSafetensors(path: string, tensors: Readonly<Record<string, SafeTensor>> | ReadonlyMap<string, SafeTensor>, metadata?: Readonly<Record<string, string>>): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/** Read a whole safetensors file into memory. For large files use {@link SafetensorsFile}. */
export async function readSafetensors(path: string): Promise<{ tensors: Map<string, SafeTensor>; metadata: Record<string, string> }> {
  const f = await SafetensorsFile.open(path);
  try {
    return { tensors: await f.readAll(), metadata: f.metadata };
  } finally {
    await f.close();
  }
}
