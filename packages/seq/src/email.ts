/**
 * A small RFC 5322 / MIME reader for classifying e-mail: headers (unfolded, names lower-cased,
 * RFC 2047 encoded words decoded), multipart bodies walked recursively, `quoted-printable` and
 * `base64` transfer encodings and the common charsets decoded, HTML reduced to its text. Enough
 * for the SpamAssassin corpus; it does not validate messages.
 */

/** One parsed e-mail. */
export interface ParsedEmail {
  /** Header values by lower-cased name (the first occurrence; folded lines joined). */
  headers: Map<string, string>;
  subject: string;
  from: string;
  /** The readable body: `text/plain` parts, else `text/html` parts as text; attachments skipped. */
  body: string;
  /** Whether any part of the message was HTML. */
  html: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™', euro: '€', pound: '£', mdash: '—', ndash: '–', hellip: '…', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“', bull: '•' };

/** Decode HTML character references (`&amp;`, `&#39;`, `&#x2019;`, the common named ones). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);?/gi, (m, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[ref.toLowerCase()] ?? m;
  });
}

/** The text of an HTML document: scripts, styles and comments dropped, block tags as line breaks, entities decoded. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<(br|p|div|tr|li|h[1-6]|table|blockquote)\b[^>]*>/gi, '\n')
      .replace(/<[^>]*>/g, ' '),
  ).replace(/[ \t\u00a0]+/g, ' ').replace(/\s*\n\s*/g, '\n').trim();
}

function charsetDecode(bytes: Uint8Array, charset: string | undefined): string {
  const cs = (charset ?? 'utf-8').toLowerCase().replace(/^"|"$/g, '');
  try {
    return new TextDecoder(cs === 'us-ascii' || cs === 'ascii' ? 'windows-1252' : cs).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes); // unknown charset label: bytes as Latin-1-ish
  }
}

function binaryBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Decode a `quoted-printable` body (soft line breaks removed, `=XX` to bytes) as a byte string. */
export function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function decodeBase64(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, '');
  return Buffer.from(clean, 'base64').toString('latin1'); // Node decodes unpadded and cut input
}

/** Decode RFC 2047 encoded words (`=?utf-8?B?…?=`, `=?iso-8859-1?Q?…?=`) in a header value. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2') // whitespace between adjacent encoded words is not text
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, enc: string, data: string) => {
      const raw = enc.toUpperCase() === 'B' ? decodeBase64(data) : decodeQuotedPrintable(data.replace(/_/g, ' '));
      return charsetDecode(binaryBytes(raw), charset.split('*')[0]);
    });
}

interface Part {
  headers: Map<string, string>;
  body: string;
}

function splitHeaders(raw: string): Part {
  const text = raw.replace(/\r\n/g, '\n');
  let cut = text.indexOf('\n\n');
  // A part with no header block starts with its body.
  if (cut < 0) cut = /^[!-9;-~]+:/.test(text) ? text.length : -1;
  const headers = new Map<string, string>();
  if (cut < 0) return { headers, body: text };
  let name: string | undefined; // the header a folded line continues (undefined: a duplicate, ignored)
  for (const line of text.slice(0, cut).split('\n')) {
    if (/^[ \t]/.test(line)) {
      if (name !== undefined) headers.set(name, `${headers.get(name)!} ${line.trim()}`);
      continue;
    }
    const m = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    const key = m?.[1]!.toLowerCase();
    name = m && !headers.has(key!) ? key : undefined;
    if (name !== undefined) headers.set(name, m![2]!);
  }
  return { headers, body: text.slice(cut + 2) };
}

function param(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined;
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*("([^"]*)"|[^;\\s]+)`, 'i').exec(value);
  return m ? (m[2] ?? m[1]) : undefined;
}

function collect(part: Part, out: { plain: string[]; html: string[] }, depth: number): void {
  const ctype = (part.headers.get('content-type') ?? 'text/plain').toLowerCase();
  const mime = ctype.split(';')[0]!.trim();
  if (mime.startsWith('multipart/') && depth < 8) {
    const boundary = param(part.headers.get('content-type'), 'boundary');
    if (boundary) {
      const chunks = part.body.split(new RegExp(`^--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*$`, 'm'));
      // chunks[0] is the preamble; a missing closing boundary (a truncated message) keeps the last part.
      for (const c of chunks.slice(1)) if (c.trim()) collect(splitHeaders(c.replace(/^\n/, '')), out, depth + 1);
      return;
    }
  }
  if (mime.startsWith('message/rfc822') && depth < 8) {
    collect(splitHeaders(part.body), out, depth + 1);
    return;
  }
  if (!mime.startsWith('text/') || /attachment/i.test(part.headers.get('content-disposition') ?? '')) return;
  const cte = (part.headers.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  const raw = cte === 'base64' ? decodeBase64(part.body) : cte === 'quoted-printable' ? decodeQuotedPrintable(part.body) : part.body;
  // Undecoded 8-bit bodies arrive here already as text; re-decoding them as bytes would mangle them.
  const text = cte === 'base64' || cte === 'quoted-printable' ? charsetDecode(binaryBytes(raw), param(ctype, 'charset')) : raw;
  if (mime === 'text/html' || (mime === 'text/plain' && /<html|<body|<table|<font/i.test(text.slice(0, 2000)))) out.html.push(text);
  else out.plain.push(text.trim());
}

/** Parse one raw e-mail (headers, blank line, body). Never throws: anything unreadable is left out. */
export function parseEmail(raw: string): ParsedEmail {
  const top = splitHeaders(raw);
  const parts = { plain: [] as string[], html: [] as string[] };
  collect(top, parts, 0);
  const html = parts.html.length > 0;
  const body = parts.plain.length > 0 ? parts.plain.join('\n') : parts.html.map(htmlToText).join('\n');
  return {
    headers: top.headers,
    subject: decodeEncodedWords(top.headers.get('subject') ?? '').trim(),
    from: decodeEncodedWords(top.headers.get('from') ?? '').trim(),
    body: body.replace(/[ \t]+/g, ' ').replace(/\n{3,}/g, '\n\n').trim(),
    html,
  };
}

/** The text a classifier reads for an e-mail: its subject, a line break, its readable body. */
export function emailText(raw: string): string {
  const m = parseEmail(raw);
  return `${m.subject}\n${m.body}`;
}
