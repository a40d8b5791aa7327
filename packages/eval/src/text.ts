/**
 * Small text helpers that reproduce Python's string semantics, so that scores computed here are
 * the same as those of the Python reference tools (sacreBLEU, rouge-score, the SQuAD script).
 *
 * @packageDocumentation
 */

/**
 * The characters Python's `str.split()` / `str.strip()` treat as whitespace (`str.isspace()`),
 * which differ from JavaScript's `\s` (Python includes U+001C–U+001F and U+0085; JS includes U+FEFF).
 */
export const PY_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Whether a UTF-16 code unit is Python whitespace (`str.isspace()`). */
export function isPyWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Python's `s.split()` (no argument): split on runs of whitespace, dropping empty pieces. */
export function pySplit(s: string): string[] {
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    while (i < n && isPyWhitespace(s.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isPyWhitespace(s.charCodeAt(i))) i++;
    out.push(s.slice(start, i));
  }
  return out;
}

/** Python's `' '.join(s.split())`. */
export function pyNormalizeSpaces(s: string): string {
  return pySplit(s).join(' ');
}

/** Python's `s.rstrip()`. */
export function pyRstrip(s: string): string {
  let e = s.length;
  while (e > 0 && isPyWhitespace(s.charCodeAt(e - 1))) e--;
  return e === s.length ? s : s.slice(0, e);
}

/** Python's `s.strip()`. */
export function pyStrip(s: string): string {
  let b = 0;
  while (b < s.length && isPyWhitespace(s.charCodeAt(b))) b++;
  return pyRstrip(s.slice(b));
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** The string's code points (Python's iteration over `str`), as strings. */
export function codePoints(s: string): string[] {
  return SURROGATE.test(s) ? Array.from(s) : s.split('');
}

/** True if the string contains characters outside the Basic Multilingual Plane. */
export function hasAstral(s: string): boolean {
  return SURROGATE.test(s);
}

/**
 * Python's `f"{x:.{digits}f}"`: fixed-point formatting that rounds exact binary ties to even
 * (JavaScript's `toFixed` rounds them up), so printed scores match the reference tools.
 */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const s = x.toFixed(digits);
  const exact = Math.abs(x).toFixed(100);
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 1 + digits);
  if (/^50*$/.test(rest)) {
    // An exact tie: Python rounds half to even.
    const down = (Math.sign(x) < 0 ? '-' : '') + exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
    const lastDigit = Number(down[down.length - 1]);
    if (lastDigit % 2 === 0) return down;
  }
  return s;
}
