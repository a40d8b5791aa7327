/**
 * Fast BLEU tokenization straight to token ids: the `13a` rules as character-code passes over
 * reusable buffers (each pass reproduces one of sacreBLEU's regex substitutions, including
 * Python's left-to-right, non-overlapping matching), then a Python-`split()` scan that interns
 * each token from the buffer. The string-returning {@link tokenize13a} uses the same passes.
 *
 * @packageDocumentation
 */
import { isPyWhitespace, pyRstrip } from '../text.js';
import { bufferString, type IdList, type TokenInterner } from '../intern.js';

// mteval-v13a's RE_PUNCT class: [{-~[-` -&(-+:-@/] — ASCII punctuation except ' , - .
const PUNCT = new Uint8Array(128);
for (const [lo, hi] of [[0x7b, 0x7e], [0x5b, 0x60], [0x20, 0x26], [0x28, 0x2b], [0x3a, 0x40], [0x2f, 0x2f]] as const) {
  for (let c = lo; c <= hi; c++) PUNCT[c] = 1;
}
const SPACE = 0x20;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isPeriodComma = (c: number): boolean => c === 0x2e || c === 0x2c;

/** mteval-v13a's string-level steps before the regexes (`<skipped>`, `-\n`, `\n`, entities). */
export function preprocess13a(line: string): string {
  let s = line;
  if (s.includes('<skipped>')) s = s.split('<skipped>').join('');
  if (s.includes('\n')) {
    s = s.split('-\n').join('');
    s = s.split('\n').join(' ');
  }
  if (s.includes('&')) {
    s = s.split('&quot;').join('"');
    s = s.split('&amp;').join('&');
    s = s.split('&lt;').join('<');
    s = s.split('&gt;').join('>');
  }
  return s;
}

/**
 * The regex part of sacreBLEU's `TokenizerRegexp` (13a, zh) as buffer passes. Call
 * {@link RegexpPasses.run} with the line (13a: already padded with a space on both sides), then
 * read `buf[0..length)`.
 */
export class RegexpPasses {
  buf: Uint16Array = new Uint16Array(1024);
  length = 0;
  private tmp: Uint16Array = new Uint16Array(1024);

  private ensure(n: number): void {
    if (this.buf.length < n) {
      let c = this.buf.length;
      while (c < n) c *= 2;
      this.buf = new Uint16Array(c);
      this.tmp = new Uint16Array(c);
    }
  }

  /** Apply the four substitutions to `line` (to `' ' + line + ' '` when `pad`). */
  run(line: string, pad = false): void {
    const len = line.length;
    // Worst case growth: ×3 (punct), then ×2 (period/comma, two passes) and ×2 (dash).
    this.ensure(12 * len + 32);
    let a = this.buf;
    let b = this.tmp;
    // 1. RE_PUNCT → ' $& ' (a space is itself in the class: it becomes three spaces).
    let n = 0;
    if (pad) {
      a[n++] = SPACE;
      a[n++] = SPACE;
      a[n++] = SPACE;
    }
    let pc = false;
    let dash = false;
    for (let i = 0; i < len; i++) {
      const c = line.charCodeAt(i);
      if (c < 128 && PUNCT[c] === 1) {
        a[n++] = SPACE;
        a[n++] = c;
        a[n++] = SPACE;
      } else {
        if (c === 0x2e || c === 0x2c) pc = true;
        else if (c === 0x2d) dash = true;
        a[n++] = c;
      }
    }
    if (pad) {
      a[n++] = SPACE;
      a[n++] = SPACE;
      a[n++] = SPACE;
    }
    if (pc) {
      // 2. ([^0-9])([.,]) → '$1 $2 '.
      let m = 0;
      let i = 0;
      while (i < n) {
        const c = a[i]!;
        if (i + 1 < n && !isDigit(c) && isPeriodComma(a[i + 1]!)) {
          b[m++] = c;
          b[m++] = SPACE;
          b[m++] = a[i + 1]!;
          b[m++] = SPACE;
          i += 2;
        } else {
          b[m++] = c;
          i++;
        }
      }
      // 3. ([.,])([^0-9]) → ' $1 $2'.
      n = 0;
      i = 0;
      while (i < m) {
        const c = b[i]!;
        if (i + 1 < m && isPeriodComma(c) && !isDigit(b[i + 1]!)) {
          a[n++] = SPACE;
          a[n++] = c;
          a[n++] = SPACE;
          a[n++] = b[i + 1]!;
          i += 2;
        } else {
          a[n++] = c;
          i++;
        }
      }
    }
    if (dash) {
      // 4. ([0-9])(-) → '$1 $2 '.
      let m = 0;
      let i = 0;
      while (i < n) {
        const c = a[i]!;
        if (i + 1 < n && isDigit(c) && a[i + 1] === 0x2d) {
          b[m++] = c;
          b[m++] = SPACE;
          b[m++] = 0x2d;
          b[m++] = SPACE;
          i += 2;
        } else {
          b[m++] = c;
          i++;
        }
      }
      [a, b] = [b, a];
      n = m;
    }
    this.buf = a;
    this.tmp = b;
    this.length = n;
  }

  /** The result as Python's `' '.join(result.split())`. */
  joined(): string {
    const parts: string[] = [];
    const { buf, length } = this;
    let i = 0;
    while (i < length) {
      while (i < length && isPyWhitespace(buf[i]!)) i++;
      if (i >= length) break;
      const s = i;
      while (i < length && !isPyWhitespace(buf[i]!)) i++;
      parts.push(bufferString(buf, s, i));
    }
    return parts.join(' ');
  }

  /** Intern the whitespace-separated tokens of the result into `out`. */
  internTokens(interner: TokenInterner, out: IdList): void {
    interner.internSplitBuffer(this.buf, this.length, out);
  }
}

/** Intern the Python-`split()` tokens of `s` into `out`. */
export function internSplit(s: string, interner: TokenInterner, out: IdList): void {
  interner.internSplit(s, out);
}

/** Tokenize a segment as 13a (after lowercasing, if asked, and `rstrip`) and intern its tokens. */
export function scan13a(line: string, passes: RegexpPasses, interner: TokenInterner, out: IdList): void {
  passes.run(preprocess13a(pyRstrip(line)), true);
  passes.internTokens(interner, out);
}
