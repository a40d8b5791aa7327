import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { SaxesParser } from 'saxes';
import { FormatError, NotFoundError, throwIfAborted } from '@llm/core';
import type { LoadedDocument } from '../types.js';
import { wikitextToText } from './wikitext.js';

/** Options for {@link loadMediaWikiDump}. */
export interface MediaWikiOptions {
  /** Keep only these namespaces (0 = articles). Default [0]. */
  namespaces?: number[];
  /** Skip redirect pages. Default true. */
  skipRedirects?: boolean;
  signal?: AbortSignal;
}

/**
 * Stream the pages of a MediaWiki XML export or dump (`pages-articles.xml`, optionally `.gz`),
 * yielding one document per page with its wikitext reduced to clean text. Memory stays flat:
 * the XML is parsed as a stream with saxes. Malformed XML is a {@link FormatError} with the line.
 */
export async function* loadMediaWikiDump(path: string, options: MediaWikiOptions = {}): AsyncGenerator<LoadedDocument> {
  const namespaces = new Set(options.namespaces ?? [0]);
  const skipRedirects = options.skipRedirects ?? true;
  const raw = createReadStream(path);
  const stream = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const parser = new SaxesParser({ xmlns: false });
  const ready: LoadedDocument[] = [];
  const stack: string[] = [];
  let page: { title: string; ns: number; id: string; text: string; redirect: boolean; timestamp: string } | undefined;
  let buf = '';
  let parseError: Error | undefined;
  parser.on('opentag', (tag) => {
    stack.push(tag.name);
    buf = '';
    if (tag.name === 'page') page = { title: '', ns: 0, id: '', text: '', redirect: false, timestamp: '' };
    if (tag.name === 'redirect' && page) page.redirect = true;
  });
  parser.on('text', (t) => { buf += t; });
  parser.on('cdata', (t) => { buf += t; });
  parser.on('closetag', (tag) => {
    const parent = stack[stack.length - 2];
    if (page) {
      if (tag.name === 'title' && parent === 'page') page.title = buf;
      else if (tag.name === 'ns' && parent === 'page') page.ns = Number(buf);
      else if (tag.name === 'id' && parent === 'page') page.id = buf;
      else if (tag.name === 'timestamp') page.timestamp = buf;
      else if (tag.name === 'text' && parent === 'revision') page.text = buf;
      else if (tag.name === 'page') {
        const isRedirect = page.redirect || /^#redirect/i.test(page.text.trimStart());
        if (namespaces.has(page.ns) && !(skipRedirects && isRedirect)) {
          ready.push({
            source: `${path}#${page.title}`,
            title: page.title,
            pages: [{ text: wikitextToText(page.text) }],
            metadata: { format: 'mediawiki', pageId: page.id, namespace: page.ns, timestamp: page.timestamp, dump: path },
          });
        }
        page = undefined;
      }
    }
    stack.pop();
    buf = '';
  });
  parser.on('error', (e) => { parseError ??= e; });
  try {
    for await (const chunk of stream) {
      throwIfAborted(options.signal);
      parser.write((chunk as Buffer).toString('utf8'));
      if (parseError) throw new FormatError('mediawiki-xml', parseError.message, { file: path, line: parser.line, column: parser.column });
      while (ready.length) yield ready.shift()!;
    }
    parser.close();
    if (parseError) throw new FormatError('mediawiki-xml', (parseError as Error).message, { file: path, line: parser.line });
    while (ready.length) yield ready.shift()!;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('no such file', { file: path }, { cause: err });
    if (err instanceof Error && !(err instanceof FormatError) && /xml|tag|entity|character/i.test(err.message)) {
      throw new FormatError('mediawiki-xml', err.message, { file: path, line: parser.line }, { cause: err });
    }
    throw err;
  } finally {
    stream.destroy();
  }
}
