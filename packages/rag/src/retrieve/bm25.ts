/**
 * Okapi BM25 over chunks, with an inverted index built in memory. Terms: lower-cased Unicode
 * letter/digit runs, English stop words removed, a light plural/suffix stemmer; all exposed so
 * queries and documents are tokenised alike.
 */

const STOP = new Set(('a an and are as at be but by can do does for from has have how i if in into is it its may more most no not of on or our should so such than that the their them then there these they this to was we were what when where which who whom why will with would you your').split(' '));

/** Light English stemmer: plural and common suffixes (enough for retrieval matching). */
export function stem(w: string): string {
  if (w.length <= 3) return w;
  let s = w;
  if (s.endsWith('ies') && s.length > 4) s = `${s.slice(0, -3)}y`;
  else if (s.endsWith('sses')) s = s.slice(0, -2);
  else if (s.endsWith('ing') && s.length > 5) s = s.slice(0, -3);
  else if (s.endsWith('ed') && s.length > 4) s = s.slice(0, -2);
  else if (s.endsWith('s') && !s.endsWith('ss') && !s.endsWith('us') && !s.endsWith('is')) s = s.slice(0, -1);
  // A final silent e goes too, so "upgrade", "upgrades", "upgraded" and "upgrading" meet at "upgrad".
  if (s.endsWith('e') && s.length > 4 && /[^aeiou]e$/.test(s)) s = s.slice(0, -1);
  return s;
}

/** Tokens of a text for BM25. */
export function bm25Tokens(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:[._+-][\p{L}\p{N}]+)*/gu)) {
    const w = m[0];
    if (STOP.has(w)) continue;
    out.push(stem(w));
  }
  return out;
}

/** BM25 parameters. */
export interface Bm25Options {
  k1?: number;
  b?: number;
}

/** A BM25 index over documents identified by string ids. */
export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  private readonly ids: string[] = [];
  private readonly lengths: number[] = [];
  private readonly postings = new Map<string, Array<[doc: number, tf: number]>>();
  private totalLength = 0;

  constructor(options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
  }

  /** Number of documents. */
  get size(): number {
    return this.ids.length;
  }

  /** Add a document. */
  add(id: string, text: string): void {
    const doc = this.ids.length;
    const tokens = bm25Tokens(text);
    this.ids.push(id);
    this.lengths.push(tokens.length);
    this.totalLength += tokens.length;
    const tf = new Map<string, number>();
    for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, n] of tf) {
      let list = this.postings.get(t);
      if (!list) this.postings.set(t, (list = []));
      list.push([doc, n]);
    }
  }

  /** Inverse document frequency of an (already tokenised) term, as {@link Bm25Index.search} weighs it. */
  idf(term: string): number {
    const df = this.postings.get(term)?.length ?? 0;
    return Math.log(1 + (this.ids.length - df + 0.5) / (df + 0.5));
  }

  /** The top `k` documents for `query`, best first. */
  search(query: string, k: number): Array<{ id: string; score: number }> {
    const n = this.ids.length;
    if (n === 0) return [];
    const avg = this.totalLength / n;
    const scores = new Float64Array(n);
    const touched: number[] = [];
    for (const t of new Set(bm25Tokens(query))) {
      const list = this.postings.get(t);
      if (!list) continue;
      const idf = Math.log(1 + (n - list.length + 0.5) / (list.length + 0.5));
      for (const [d, f] of list) {
        if (scores[d] === 0) touched.push(d);
        scores[d]! += (idf * f * (this.k1 + 1)) / (f + this.k1 * (1 - this.b + (this.b * this.lengths[d]!) / avg));
      }
    }
    touched.sort((a, b) => scores[b]! - scores[a]! || a - b);
    return touched.slice(0, k).map((d) => ({ id: this.ids[d]!, score: scores[d]! }));
  }
}
