import { FormatError, InputError } from '@llm/core';

/**
 * Bytes and text: GPT-2's byte↔unicode map (every byte gets a printable character so byte-level
 * vocabularies can be stored as strings), UTF-8 encoding, and decoding that either replaces
 * invalid sequences with U+FFFD or reports where they are.
 *
 * @packageDocumentation
 */

function buildByteMaps(): { toChar: string[]; toByte: Map<string, number> } {
  const toChar: string[] = new Array<string>(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (printable(b)) toChar[b] = String.fromCharCode(b);
    else toChar[b] = String.fromCharCode(256 + n++);
  }
  const toByte = new Map<string, number>();
  toChar.forEach((c, b) => toByte.set(c, b));
  return { toChar, toByte };
}

const MAPS = buildByteMaps();

/** GPT-2's `bytes_to_unicode`: byte value → the character that stands for it. */
export const BYTE_TO_CHAR: readonly string[] = MAPS.toChar;
/** The inverse of {@link BYTE_TO_CHAR}. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = MAPS.toByte;

const CHAR_CODE_TO_BYTE: Int16Array = (() => {
  const a = new Int16Array(512).fill(-1);
  MAPS.toChar.forEach((c, b) => { a[c.charCodeAt(0)] = b; });
  return a;
})();

const encoder = new TextEncoder();
const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decode UTF-8, replacing invalid sequences with U+FFFD (like Python's `errors="replace"`). */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  return lossy.decode(bytes);
}

/**
 * Decode UTF-8 strictly.
 * @throws FormatError naming the byte offset of the first invalid sequence.
 */
export function decodeUtf8Strict(bytes: Uint8Array, what = 'token bytes'): string {
  try {
    return strict.decode(bytes);
  } catch {
    throw new FormatError('utf-8', `${what} are not valid UTF-8 at byte ${firstInvalidUtf8(bytes)}`, { offset: firstInvalidUtf8(bytes) });
  }
}

/** Offset of the first byte that starts an invalid UTF-8 sequence, or -1 if the bytes are valid. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) { need = 1; min = 0x80; } else if (c >= 0xe0 && c <= 0xef) { need = 2; min = 0x800; } else if (c >= 0xf0 && c <= 0xf4) { need = 3; min = 0x10000; } else return i;
    if (i + need >= n) return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Index of the first lone surrogate in a string, or -1. */
export function firstLoneSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { i++; continue; }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

/**
 * Reject text with lone surrogates (they have no UTF-8 encoding).
 * @throws InputError naming the UTF-16 index.
 */
export function assertWellFormed(s: string, what = 'text'): void {
  if ((s as string & { isWellFormed(): boolean }).isWellFormed()) return;
  const at = firstLoneSurrogate(s);
  throw new InputError(`${what} has a lone surrogate U+${s.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')} at index ${at}; it cannot be encoded as UTF-8`, { column: at + 1, field: what });
}

/** Latin-1 string with one character per byte (a cheap hashable key for a byte sequence). */
export function bytesToLatin1(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  const CH = 4096;
  for (let i = start; i < end; i += CH) s += String.fromCharCode.apply(null, Array.from(b.subarray(i, Math.min(end, i + CH))));
  return s;
}

/** Bytes of a latin-1 key made by {@link bytesToLatin1}. */
export function latin1ToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** GPT-2 byte-level spelling of bytes (each byte → its printable character). */
export function bytesToByteLevel(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += BYTE_TO_CHAR[b[i]!];
  return s;
}

/** Bytes of a GPT-2 byte-level string, or undefined if a character is not a byte stand-in. */
export function byteLevelToBytes(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const b = c < 512 ? CHAR_CODE_TO_BYTE[c]! : -1;
    if (b < 0) return undefined;
    out[i] = b;
  }
  return out;
}

/** Concatenate byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
