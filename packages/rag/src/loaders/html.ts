import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { LoadedDocument } from '../types.js';

const BOILERPLATE = 'script, style, noscript, nav, header, footer, aside, form, iframe, svg, template, [role="navigation"], [aria-hidden="true"]';
const BLOCKS = new Set(['P', 'DIV', 'SECTION', 'ARTICLE', 'LI', 'TR', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'PRE', 'BLOCKQUOTE', 'DT', 'DD', 'TABLE', 'UL', 'OL', 'BR', 'HR', 'FIGCAPTION']);

interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
}

/** Text of a DOM subtree with a line break after every block element. */
function blockText(node: DomNode): string {
  if (node.nodeType === 3) return (node.textContent ?? '').replace(/\s+/g, ' ');
  let s = '';
  for (let i = 0; i < node.childNodes.length; i++) s += blockText(node.childNodes[i]!);
  return BLOCKS.has(node.nodeName.toUpperCase()) ? `\n${s}\n` : s;
}

function tidy(text: string): string {
  return text.split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).filter(Boolean).join('\n');
}

/**
 * Main text of an HTML page: Mozilla Readability picks the article; when it finds none, the body
 * without navigation, headers, footers, scripts and forms is used.
 */
export function htmlToDocument(html: string, source: string): LoadedDocument {
  const { document } = parseHTML(html);
  const title = (document.querySelector('title')?.textContent ?? '').trim() || undefined;
  let text = '';
  try {
    const article = new Readability(document.cloneNode(true) as unknown as ConstructorParameters<typeof Readability>[0], { charThreshold: 200 }).parse();
    if (article?.content) {
      const { document: adoc } = parseHTML(`<html><body>${article.content}</body></html>`);
      text = tidy(blockText(adoc.body as unknown as DomNode));
    }
  } catch {
    text = '';
  }
  if (text.length < 50) {
    for (const el of document.querySelectorAll(BOILERPLATE)) el.remove();
    text = tidy(blockText((document.body ?? document.documentElement) as unknown as DomNode));
  }
  return { source, title, pages: [{ text }], metadata: { format: 'html' } };
}
