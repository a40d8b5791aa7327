/**
 * A hand-written pre-tokeniser for pure-ASCII text that gives exactly the pieces of the
 * cl100k_base and o200k_base regexes (JavaScript's `u` semantics), without the regex engine and
 * without match objects. Non-ASCII text goes through the regex; `splitAtSafeBoundaries` cuts a
 * text where no regex match can cross, so each chunk takes the fast path when it can.
 *
 * @packageDocumentation
 */

// Character classes of ASCII code points.
const LOWER = 1;
const UPPER = 2;
const DIGIT = 4;
const SPACE = 8; // JS \s
const NL = 16; // \r or \n
const OTHER = 32; // not \s, not letter, not digit

const CLS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c >= 97 && c <= 122) CLS[c] = LOWER;
  else if (c >= 65 && c <= 90) CLS[c] = UPPER;
  else if (c >= 48 && c <= 57) CLS[c] = DIGIT;
  else if (c === 10 || c === 13) CLS[c] = SPACE | NL;
  else if (c === 9 || c === 11 || c === 12 || c === 32) CLS[c] = SPACE;
  else CLS[c] = OTHER;
}
const LETTER = LOWER | UPPER;

/** Which pattern to reproduce. */
export type AsciiScanKind = 'cl100k' | 'o200k';

/** Length of a contraction ('s 't 're 've 'm 'll 'd, any case) at `i`, or 0. */
function contraction(t: string, i: number, n: number): number {
  if (t.charCodeAt(i) !== 39 || i + 1 >= n) return 0;
  const a = t.charCodeAt(i + 1) | 0x20;
  if (a === 115 || a === 116 || a === 109 || a === 100) return 2; // s t m d
  if (i + 2 >= n) return 0;
  const b = t.charCodeAt(i + 2) | 0x20;
  if ((a === 114 && b === 101) || (a === 118 && b === 101) || (a === 108 && b === 108)) return 3; // re ve ll
  return 0;
}

/**
 * Call `piece(start, end)` for each piece of an ASCII string `t[from, to)` as the encoding's
 * regex would split it (the caller guarantees every char is < 128).
 */
export function scanAscii(t: string, from: number, to: number, kind: AsciiScanKind, piece: (start: number, end: number) => void): void {
  const n = to;
  let i = from;
  const o200k = kind === 'o200k';
  while (i < n) {
    const c = CLS[t.charCodeAt(i)]!;
    // cl100k: contractions first.
    if (!o200k && c === OTHER) {
      const k = contraction(t, i, n);
      if (k) { piece(i, i + k); i += k; continue; }
    }
    // Letters, with an optional leading char that is not CR/LF, letter or digit.
    let p = -1;
    if (c & LETTER) p = i;
    else if (!(c & (NL | DIGIT)) && i + 1 < n && CLS[t.charCodeAt(i + 1)]! & LETTER) p = i + 1;
    if (p >= 0) {
      let e = p;
      if (!o200k) {
        while (e < n && CLS[t.charCodeAt(e)]! & LETTER) e++;
      } else {
        // [Lu]*[Ll]+ or [Lu]+[Ll]*, then an optional contraction.
        while (e < n && CLS[t.charCodeAt(e)] === UPPER) e++;
        while (e < n && CLS[t.charCodeAt(e)] === LOWER) e++;
        e += contraction(t, e, n);
      }
      piece(i, e);
      i = e;
      continue;
    }
    if (c === DIGIT) {
      let e = i + 1;
      while (e < n && e < i + 3 && CLS[t.charCodeAt(e)] === DIGIT) e++;
      piece(i, e);
      i = e;
      continue;
    }
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'  (o200k: [\r\n/]*)
    {
      let s = i;
      if (t.charCodeAt(s) === 32 && s + 1 < n && CLS[t.charCodeAt(s + 1)] === OTHER) s++;
      if (CLS[t.charCodeAt(s)] === OTHER) {
        let e = s;
        while (e < n && CLS[t.charCodeAt(e)] === OTHER) e++;
        while (e < n && (CLS[t.charCodeAt(e)]! & NL || (o200k && t.charCodeAt(e) === 47))) e++;
        piece(i, e);
        i = e;
        continue;
      }
    }
    // Whitespace: \s*[\r\n]+ | \s+(?!\S) | \s+
    let j = i;
    let lastNl = -1;
    while (j < n && CLS[t.charCodeAt(j)]! & SPACE) { if (CLS[t.charCodeAt(j)]! & NL) lastNl = j; j++; }
    if (lastNl >= 0) { piece(i, lastNl + 1); i = lastNl + 1; continue; }
    if (j === n || j - i === 1) { piece(i, j); i = j; continue; }
    piece(i, j - 1);
    i = j - 1;
  }
}

/**
 * End of the chunk starting at `from`: just after the first newline that is followed by an ASCII
 * character that is neither whitespace nor (o200k) '/'. No piece of either regex contains such a
 * newline-then-character pair, so cutting there changes nothing. Also reports whether the chunk is
 * pure ASCII.
 */
export function nextChunk(t: string, from: number, kind: AsciiScanKind): { end: number; ascii: boolean } {
  const n = t.length;
  let ascii = true;
  for (let i = from; i < n; i++) {
    const ch = t.charCodeAt(i);
    if (ch > 127) ascii = false;
    else if (ch === 10 && i + 1 < n) {
      const nx = t.charCodeAt(i + 1);
      if (nx < 128 && !(CLS[nx]! & SPACE) && !(kind === 'o200k' && nx === 47)) return { end: i + 1, ascii };
    }
  }
  return { end: n, ascii };
}
