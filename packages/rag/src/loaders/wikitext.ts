/**
 * Wikitext → clean text, for MediaWiki pages (Wikipedia dumps). Handles nested templates and
 * tables, references, comments, files and categories, internal and external links, bold and
 * italic quotes, headings, lists and HTML tags. It is a reduction for retrieval, not a renderer:
 * templates (infoboxes, citations, navboxes) are removed, not expanded.
 */

/** Remove balanced `open … close` spans, nesting included (templates `{{ }}`, tables `{| |}`). */
function stripBalanced(text: string, open: string, close: string): string {
  let out = '';
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    if (text.startsWith(open, i)) { depth++; i += open.length; continue; }
    if (depth > 0 && text.startsWith(close, i)) { depth--; i += close.length; continue; }
    if (depth === 0) out += text[i];
    i++;
  }
  return out;
}

/** Remove `[[File:…]]`-style links with nested links inside their captions. */
function stripNamespacedLinks(text: string, namespaces: RegExp): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('[[', i) && namespaces.test(text.slice(i + 2, i + 40))) {
      let depth = 0;
      let j = i;
      while (j < text.length) {
        if (text.startsWith('[[', j)) { depth++; j += 2; continue; }
        if (text.startsWith(']]', j)) { depth--; j += 2; if (depth === 0) break; continue; }
        j++;
      }
      i = j;
      continue;
    }
    out += text[i];
    i++;
  }
  return out;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—' };

/** Clean text of a page's wikitext. */
export function wikitextToText(wikitext: string): string {
  let t = wikitext.replace(/\r\n?/g, '\n');
  t = t.replace(/<!--[\s\S]*?-->/g, '');
  t = t.replace(/<ref[^>/]*\/>/gi, '').replace(/<ref[^>]*>[\s\S]*?<\/ref>/gi, '');
  t = t.replace(/<(math|gallery|timeline|syntaxhighlight|score|nowiki)[^>]*>[\s\S]*?<\/\1>/gi, '');
  t = stripBalanced(t, '{{', '}}');
  t = stripBalanced(t, '{|', '|}');
  t = stripNamespacedLinks(t, /^\s*(File|Image|Category|Media|Archivo|Imagen|Categoría)\s*:/i);
  t = t.replace(/\[\[([^\]|]*)\|([^\]]*)\]\]/g, '$2').replace(/\[\[([^\]]*)\]\]/g, '$1');
  t = t.replace(/\[(?:https?|ftp):\/\/[^\s\]]+\s+([^\]]*)\]/g, '$1').replace(/\[(?:https?|ftp):\/\/[^\s\]]+\]/g, '');
  t = t.replace(/'{2,5}/g, '');
  t = t.replace(/^(=+)\s*(.*?)\s*\1\s*$/gm, '$2');
  t = t.replace(/^[*#:;]+\s*/gm, '');
  t = t.replace(/^-{4,}\s*$/gm, '');
  t = t.replace(/<br\s*\/?>/gi, '\n').replace(/<\/?[a-z][^>]*>/gi, '');
  t = t.replace(/__[A-Z]+__/g, '');
  t = t.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1]?.toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e.toLowerCase()] ?? m;
  });
  return t.split('\n').map((l) => l.replace(/[ \t]+/g, ' ').trim()).join('\n').replace(/\n{3,}/g, '\n\n').trim();
}
