import { datasetRows, loadText, Rng } from '@llm/core';
import { describe, expect, it } from 'vitest';
import { CL100K_PATTERN, nextChunk, O200K_PATTERN, scanAscii, type AsciiScanKind } from '../src/index.js';

// The hand-written ASCII pre-tokeniser must cut exactly where the regex does.
function viaRegex(text: string, pattern: string): string[] {
  return Array.from(text.matchAll(new RegExp(pattern, 'gu')), (m) => m[0]);
}
function viaScan(text: string, kind: AsciiScanKind): string[] {
  const out: string[] = [];
  for (let start = 0; start < text.length; ) {
    const { end, ascii } = nextChunk(text, start, kind);
    if (ascii) scanAscii(text, start, end, kind, (a, b) => out.push(text.slice(a, b)));
    else out.push(...viaRegex(text.slice(start, end), kind === 'cl100k' ? CL100K_PATTERN : O200K_PATTERN));
    start = end;
  }
  return out;
}

const ALPHABET = ["'", 's', 'S', 't', 'T', 'r', 'e', 'E', 'v', 'm', 'l', 'L', 'd', 'D', 'a', 'Z', ' ', ' ', ' ', '\t', '\n', '\r', '\v', '\f', '0', '7', '9', '!', '.', '/', '(', '-', '\u0001', '\u007f', 'ñ', '\u00a0'];

describe.each([['cl100k', CL100K_PATTERN], ['o200k', O200K_PATTERN]] as const)('ASCII scanner %s', (kind, pattern) => {
  it('matches the regex on random strings over a tricky alphabet', () => {
    const rng = new Rng(`scan-${kind}`);
    for (let k = 0; k < 20_000; k++) {
      const len = 1 + Math.floor(rng.next() * 24);
      let s = '';
      for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rng.next() * ALPHABET.length)];
      const a = viaScan(s, kind);
      const b = viaRegex(s, pattern);
      if (a.join('\u0000') !== b.join('\u0000')) expect([s, a]).toEqual([s, b]);
    }
  });

  it('matches the regex on Austen and the Bible, line by line and as whole texts', async () => {
    const austen = await loadText('austen');
    const bible: string[] = [];
    for await (const row of datasetRows('bible-es-en')) bible.push(`${row.values['es_rv1909']}\n${row.values['en_kjv']}`);
    const whole = [austen.slice(0, 400_000), bible.slice(0, 3000).join('\n\n')];
    for (const t of whole) expect(viaScan(t, kind)).toEqual(viaRegex(t, pattern));
  });
});
