import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { FormatError, NotFoundError, writeFileAtomic } from '@llm/core';
import { KeyedVectors } from './vectors.js';

/**
 * word2vec / fastText vector files:
 * - text (`.txt`, fastText `.vec`): a header line `count dim`, then `word v1 … vdim` per line;
 * - binary (`.bin` of word2vec.c / gensim `binary=True`): the same header, then per word the
 *   UTF-8 word, one space, `dim` little-endian float32, and (as word2vec.c writes) a newline.
 */
export type VectorFormat = 'text' | 'binary';

async function readBytes(path: string): Promise<Buffer> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`no such file: ${path}`, { file: path });
    throw err;
  }
  return path.endsWith('.gz') ? gunzipSync(buf) : buf;
}

/** Guess the format from the bytes: binary when the first row holds non-text bytes. */
export function detectVectorFormat(buf: Uint8Array): VectorFormat {
  const nl = buf.indexOf(10);
  if (nl < 0) return 'text';
  const end = Math.min(buf.length, nl + 1 + 4096);
  for (let i = nl + 1; i < end; i++) {
    const b = buf[i]!;
    if (b === 0 || (b < 32 && b !== 10 && b !== 13 && b !== 9)) return 'binary';
  }
  return 'text';
}

function parseHeader(line: string, file: string): { count: number; dim: number } {
  const parts = line.trim().split(/\s+/);
  const count = Number(parts[0]);
  const dim = Number(parts[1]);
  if (parts.length !== 2 || !Number.isInteger(count) || count < 0 || !Number.isInteger(dim) || dim <= 0) {
    throw new FormatError('word2vec', `header must be "<count> <dim>", got "${line.slice(0, 60)}"`, { file, line: 1 });
  }
  return { count, dim };
}

/** Parse word2vec text / fastText `.vec` content. */
export function parseWord2VecText(text: string, file = '<text>'): KeyedVectors {
  let p = text.indexOf('\n');
  if (p < 0) throw new FormatError('word2vec', 'missing header line', { file, line: 1 });
  const { count, dim } = parseHeader(text.slice(0, p), file);
  const words: string[] = [];
  const data = new Float32Array(count * dim);
  let lineNo = 1;
  p++;
  while (words.length < count) {
    if (p >= text.length) throw new FormatError('word2vec', `file ends after ${words.length} of ${count} vectors`, { file, line: lineNo + 1 });
    let e = text.indexOf('\n', p);
    if (e < 0) e = text.length;
    lineNo++;
    const line = text.slice(p, e).replace(/[\s]+$/, '');
    p = e + 1;
    if (line.length === 0) continue;
    const parts = line.split(' ');
    if (parts.length !== dim + 1) {
      throw new FormatError('word2vec', `expected a word and ${dim} values, got ${parts.length - 1} values (dimension mismatch)`, { file, line: lineNo });
    }
    const row = words.length * dim;
    for (let c = 0; c < dim; c++) {
      const v = Number(parts[c + 1]);
      if (Number.isNaN(v) && parts[c + 1] !== 'nan' && parts[c + 1] !== 'NaN') {
        throw new FormatError('word2vec', `value ${c + 1} of '${parts[0]}' is not a number: "${parts[c + 1]}"`, { file, line: lineNo });
      }
      data[row + c] = v;
    }
    words.push(parts[0]!);
  }
  return new KeyedVectors(words, dim, data);
}

/** Parse word2vec binary content. */
export function parseWord2VecBinary(buf: Uint8Array, file = '<binary>'): KeyedVectors {
  const nl = buf.indexOf(10);
  if (nl < 0) throw new FormatError('word2vec-binary', 'missing header line', { file, offset: 0 });
  const { count, dim } = parseHeader(Buffer.from(buf.subarray(0, nl)).toString('utf8'), file);
  const words: string[] = [];
  const data = new Float32Array(count * dim);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dec = new TextDecoder('utf-8');
  let p = nl + 1;
  for (let i = 0; i < count; i++) {
    while (p < buf.length && (buf[p] === 10 || buf[p] === 13)) p++;
    const ws = p;
    while (p < buf.length && buf[p] !== 32) p++;
    if (p >= buf.length) throw new FormatError('word2vec-binary', `file ends inside word ${i + 1} of ${count}`, { file, offset: ws });
    words.push(dec.decode(buf.subarray(ws, p)));
    p++;
    if (p + dim * 4 > buf.length) {
      throw new FormatError('word2vec-binary', `file ends inside the vector of word ${i + 1} of ${count} ('${words[i]}'): need ${dim * 4} bytes, ${buf.length - p} left`, { file, offset: p });
    }
    for (let c = 0; c < dim; c++) data[i * dim + c] = dv.getFloat32(p + c * 4, true);
    p += dim * 4;
  }
  return new KeyedVectors(words, dim, data);
}

/** Load word vectors in word2vec text/binary or fastText `.vec` format (`.gz` allowed); the format is detected unless given. */
export async function loadVectors(path: string, format?: VectorFormat): Promise<KeyedVectors> {
  const buf = await readBytes(path);
  const fmt = format ?? detectVectorFormat(buf);
  return fmt === 'binary' ? parseWord2VecBinary(buf, path) : parseWord2VecText(buf.toString('utf8'), path);
}

/** The shortest decimal that reads back as the same float32. */
export function formatFloat32(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  for (let p = 1; p < 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(Number(x.toPrecision(9)));
}

/** Serialise vectors as word2vec text (`.txt`/`.vec`). `precision` fixes the decimals (word2vec.c uses 6); default is the shortest exact form. */
export function formatWord2VecText(kv: KeyedVectors, precision?: number): string {
  const lines: string[] = [`${kv.size} ${kv.dim}`];
  const d = kv.dim;
  const parts = new Array<string>(d + 1);
  for (let i = 0; i < kv.size; i++) {
    parts[0] = kv.words[i]!;
    for (let c = 0; c < d; c++) {
      const v = kv.data[i * d + c]!;
      parts[c + 1] = precision === undefined ? formatFloat32(v) : v.toFixed(precision);
    }
    lines.push(parts.join(' '));
  }
  return `${lines.join('\n')}\n`;
}

/** Serialise vectors as word2vec binary (as word2vec.c writes it, newline after each vector). */
export function formatWord2VecBinary(kv: KeyedVectors): Uint8Array[] {
  const chunks: Uint8Array[] = [Buffer.from(`${kv.size} ${kv.dim}\n`, 'utf8')];
  const d = kv.dim;
  for (let i = 0; i < kv.size; i++) {
    const w = Buffer.from(`${kv.words[i]!} `, 'utf8');
    const row = Buffer.alloc(w.length + d * 4 + 1);
    w.copy(row, 0);
    for (let c = 0; c < d; c++) row.writeFloatLE(kv.data[i * d + c]!, w.length + c * 4);
    row[row.length - 1] = 10;
    chunks.push(row);
  }
  return chunks;
}

/** Save vectors atomically in word2vec text (default) or binary format. */
export async function saveVectors(path: string, kv: KeyedVectors, format: VectorFormat = 'text', precision?: number): Promise<void> {
  await writeFileAtomic(path, format === 'binary' ? formatWord2VecBinary(kv) : formatWord2VecText(kv, precision));
}
