import { Lexer, type Token, type Tokens } from 'marked';
import type { LoadedDocument } from '../types.js';

function inline(tokens: readonly Token[] | undefined, raw: string): string {
  if (!tokens) return raw;
  return tokens.map((t) => {
    const withTokens = t as Token & { tokens?: Token[]; text?: string };
    if (t.type === 'image') return (t as Tokens.Image).text;
    if (t.type === 'br') return '\n';
    if (withTokens.tokens) return inline(withTokens.tokens, withTokens.text ?? '');
    if (t.type === 'html') return '';
    return withTokens.text ?? t.raw;
  }).join('');
}

function blocks(tokens: readonly Token[], out: string[]): void {
  for (const t of tokens) {
    switch (t.type) {
      case 'heading': out.push(inline((t as Tokens.Heading).tokens, (t as Tokens.Heading).text)); break;
      case 'paragraph': out.push(inline((t as Tokens.Paragraph).tokens, (t as Tokens.Paragraph).text)); break;
      case 'text': out.push(inline((t as Tokens.Text).tokens, (t as Tokens.Text).text)); break;
      case 'code': out.push((t as Tokens.Code).text); break;
      case 'blockquote': blocks((t as Tokens.Blockquote).tokens, out); break;
      case 'list': for (const item of (t as Tokens.List).items) { const sub: string[] = []; blocks(item.tokens, sub); out.push(sub.join(' ')); } break;
      case 'table': {
        const tb = t as Tokens.Table;
        out.push(tb.header.map((h) => inline(h.tokens, h.text)).join(' | '));
        for (const row of tb.rows) out.push(row.map((c) => inline(c.tokens, c.text)).join(' | '));
        break;
      }
      default: break;
    }
  }
}

/** Plain text of a Markdown document (headings kept as lines, formatting and HTML dropped). */
export function markdownToDocument(markdown: string, source: string): LoadedDocument {
  const tokens = new Lexer().lex(markdown);
  const out: string[] = [];
  blocks(tokens, out);
  const heading = tokens.find((t) => t.type === 'heading') as Tokens.Heading | undefined;
  return { source, title: heading?.text, pages: [{ text: out.map((s) => s.trim()).filter(Boolean).join('\n\n') }], metadata: { format: 'markdown' } };
}
