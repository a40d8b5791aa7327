import { createReadStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { InputError, NotFoundError, throwIfAborted } from '../errors.js';
import { hashString32, type Rng } from '../rng.js';

/**
 * Typed readers for the text formats the curriculum uses (plain lines, TSV, JSONL, JSON),
 * transparently gunzipping `.gz` files, with errors that name the file and line.
 */

/** A line with its 1-based number. */
export interface NumberedLine {
  line: string;
  lineNo: number;
}

function openStream(path: string): Readable {
  const raw = createReadStream(path);
  return path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
}

function rethrowOpen(path: string, err: unknown): never {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') throw new NotFoundError('no such file', { file: path }, { cause: err });
  if (code === 'EISDIR') throw new InputError('is a folder, expected a file', { file: path }, { cause: err });
  throw err;
}

/** Stream the lines of a text file (`.gz` is decompressed), without their line endings. */
export async function* readLines(path: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<NumberedLine> {
  const stream = openStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.once('readable', resolve);
    stream.once('end', resolve);
  });
  try {
    await opened;
  } catch (err) {
    rethrowOpen(path, err);
  }
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of rl) {
      lineNo++;
      if ((lineNo & 1023) === 0) throwIfAborted(options.signal);
      yield { line, lineNo };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}

/** Read a whole text file (`.gz` is decompressed) as UTF-8. */
export async function readText(path: string): Promise<string> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    rethrowOpen(path, err);
  }
  return (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/** Synchronous {@link readText}. */
export function readTextSync(path: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    rethrowOpen(path, err);
  }
  return (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/** Options for {@link readTsv}. */
export interface TsvOptions {
  /** Column names. When absent, the first line is the header. */
  columns?: readonly string[];
  /** Whether the first line is a header to skip (default: true when `columns` is absent). */
  header?: boolean;
  /** Skip empty lines instead of failing on them. Default true. */
  skipEmpty?: boolean;
  signal?: AbortSignal;
}

/** One TSV row as a record of its columns, with its line number. */
export interface TsvRow {
  values: Record<string, string>;
  lineNo: number;
}

/**
 * Stream a tab-separated file as records. Every row must have as many fields as there are
 * columns; a row that does not is an {@link InputError} naming the file and line.
 */
export async function* readTsv(path: string, options: TsvOptions = {}): AsyncGenerator<TsvRow> {
  let columns = options.columns ? [...options.columns] : undefined;
  const hasHeader = options.header ?? columns === undefined;
  const skipEmpty = options.skipEmpty ?? true;
  for await (const { line, lineNo } of readLines(path, { signal: options.signal })) {
    if (lineNo === 1 && hasHeader) {
      const header = line.replace(/^\uFEFF/, '').split('\t');
      if (!columns) columns = header;
      continue;
    }
    if (line === '' && skipEmpty) continue;
    if (!columns) throw new InputError('no column names: pass columns or a header line', { file: path, line: lineNo });
    const fields = line.split('\t');
    if (fields.length !== columns.length) {
      throw new InputError(`expected ${columns.length} tab-separated fields (${columns.join(', ')}), got ${fields.length}`, { file: path, line: lineNo });
    }
    const values: Record<string, string> = {};
    for (let i = 0; i < columns.length; i++) values[columns[i]!] = fields[i]!;
    yield { values, lineNo };
  }
}

/**
 * Offset of the first JSON syntax error in `text` (a small validating scanner: V8's messages
 * on Node 20 do not say where the error is), or -1 if the text is valid.
 */
export function locateJsonError(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = () => { while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++; };
  const fail = (): never => { throw i; };
  const lit = (word: string) => { if (text.startsWith(word, i)) i += word.length; else fail(); };
  const str = () => {
    i++;
    while (i < n && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail(); i += 5; continue; }
        if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= n) fail();
    i++;
  };
  const num = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 10000) fail();
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str(); ws();
        if (text[i] !== ':') fail();
        i++;
        value(depth + 1); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail();
      }
    } else if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value(depth + 1); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail();
      }
    } else if (c === '"') str();
    else if (c === 't') lit('true');
    else if (c === 'f') lit('false');
    else if (c === 'n') lit('null');
    else num();
  };
  try {
    value(0);
    ws();
    return i < n ? i : -1;
  } catch (pos) {
    return typeof pos === 'number' ? Math.min(pos, n) : 0;
  }
}

/** Parse JSON, turning a syntax error into an {@link InputError} with line and column. */
export function parseJson(text: string, location: { file?: string; line?: number } = {}): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
    const pos = locateJsonError(text);
    let line = location.line;
    let column: number | undefined;
    if (pos >= 0) {
      const before = text.slice(0, pos).split('\n');
      line = (location.line ?? 1) + before.length - 1;
      column = before[before.length - 1]!.length + 1;
    }
    throw new InputError(`invalid JSON: ${msg}`, { file: location.file, line, column }, { cause: err });
  }
}

/** Stream a JSON-lines file: one value per non-empty line; bad JSON names the file and line. */
export async function* readJsonl<T = unknown>(path: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<{ value: T; lineNo: number }> {
  for await (const { line, lineNo } of readLines(path, options)) {
    if (line.trim() === '') continue;
    yield { value: parseJson(line, { file: path, line: lineNo }) as T, lineNo };
  }
}

/** Read and parse a whole JSON file (`.gz` allowed). */
export async function readJson(path: string): Promise<unknown> {
  return parseJson(await readText(path), { file: path });
}

/** Collect an async iterable into an array. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Split names. */
export type SplitName = 'train' | 'dev' | 'test';

/**
 * A stable split by hashing the example's key: the same key always lands in the same split,
 * whatever the order or size of the data. `dev` and `test` are fractions in [0, 1).
 */
export function hashSplit(key: string, fractions: { dev?: number; test?: number } = {}, salt = 'llm'): SplitName {
  const dev = fractions.dev ?? 0.1;
  const test = fractions.test ?? 0.1;
  if (dev < 0 || test < 0 || dev + test >= 1) throw new RangeError(`dev + test must be in [0, 1), got ${dev} + ${test}`);
  const u = hashString32(`${salt}\u0000${key}`) / 4294967296;
  if (u < test) return 'test';
  if (u < test + dev) return 'dev';
  return 'train';
}

/** Group items into arrays of `size` (the last may be shorter, unless `dropLast`). */
export function* batches<T>(items: Iterable<T>, size: number, options: { dropLast?: boolean } = {}): Generator<T[]> {
  if (!(size >= 1)) throw new RangeError(`batch size must be >= 1, got ${size}`);
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0 && !options.dropLast) yield batch;
}

/** Async variant of {@link batches}. */
export async function* batchesAsync<T>(items: AsyncIterable<T>, size: number, options: { dropLast?: boolean } = {}): AsyncGenerator<T[]> {
  if (!(size >= 1)) throw new RangeError(`batch size must be >= 1, got ${size}`);
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0 && !options.dropLast) yield batch;
}

/**
 * Shuffled mini-batches over an array for `epochs` epochs: each epoch uses its own permutation
 * drawn from `rng.split(epoch)`, so the order depends only on the seed and the epoch number.
 */
export function* shuffledBatches<T>(items: readonly T[], size: number, rng: Rng, options: { epoch?: number; dropLast?: boolean } = {}): Generator<T[]> {
  const perm = rng.split(`epoch:${options.epoch ?? 0}`).permutation(items.length);
  let batch: T[] = [];
  for (let i = 0; i < perm.length; i++) {
    batch.push(items[perm[i]!]!);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0 && !options.dropLast) yield batch;
}
