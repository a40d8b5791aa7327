import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError, InputError, NotFoundError, datasetFiles, datasetRows, hashSplit, readJsonl, readTsv, throwIfAborted } from '@llm/core';
import { emailText } from './email.js';
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

/** One e-mail of the bundled SpamAssassin corpus, as stored in `data/classification/spam-assassin.jsonl.gz`. */
export interface SpamAssassinRecord {
  /** `easy-ham-1`, `easy-ham-2`, `hard-ham-1`, `spam-1` or `spam-2`. */
  group: string;
  id: string;
  label: 'ham' | 'spam';
  /** The e-mail: its reader-facing and MIME headers, a blank line, the (cut) body. */
  message: string;
}

/** Read the bundled SpamAssassin records (6,046 e-mails), checking each line's fields. */
export async function readSpamAssassin(options: { signal?: AbortSignal; file?: string } = {}): Promise<SpamAssassinRecord[]> {
  const file = options.file ?? datasetFiles('spam-assassin')[0]!;
  const out: SpamAssassinRecord[] = [];
  for await (const { value, lineNo } of readJsonl<Partial<SpamAssassinRecord>>(file, { signal: options.signal })) {
    for (const f of ['group', 'id', 'message'] as const) {
      if (typeof value[f] !== 'string') throw new FormatError('spam-assassin jsonl', `field '${f}' must be a string`, { file, line: lineNo, field: f });
    }
    if (value.label !== 'ham' && value.label !== 'spam') throw new FormatError('spam-assassin jsonl', `label must be 'ham' or 'spam', got ${JSON.stringify(value.label)}`, { file, line: lineNo, field: 'label' });
    out.push(value as SpamAssassinRecord);
  }
  return out;
}

/**
 * The bundled SpamAssassin e-mails (`ham` vs `spam`) as train/dev/test: each e-mail parsed
 * ({@link emailText}: subject + readable body, MIME decoded, HTML stripped; no transport headers)
 * and split by a hash of its text, about 80/10/10 (identical messages land together).
 */
export async function loadSpamAssassin(options: { signal?: AbortSignal } = {}): Promise<Splits> {
  const rows = (await readSpamAssassin(options)).map((r) => ({ text: emailText(r.message), label: r.label }));
  return splitByHash(rows);
}
