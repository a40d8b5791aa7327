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
const PY_WS_RUN = new RegExp(`[${PY_WHITESPACE}]+`);
const PY_WS_LEAD = new RegExp(`^[${PY_WHITESPACE}]+`);
const PY_WS_TRAIL = new RegExp(`[${PY_WHITESPACE}]+$`);

/** Python's `s.split()` (no argument): split on runs of whitespace, dropping empty pieces. */
export function pySplit(s: string): string[] {
  if (s.length === 0) return [];
  const parts = s.split(PY_WS_RUN);
  if (parts.length > 0 && parts[0] === '') parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Python's `' '.join(s.split())`. */
export function pyNormalizeSpaces(s: string): string {
  return pySplit(s).join(' ');
}

/** Python's `s.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(PY_WS_TRAIL, '');
}

/** Python's `s.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(PY_WS_LEAD, '').replace(PY_WS_TRAIL, '');
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
