import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { LlmError, NotFoundError, throwIfAborted, readText } from '@llm/core';
import type { IngestFailure, LoadedDocument } from '../types.js';
import { htmlToDocument } from './html.js';
import { markdownToDocument } from './markdown.js';
import { loadMediaWikiDump } from './mediawiki.js';
import { loadPdf } from './pdf.js';

export { loadPdf, itemsToText, stripRunningHeaders } from './pdf.js';
export { htmlToDocument } from './html.js';
export { markdownToDocument } from './markdown.js';
export { loadMediaWikiDump, type MediaWikiOptions } from './mediawiki.js';
export { wikitextToText } from './wikitext.js';

/** File endings each loader takes. */
export const LOADER_EXTENSIONS: Readonly<Record<string, 'pdf' | 'html' | 'markdown' | 'text' | 'mediawiki'>> = {
  '.pdf': 'pdf', '.html': 'html', '.htm': 'html', '.md': 'markdown', '.markdown': 'markdown', '.txt': 'text', '.text': 'text', '.xml': 'mediawiki', '.gz': 'text',
};

function kindOf(path: string): (typeof LOADER_EXTENSIONS)[string] | undefined {
  if (/\.xml(\.gz)?$/i.test(path)) return 'mediawiki';
  if (/\.txt\.gz$/i.test(path)) return 'text';
  const k = LOADER_EXTENSIONS[extname(path).toLowerCase()];
  return k === 'text' && path.endsWith('.gz') ? undefined : k;
}

/** Load one file by its ending. A MediaWiki dump yields one document per page. */
export async function* loadFile(path: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<LoadedDocument> {
  const kind = kindOf(path);
  switch (kind) {
    case 'pdf': yield await loadPdf(path, options); return;
    case 'html': yield htmlToDocument(await readFile(path, 'utf8'), path); return;
    case 'markdown': yield markdownToDocument(await readFile(path, 'utf8'), path); return;
    case 'text': {
      const text = await readText(path);
      yield { source: path, title: text.split('\n').find((l) => l.trim())?.trim().slice(0, 120), pages: [{ text }], metadata: { format: 'text' } };
      return;
    }
    case 'mediawiki': yield* loadMediaWikiDump(path, options); return;
    default: throw new NotFoundError(`no loader for '${extname(path)}' files (known: ${Object.keys(LOADER_EXTENSIONS).join(', ')})`, { file: path });
  }
}

/** Every loadable file under `paths` (folders recursively, hidden entries skipped), sorted. */
export async function listLoadable(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string): Promise<void> => {
    const s = await stat(p).catch((err: unknown) => { throw new NotFoundError('no such file or folder', { file: p }, { cause: err }); });
    if (s.isDirectory()) {
      for (const name of (await readdir(p)).sort()) if (!name.startsWith('.')) await walk(join(p, name));
    } else if (kindOf(p)) out.push(resolve(p));
  };
  for (const p of paths) await walk(p);
  return out;
}

/**
 * Load files and folders, collecting failures instead of stopping: a bad or encrypted PDF is
 * reported for that file and the rest is still loaded.
 */
export async function* loadPaths(paths: readonly string[], options: { signal?: AbortSignal; onError?: (f: IngestFailure) => void } = {}): AsyncGenerator<LoadedDocument> {
  for (const file of await listLoadable(paths)) {
    throwIfAborted(options.signal);
    try {
      yield* loadFile(file, options);
    } catch (err) {
      if (!(err instanceof LlmError) || err.code === 'E_CANCELLED') throw err;
      options.onError?.({ source: file, error: err.describe(), code: err.code });
    }
  }
}
