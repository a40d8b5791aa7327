import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { FormatError, NotFoundError, throwIfAborted } from '@llm/core';
import type { LoadedDocument } from '../types.js';

/** The parts of a pdfjs text item this loader reads. */
interface TextItem {
  str: string;
  hasEOL: boolean;
  transform: number[];
}

/**
 * Load a PDF page by page with pdfjs-dist (Mozilla's PDF.js). Lines are rebuilt from the text
 * items, words hyphenated across line ends are joined, and table-of-contents dot leaders are
 * dropped. An encrypted or malformed PDF is a {@link FormatError} naming the file.
 */
export async function loadPdf(path: string, options: { signal?: AbortSignal } = {}): Promise<LoadedDocument> {
  let data: Uint8Array;
  try {
    data = new Uint8Array(await readFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('no such file', { file: path }, { cause: err });
    throw err;
  }
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  let doc: Awaited<ReturnType<typeof getDocument>['promise']>;
  try {
    doc = await getDocument({ data, isEvalSupported: false, useSystemFonts: false, verbosity: 0, stopAtErrors: true }).promise;
  } catch (err) {
    const name = (err as { name?: string }).name ?? 'Error';
    const why = name === 'PasswordException' ? 'the PDF is encrypted (password required)' : `not a readable PDF (${name}: ${(err as Error).message})`;
    throw new FormatError('pdf', why, { file: path }, { cause: err });
  }
  try {
    const meta = await doc.getMetadata().catch(() => undefined);
    const info = (meta?.info ?? {}) as { Title?: unknown };
    const title = typeof info.Title === 'string' && info.Title.trim() ? info.Title.trim() : basename(path);
    const pages: LoadedDocument['pages'] = [];
    for (let p = 1; p <= doc.numPages; p++) {
      throwIfAborted(options.signal);
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      pages.push({ page: p, text: itemsToText(content.items as TextItem[]) });
      page.cleanup();
    }
    return { source: path, title, pages: stripRunningHeaders(pages), metadata: { format: 'pdf', pages: doc.numPages } };
  } finally {
    await doc.destroy();
  }
}

/** Rebuild readable text from PDF.js text items. Exported for tests. */
export function itemsToText(items: readonly TextItem[]): string {
  const lines: string[] = [];
  let line = '';
  let lastY: number | undefined;
  for (const it of items) {
    if (typeof it.str !== 'string') continue;
    const y = it.transform?.[5];
    // A jump in baseline without an explicit EOL also starts a new line.
    if (lastY !== undefined && y !== undefined && Math.abs(y - lastY) > 2 && line !== '' && it.str !== '') {
      lines.push(line);
      line = '';
    }
    line += it.str;
    if (y !== undefined && it.str !== '') lastY = y;
    if (it.hasEOL) {
      lines.push(line);
      line = '';
    }
  }
  if (line) lines.push(line);
  const cleaned = lines
    .map((l) => l.replace(/(\s?\.){4,}\s*\d*\s*$/, '').replace(/[ \t\u00a0]+/g, ' ').trim())
    .filter((l, i, arr) => l !== '' || (i > 0 && arr[i - 1] !== ''));
  // Join words hyphenated across lines ("pack-" + "ages" → "packages").
  const out: string[] = [];
  for (const l of cleaned) {
    const prev = out[out.length - 1];
    if (prev !== undefined && /[a-z]-$/.test(prev) && /^[a-z]/.test(l)) out[out.length - 1] = prev.slice(0, -1) + l;
    else out.push(l);
  }
  return out.join('\n').trim();
}

/** A line's letters with page numbers (arabic or lower-case roman) and punctuation removed, to compare headers across pages (`#` for a bare number). */
const headerKey = (line: string) => {
  const t = line.trim();
  if (!t) return '';
  const words = t.replace(/\b(?:\d+|[ivxlcdm]+)\b/g, ' ').replace(/[^\p{L}]+/gu, ' ').trim();
  return words || '#';
};

/**
 * Drop running headers and footers: a page's first or last line whose text, page numbers aside,
 * recurs at the same end of at least 30% of the pages (with 4 pages or more), e.g.
 * "Debian Reference 171 / 233". They repeat the title on every page and mislead lexical search.
 * Exported for tests.
 */
export function stripRunningHeaders<P extends { text: string }>(pages: P[]): P[] {
  if (pages.length < 4) return pages;
  const split = pages.map((p) => p.text.split('\n'));
  const counts = { head: new Map<string, number>(), tail: new Map<string, number>() };
  const bump = (m: Map<string, number>, line: string | undefined) => {
    const k = headerKey(line ?? '');
    if (k) m.set(k, (m.get(k) ?? 0) + 1);
  };
  for (const lines of split) {
    bump(counts.head, lines[0]);
    if (lines.length > 1) bump(counts.tail, lines[lines.length - 1]);
  }
  const min = Math.max(3, Math.ceil(0.3 * pages.length));
  const running = (m: Map<string, number>, line: string) => (m.get(headerKey(line)) ?? 0) >= min;
  return pages.map((p, i) => {
    const lines = split[i]!;
    const a = lines.length > 0 && running(counts.head, lines[0]!) ? 1 : 0;
    const b = lines.length > 1 + a && running(counts.tail, lines[lines.length - 1]!) ? lines.length - 1 : lines.length;
    return a === 0 && b === lines.length ? p : { ...p, text: lines.slice(a, b).join('\n').trim() };
  });
}
