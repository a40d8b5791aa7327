import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, NotFoundError } from '../errors.js';
import { parseJson, readLines, readText, readTsv, type TsvRow } from './readers.js';

/**
 * The registry of bundled datasets: the files under the repository's `data/` folder, listed in
 * `data/manifest.json` (written by `tools/bundle-data.mjs`), with provenance and licence.
 *
 * The folder is found from `LLM_DATA_DIR`, else by walking up from the current directory and
 * from this module's location until a `data/manifest.json` appears.
 */

/** Kinds of bundled dataset, which decide how they are read. */
export type DatasetKind = 'text' | 'tsv' | 'jsonl' | 'squad' | 'analogies' | 'pdf';

/** One file of a dataset. */
export interface DatasetFile {
  /** Path relative to the data folder (`.gz` files are read decompressed). */
  path: string;
  /** Uncompressed size in bytes. */
  bytes: number;
}

/** A dataset's manifest entry. */
export interface DatasetInfo {
  name: string;
  kind: DatasetKind;
  description: string;
  license: string;
  source: string;
  files: DatasetFile[];
  /** Lines, rows, questions or documents, by kind. */
  items: number;
  /** Uncompressed bytes of all files. */
  bytes: number;
  /** TSV column names. */
  columns?: string[];
  /** Whether the TSV's first line is a header. */
  header?: boolean;
  /** Licence notice shipped beside the files (path relative to the data folder), where the licence asks for one. */
  notice?: string;
}

interface Manifest {
  version: number;
  datasets: DatasetInfo[];
}

function moduleDir(): string | undefined {
  try {
    // ESM build; tsup's shims give CJS a working import.meta.url too.
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return undefined;
  }
}

function findUp(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'data', 'manifest.json');
    if (existsSync(candidate)) return join(dir, 'data');
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

let cachedDir: string | undefined;
let cachedManifest: Manifest | undefined;

/** The data folder, or a {@link ConfigError} saying how to point at one. */
export function dataDir(): string {
  const env = process.env.LLM_DATA_DIR;
  if (env) {
    if (!existsSync(join(env, 'manifest.json'))) throw new ConfigError(`LLM_DATA_DIR=${env} has no manifest.json`);
    return resolve(env);
  }
  if (cachedDir) return cachedDir;
  const found = findUp(process.cwd()) ?? (moduleDir() ? findUp(moduleDir()!) : undefined);
  if (!found) throw new ConfigError('bundled data not found: run inside the @llm repository or set LLM_DATA_DIR to its data/ folder');
  cachedDir = found;
  return found;
}

function manifest(): Manifest {
  const dir = dataDir();
  if (cachedManifest && cachedDir === dir) return cachedManifest;
  const file = join(dir, 'manifest.json');
  const m = parseJson(readFileSync(file, 'utf8'), { file }) as Manifest;
  if (!Array.isArray(m.datasets)) throw new ConfigError('manifest has no datasets array', { file });
  cachedManifest = m;
  return m;
}

/** Every bundled dataset. */
export function listDatasets(): DatasetInfo[] {
  return manifest().datasets;
}

/** One dataset's manifest entry, or a {@link NotFoundError} listing the names. */
export function getDataset(name: string): DatasetInfo {
  const ds = manifest().datasets.find((d) => d.name === name);
  if (!ds) throw new NotFoundError(`unknown dataset '${name}'; bundled: ${manifest().datasets.map((d) => d.name).join(', ')}`);
  return ds;
}

/** Absolute paths of a dataset's files; `match` keeps those whose path contains it. */
export function datasetFiles(name: string, match?: string): string[] {
  const ds = getDataset(name);
  const dir = dataDir();
  const files = ds.files.filter((f) => match === undefined || f.path.includes(match)).map((f) => join(dir, f.path));
  if (files.length === 0) throw new NotFoundError(`dataset '${name}' has no file matching '${match}'`);
  return files;
}

/** The whole text of a `text` dataset (its files joined by newlines), or of the files matching `match`. */
export async function loadText(name: string, match?: string): Promise<string> {
  const parts: string[] = [];
  for (const f of datasetFiles(name, match)) parts.push(await readText(f));
  return parts.join('\n');
}

/** Stream the rows of a `tsv` dataset as records keyed by its columns. */
export async function* datasetRows(name: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<TsvRow> {
  const ds = getDataset(name);
  if (ds.kind !== 'tsv') throw new ConfigError(`dataset '${name}' is ${ds.kind}, not tsv`);
  for (const f of datasetFiles(name)) {
    yield* readTsv(f, { columns: ds.columns, header: ds.header ?? false, signal: options.signal });
  }
}

/** Preview: the first `n` items of a dataset as strings (lines, rows or questions). */
export async function previewDataset(name: string, n = 5): Promise<string[]> {
  const ds = getDataset(name);
  const out: string[] = [];
  if (ds.kind === 'pdf') {
    return ds.files.map((f) => `${f.path} (${(f.bytes / 1024).toFixed(0)} KiB PDF)`).slice(0, n);
  }
  if (ds.kind === 'squad') {
    const file = datasetFiles(name)[0]!;
    const json = parseJson(await readText(file), { file }) as { data: Array<{ title: string; paragraphs: Array<{ qas: Array<{ question: string; answers: Array<{ text: string }> }> }> }> };
    for (const art of json.data) for (const p of art.paragraphs) for (const q of p.qas) {
      if (out.length < n) out.push(`${art.title}: ${q.question} → ${q.answers[0]?.text ?? ''}`);
    }
    return out;
  }
  if (ds.kind === 'tsv') {
    for await (const row of datasetRows(name)) {
      out.push(Object.entries(row.values).map(([k, v]) => `${k}=${v.length > 80 ? `${v.slice(0, 77)}...` : v}`).join(' | '));
      if (out.length >= n) break;
    }
    return out;
  }
  for await (const { line } of readLines(datasetFiles(name)[0]!)) {
    if (line.trim() === '') continue;
    out.push(line.length > 160 ? `${line.slice(0, 157)}...` : line);
    if (out.length >= n) break;
  }
  return out;
}
