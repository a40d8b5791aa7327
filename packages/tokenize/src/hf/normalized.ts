/**
 * A string being normalised, with each UTF-16 unit's span `[s, e)` in the original text, so
 * every later stage can report offsets in the caller's coordinates.
 */
export class Normalized {
  constructor(
    public text: string,
    public s: number[],
    public e: number[],
  ) {}

  /** Identity alignment for `text` placed at `base` in the original. */
  static of(text: string, base = 0): Normalized {
    const s = new Array<number>(text.length);
    const e = new Array<number>(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        s[i] = s[i + 1] = base + i;
        e[i] = e[i + 1] = base + i + 2;
        i++;
      } else {
        s[i] = base + i;
        e[i] = base + i + 1;
      }
    }
    return new Normalized(text, s, e);
  }

  /** Replace every code point by `fn(cp)` (may be '' or several characters), keeping alignment. */
  mapCodePoints(fn: (ch: string, cp: number) => string): void {
    let out = '';
    const s: number[] = [];
    const e: number[] = [];
    const t = this.text;
    for (let i = 0; i < t.length; ) {
      const cp = t.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const ch = w === 2 ? t.slice(i, i + 2) : t[i]!;
      const r = fn(ch, cp);
      const si = this.s[i]!;
      const ei = this.e[i + w - 1]!;
      for (let k = 0; k < r.length; k++) { s.push(si); e.push(ei); }
      out += r;
      i += w;
    }
    this.text = out;
    this.s = s;
    this.e = e;
  }

  /** Apply a Unicode normal form cluster by cluster (a starter and the marks after it). */
  unicodeNormalize(form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): void {
    const t = this.text;
    if (t.normalize(form) === t) return;
    let out = '';
    const s: number[] = [];
    const e: number[] = [];
    const cluster = /\P{M}\p{M}*|\p{M}+/gu;
    let m: RegExpExecArray | null;
    while ((m = cluster.exec(t)) !== null) {
      const r = m[0].normalize(form);
      const si = this.s[m.index]!;
      const ei = this.e[m.index + m[0].length - 1]!;
      for (let k = 0; k < r.length; k++) { s.push(si); e.push(ei); }
      out += r;
    }
    this.text = out;
    this.s = s;
    this.e = e;
  }

  /** A slice `[a, b)` of this string, as a new aligned string. */
  slice(a: number, b: number): Normalized {
    return new Normalized(this.text.slice(a, b), this.s.slice(a, b), this.e.slice(a, b));
  }
}
