/**
 * GGUF reading for this package: `@llm/core`'s container parser (`parseGguf` / `readGgufHeader`:
 * header, typed metadata, tensor infos, every count, string length, offset and size checked
 * against the file, a truncated or malformed file a {@link FormatError} naming the byte offset)
 * given this package's full ggml type table, so every tensor — k-quants included — is sized and
 * bounds-checked and an unknown type is an error; plus the checks llama.cpp's loader relies on
 * (1 to 4 non-zero dims). The result is presented in this package's value model ({@link GGUFValue},
 * the one the writer takes) with ggml type names, element counts and byte sizes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { FormatError, GgufType, NotFoundError, parseGguf, readGgufHeader, type GgmlBlockInfo, type GgufArray, type GgufFile, type GgufValue } from '@llm/core';
import { GGMLType, ggmlTypeInfo, type GGMLTypeName } from '../ggml/types.js';
import { TYPE_TO_KIND, type GGUFArray, type GGUFTensorInfo, type GGUFValue } from './types.js';

const FORMAT = 'gguf';

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

/** Every ggml type this package knows, in the shape core's parser takes. */
const TYPES: Readonly<Record<number, GgmlBlockInfo>> = Object.fromEntries(
  (Object.values(GGMLType) as number[]).map((id) => { const t = ggmlTypeInfo(id)!; return [id, { name: t.name, blockSize: t.blockSize, typeSize: t.typeSize }]; }),
);

function arrayValue(a: GgufArray): GGUFArray {
  if (a.itemType === GgufType.ARRAY) return { kind: 'array', itemKind: 'array', values: (a.values as GgufArray[]).map(arrayValue) };
  if (a.itemType === GgufType.STRING) return { kind: 'array', itemKind: 'string', values: a.values as string[] };
  if (a.itemType === GgufType.BOOL) return { kind: 'array', itemKind: 'bool', values: a.values as boolean[] };
  if (a.itemType === GgufType.UINT64 || a.itemType === GgufType.INT64) {
    return { kind: 'array', itemKind: TYPE_TO_KIND[a.itemType] as 'uint64' | 'int64', values: Array.from(a.values as BigUint64Array | BigInt64Array) };
  }
  return { kind: 'array', itemKind: TYPE_TO_KIND[a.itemType] as 'uint8', values: Array.from(a.values as ArrayLike<number>) };
}

function value(type: GgufType, v: GgufValue): GGUFValue {
  if (type === GgufType.ARRAY) return arrayValue(v as GgufArray);
  return { kind: TYPE_TO_KIND[type], value: v } as GGUFValue;
}

/** Core's parsed file → this package's header, with the extra checks llama.cpp's loader needs. */
function toHeader(f: GgufFile, file: string | undefined): GGUFHeader {
  const metadata = new Map<string, GGUFValue>();
  for (const [k, e] of f.metadata) metadata.set(k, value(e.type, e.value));
  const tensors = f.tensors.map((t): GGUFTensorInfo => {
    const fail = (msg: string): never => { throw new FormatError(FORMAT, `tensor '${t.name}': ${msg}`, { file, offset: t.infoOffset, field: t.name }); };
    if (t.dims.length < 1) fail('n_dims 0 (1 to 4 expected)');
    t.dims.forEach((d, i) => { if (d === 0) fail(`dim ${i} is 0`); });
    const info = ggmlTypeInfo(t.type)!; // core's parser rejected types not in TYPES
    return {
      name: t.name, dims: t.dims, type: t.type, typeName: info.name as GGMLTypeName, offset: t.relativeOffset, fileOffset: t.absoluteOffset,
      byteSize: t.byteSize!, elements: t.dims.reduce((a, b) => a * b, 1), infoOffset: t.infoOffset,
    };
  });
  return { version: f.version, metadata, tensors, alignment: f.alignment, dataStart: f.dataOffset, fileSize: f.fileSize };
}

/** Parse a GGUF file held in memory. */
export async function parseGGUF(buf: Uint8Array, file?: string): Promise<GGUFHeader> {
  return toHeader(parseGguf(buf, { file, types: TYPES }), file);
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
      return new GGUFFile(path, toHeader(readGgufHeader(path, { types: TYPES }), path), fh);
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
