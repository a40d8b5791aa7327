/**
 * rouge-score's computations on interned token ids: the tokenizer as a character-code scan,
 * stems cached per token id, n-gram overlap through {@link NgramMatcher}, LCS and the
 * summary-level union LCS on reusable typed arrays. Equal, number for number, to the string
 * versions in scorer.ts (which mirror rouge-score's code).
 *
 * @packageDocumentation
 */
import { IdList, NgramMatcher, TokenInterner, type IdSeq } from '../intern.js';
import type { PorterStemmer } from './porter.js';

/** Precision, recall and F-measure. */
interface Prf {
  precision: number;
  recall: number;
  fmeasure: number;
}

const fm = (p: number, r: number): number => (p + r > 0 ? (2 * p * r) / (p + r) : 0.0);
const prf = (hits: number, predLen: number, targetLen: number): Prf => {
  const precision = hits / predLen;
  const recall = hits / targetLen;
  return { precision, recall, fmeasure: fm(precision, recall) };
};

const isTokenChar = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);

/** Tokenizes, stems and scores with integer token ids (the default rouge-score tokenizer). */
export class RougeIds {
  readonly interner = new TokenInterner();
  private readonly matcher = new NgramMatcher();
  private buf = new Uint16Array(1024);
  private stemOf = new Int32Array(1024).fill(-1); // token id → stemmed token id (−2: drop)
  private prev = new Int32Array(256);
  private cur = new Int32Array(256);
  private table = new Int32Array(4096);
  private mark = new Uint8Array(256);
  private cntR = new Int32Array(1024);
  private cntC = new Int32Array(1024);
  private readonly correct: number[] = [];
  private readonly total: number[] = [];

  constructor(private readonly stemmer: PorterStemmer | null) {}

  /** Forget all tokens once there are very many (ids only need to live for one score). */
  trim(limit = 1 << 20): void {
    if (this.interner.size < limit) return;
    this.interner.reset();
    this.stemOf.fill(-1);
  }

  /**
   * rouge-score's `tokenize(text, stemmer)` into `out`: lowercase, non-[a-z0-9] → separator,
   * stem tokens longer than 3 characters, keep tokens matching `^[a-z0-9]+$`.
   */
  tokenize(text: string, out: IdList): void {
    out.clear();
    // Python lowercases the whole text first; only non-ASCII text needs the full Unicode mapping
    // (e.g. U+212A KELVIN SIGN → k), ASCII is lowered per character below.
    let t = text;
    for (let i = 0; i < t.length; i++) {
      if (t.charCodeAt(i) >= 0x80) {
        t = t.toLowerCase();
        break;
      }
    }
    const n = t.length;
    if (this.buf.length < n) this.buf = new Uint16Array(2 * n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) {
      let c = t.charCodeAt(i);
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      buf[i] = isTokenChar(c) ? c : 0x20;
    }
    this.interner.internSplitBuffer(buf, n, out);
    if (this.stemmer) this.stemAll(out);
  }

  private stemAll(out: IdList): void {
    const ids = out.ids;
    let m = 0;
    for (let i = 0; i < out.length; i++) {
      const id = ids[i]!;
      if (id >= this.stemOf.length) {
        const s = new Int32Array(Math.max(2 * this.stemOf.length, id + 1)).fill(-1);
        s.set(this.stemOf);
        this.stemOf = s;
      }
      let st = this.stemOf[id]!;
      if (st === -1) {
        const word = this.interner.text(id);
        if (word.length <= 3) st = id;
        else {
          const stem = this.stemmer!.stem(word);
          let valid = stem.length > 0;
          for (let k = 0; valid && k < stem.length; k++) valid = isTokenChar(stem.charCodeAt(k));
          st = valid ? this.interner.intern(stem) : -2;
        }
        this.stemOf[id] = st;
      }
      if (st !== -2) ids[m++] = st;
    }
    out.length = m;
  }

  /** Intern already tokenized strings (custom or Unicode tokenizers). */
  internTokens(tokens: readonly string[], out: IdList): void {
    out.clear();
    for (const t of tokens) out.push(this.interner.intern(t));
  }

  /** rougeN for n = 1..maxN at once: `result[n-1]`. */
  ngrams(target: IdSeq, prediction: IdSeq, maxN: number): Prf[] {
    const { correct, total } = this;
    correct.length = maxN;
    total.length = maxN;
    if (NgramMatcher.fits(prediction.length, [target])) this.matcher.match(prediction, [target], maxN, correct, total);
    else this.ngramsLong(target, prediction, maxN);
    const out: Prf[] = [];
    for (let n = 1; n <= maxN; n++) {
      const inter = correct[n - 1]!;
      const p = Math.max(prediction.length - n + 1, 0);
      const t = Math.max(target.length - n + 1, 0);
      const precision = inter / Math.max(p, 1);
      const recall = inter / Math.max(t, 1);
      out.push({ precision, recall, fmeasure: fm(precision, recall) });
    }
    return out;
  }

  private ngramsLong(target: IdSeq, prediction: IdSeq, maxN: number): void {
    const count = (s: IdSeq, n: number) => {
      const m = new Map<string, number>();
      for (let i = 0; i + n <= s.length; i++) {
        const k = Array.from(s.ids.subarray(i, i + n)).join(',');
        m.set(k, (m.get(k) ?? 0) + 1);
      }
      return m;
    };
    for (let n = 1; n <= maxN; n++) {
      const t = count(target, n);
      let inter = 0;
      for (const [k, c] of count(prediction, n)) inter += Math.min(c, t.get(k) ?? 0);
      this.correct[n - 1] = inter;
    }
  }

  /** Length of the LCS of two id sequences (linear memory). */
  lcsLength(a: IdSeq, b: IdSeq): number {
    const bl = b.length;
    if (a.length === 0 || bl === 0) return 0;
    if (this.prev.length <= bl) {
      this.prev = new Int32Array(2 * bl + 2);
      this.cur = new Int32Array(2 * bl + 2);
    }
    let prev = this.prev;
    let cur = this.cur;
    prev.fill(0, 0, bl + 1);
    cur[0] = 0;
    const ai = a.ids;
    const bi = b.ids;
    for (let i = 0; i < a.length; i++) {
      const x = ai[i]!;
      let left = 0;
      for (let j = 1; j <= bl; j++) {
        const up = prev[j]!;
        const v = x === bi[j - 1] ? prev[j - 1]! + 1 : up > left ? up : left;
        cur[j] = v;
        left = v;
      }
      const t = prev;
      prev = cur;
      cur = t;
    }
    return prev[bl]!;
  }

  /** rougeL. */
  lcs(target: IdSeq, prediction: IdSeq): Prf {
    if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
    return prf(this.lcsLength(target, prediction), prediction.length, target.length);
  }

  /** Mark the indices of `ref` on rouge-score's backtracked LCS against `can` in `this.mark`. */
  private markLcs(ref: IdSeq, can: IdSeq): void {
    const rows = ref.length;
    const cols = can.length;
    const w = cols + 1;
    if (this.table.length < (rows + 1) * w) this.table = new Int32Array(2 * (rows + 1) * w);
    const t = this.table;
    t.fill(0, 0, w);
    const r = ref.ids;
    const c = can.ids;
    for (let i = 1; i <= rows; i++) {
      const row = i * w;
      const up = row - w;
      t[row] = 0;
      const x = r[i - 1]!;
      for (let j = 1; j <= cols; j++) {
        const a = t[up + j]!;
        const b = t[row + j - 1]!;
        t[row + j] = x === c[j - 1] ? t[up + j - 1]! + 1 : a > b ? a : b;
      }
    }
    let i = rows;
    let j = cols;
    while (i > 0 && j > 0) {
      if (r[i - 1] === c[j - 1]) {
        this.mark[i - 1] = 1;
        i--;
        j--;
      } else if (t[i * w + j - 1]! > t[(i - 1) * w + j]!) j--;
      else i--;
    }
  }

  /** rougeLsum from sentences of ids (rouge-score's `_summary_level_lcs`). */
  summaryLcs(refSents: readonly IdSeq[], canSents: readonly IdSeq[]): Prf {
    const zero = { precision: 0, recall: 0, fmeasure: 0 };
    if (refSents.length === 0 || canSents.length === 0) return zero;
    let m = 0;
    let n = 0;
    for (const s of refSents) m += s.length;
    for (const s of canSents) n += s.length;
    if (!n || !m) return zero;
    const size = this.interner.size;
    if (this.cntR.length < size) {
      this.cntR = new Int32Array(2 * size);
      this.cntC = new Int32Array(2 * size);
    }
    const cntR = this.cntR;
    const cntC = this.cntC;
    for (const s of refSents) for (let i = 0; i < s.length; i++) cntR[s.ids[i]!]!++;
    for (const s of canSents) for (let i = 0; i < s.length; i++) cntC[s.ids[i]!]!++;
    let hits = 0;
    for (const r of refSents) {
      if (this.mark.length < r.length) this.mark = new Uint8Array(2 * r.length);
      this.mark.fill(0, 0, r.length);
      for (const c of canSents) this.markLcs(r, c);
      // The union's tokens in index order, counted as ROUGE-1.5.5 does (no double counting).
      for (let i = 0; i < r.length; i++) {
        if (this.mark[i] === 0) continue;
        const tk = r.ids[i]!;
        if (cntC[tk]! > 0 && cntR[tk]! > 0) {
          hits++;
          cntC[tk]!--;
          cntR[tk]!--;
        }
      }
    }
    for (const s of refSents) for (let i = 0; i < s.length; i++) cntR[s.ids[i]!] = 0;
    for (const s of canSents) for (let i = 0; i < s.length; i++) cntC[s.ids[i]!] = 0;
    return prf(hits, n, m);
  }
}
