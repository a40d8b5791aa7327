import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync, createWriteStream, type WriteStream } from 'node:fs';
import { open, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Atomic writes: every artifact the workspace writes (checkpoints, tokenizers, indexes,
 * adapters, GGUF files) goes to a temporary file in the same folder, is flushed with fsync,
 * and is renamed over the target. A process killed mid-write leaves the previous file intact.
 */

function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function fsyncDir(dir: string): void {
  // Directory fsync makes the rename durable; some filesystems refuse it, which is harmless.
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* not supported here */ }
}

/** Data accepted by the atomic writers. */
export type AtomicData = string | Uint8Array | ReadonlyArray<Uint8Array>;

/** Write `data` to `path` atomically (temp file + fsync + rename). Creates parent folders. */
export async function writeFileAtomic(path: string, data: AtomicData): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w');
  try {
    const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const c of chunks) {
      let off = 0;
      while (off < c.byteLength) {
        const { bytesWritten } = await fh.write(c, off, c.byteLength - off);
        off += bytesWritten;
      }
    }
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
    fsyncDir(dirname(path));
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Synchronous variant of {@link writeFileAtomic}. */
export function writeFileAtomicSync(path: string, data: AtomicData): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w');
  try {
    const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const c of chunks) {
      let off = 0;
      while (off < c.byteLength) off += writeSync(fd, c, off, c.byteLength - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Write a value as pretty JSON (2-space indent, trailing newline) atomically. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A write stream whose content appears at `path` only when {@link AtomicWriteStream.commit}
 * resolves; {@link AtomicWriteStream.abort} discards it. Use it for large artifacts written in pieces.
 */
export interface AtomicWriteStream {
  /** The underlying stream writing to the temporary file. */
  readonly stream: WriteStream;
  /** Write a chunk, waiting for drain when the buffer is full. */
  write(chunk: Uint8Array | string): Promise<void>;
  /** Flush, fsync and rename over the target. */
  commit(): Promise<void>;
  /** Close and delete the temporary file; the target is untouched. */
  abort(): Promise<void>;
}

/** Open an {@link AtomicWriteStream} for `path`. */
export async function createAtomicWriteStream(path: string): Promise<AtomicWriteStream> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const stream = createWriteStream(tmp);
  await new Promise<void>((resolve, reject) => { stream.once('open', () => resolve()); stream.once('error', reject); });
  let done = false;
  const end = () => new Promise<void>((resolve, reject) => { stream.end((err?: Error | null) => (err ? reject(err) : resolve())); });
  return {
    stream,
    write(chunk) {
      return new Promise<void>((resolve, reject) => {
        const ok = stream.write(chunk, (err) => { if (err) reject(err); });
        if (ok) resolve(); else stream.once('drain', () => resolve());
      });
    },
    async commit() {
      if (done) return;
      done = true;
      await end();
      const fh = await open(tmp, 'r+');
      try { await fh.sync(); } finally { await fh.close(); }
      await rename(tmp, path);
      fsyncDir(dirname(path));
    },
    async abort() {
      if (done) return;
      done = true;
      await end().catch(() => undefined);
      await rm(tmp, { force: true });
    },
  };
}
