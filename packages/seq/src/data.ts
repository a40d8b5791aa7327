import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, NotFoundError, datasetRows, hashSplit, readTsv, throwIfAborted } from '@llm/core';
import type { LabelledText } from './train.js';

/**
 * Labelled text for the classifier. Sources: a TSV with a text and a label column, the bundled
 * fine-foods reviews split by hash, and the IMDB folder layout (`aclImdb/{train,test}/{pos,neg}/*.txt`).
 */

/** Replace HTML line breaks (`<br />`, common in scraped reviews) with spaces. */
export function cleanReview(text: string): string {
  return text.replace(/<br\s*\/?>/gi, ' ');
}

/** Read `textCol` and `labelCol` of a TSV with a header line. A missing column is an {@link InputError}. */
export async function readLabelledTsv(path: string, options: { textCol?: string; labelCol?: string; signal?: AbortSignal; clean?: boolean } = {}): Promise<LabelledText[]> {
  if (!existsSync(path)) throw new NotFoundError('no such file', { file: path });
  const textCol = options.textCol ?? 'text';
  const labelCol = options.labelCol ?? 'label';
  const out: LabelledText[] = [];
  for await (const { values, lineNo } of readTsv(path, { signal: options.signal })) {
    const text = values[textCol];
    const label = values[labelCol];
    if (text === undefined) throw new InputError(`no column '${textCol}' (columns: ${Object.keys(values).join(', ')})`, { file: path, line: lineNo, field: textCol });
    if (label === undefined) throw new InputError(`no column '${labelCol}' (columns: ${Object.keys(values).join(', ')})`, { file: path, line: lineNo, field: labelCol });
    out.push({ text: options.clean === false ? text : cleanReview(text), label });
  }
  return out;
}

/** Train/dev/test splits. */
export interface Splits {
  train: LabelledText[];
  dev: LabelledText[];
  test: LabelledText[];
}

/** Split rows by a stable hash of their text (duplicates land together), `dev`/`test` fractions default 0.1 each. */
export function splitByHash(rows: readonly LabelledText[], fractions: { dev?: number; test?: number } = {}): Splits {
  const s: Splits = { train: [], dev: [], test: [] };
  for (const r of rows) s[hashSplit(r.text, fractions, 'seq')].push(r);
  return s;
}

/**
 * The bundled fine-foods reviews (`great` vs `other`, 4,000 rows) as train/dev/test, split by a
 * hash of the review text: about 80/10/10.
 */
export async function loadFineFoods(options: { signal?: AbortSignal } = {}): Promise<Splits> {
  const rows: LabelledText[] = [];
  for await (const { values } of datasetRows('fine-foods', { signal: options.signal })) {
    rows.push({ text: cleanReview(values.review!), label: values.score! });
  }
  return splitByHash(rows);
}

/**
 * Read the IMDB reviews layout: `<dir>/<split>/pos/*.txt` and `<dir>/<split>/neg/*.txt` (one review
 * per file; `unsup/` and other folders are ignored), labels `pos` / `neg`, files in name order.
 */
export async function readImdbFolder(dir: string, split: 'train' | 'test', options: { signal?: AbortSignal; limit?: number } = {}): Promise<LabelledText[]> {
  const base = join(dir, split);
  if (!existsSync(base) || !statSync(base).isDirectory()) throw new NotFoundError(`no '${split}' folder (expected the aclImdb layout ${split}/pos, ${split}/neg)`, { file: dir });
  const out: LabelledText[] = [];
  for (const label of ['neg', 'pos']) {
    const sub = join(base, label);
    if (!existsSync(sub)) throw new NotFoundError(`missing folder ${label}/`, { file: base });
    const files = readdirSync(sub).filter((f) => f.endsWith('.txt')).sort();
    for (const f of files.slice(0, options.limit ?? files.length)) {
      throwIfAborted(options.signal);
      out.push({ text: cleanReview(await readFile(join(sub, f), 'utf8')), label });
    }
  }
  return out;
}
