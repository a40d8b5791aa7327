/**
 * Token interning and exact n-gram matching on integer ids — the fast core shared by BLEU and
 * ROUGE. Tokens are hashed straight from the characters of the text (or of a scanner's buffer)
 * and compared character by character, so no substring is allocated for a token seen before.
 *
 * @packageDocumentation
 */
import { isPyWhitespace } from './text.js';

/** A growable list of token ids (reused from segment to segment). */
export class IdList {
  ids: Int32Array;
  length = 0;

  constructor(capacity = 256) {
    this.ids = new Int32Array(capacity);
  }

  push(id: number): void {
    if (this.length === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.length++] = id;
  }

  clear(): void {
    this.length = 0;
  }
}

/**
 * Interns tokens: every distinct token string gets a dense integer id (0, 1, 2 …). Lookups hash
 * the token's UTF-16 code units in place (from a string range or a `Uint16Array` range) and
 * compare them with the stored units; nothing is allocated for a token seen before.
 */
export class TokenInterner {
  private table: Int32Array; // pairs (hash, id + 1); id + 1 = 0: empty
  private mask: number; // slot mask (slots = table.length / 2)
  private hashes: Int32Array = new Int32Array(1024);
  private offsets: Int32Array = new Int32Array(1025); // token id's units are pool[offsets[id]..offsets[id+1])
  private pool: Uint16Array = new Uint16Array(8192);
  private count = 0;
  private readonly strings: Array<string | undefined> = [];

  private readonly initialSlots: number;

  constructor(capacity = 4096) {
    let c = 16;
    while (c < 2 * capacity) c *= 2;
    this.initialSlots = c;
    this.table = new Int32Array(2 * c);
    this.mask = c - 1;
  }

  /** Number of distinct tokens so far. */
  get size(): number {
    return this.count;
  }

  /** The token string of an id. */
  text(id: number): string {
    let t = this.strings[id];
    if (t === undefined) {
      t = bufferString(this.pool, this.offsets[id]!, this.offsets[id + 1]!);
      this.strings[id] = t;
    }
    return t;
  }

  /** Forget every token (ids start again from 0). */
  reset(): void {
    if (this.count === 0) return;
    if (this.table.length > 4 * this.initialSlots && this.table.length > 8192) {
      // Do not keep clearing a table that one long text made large.
      this.table = new Int32Array(2 * this.initialSlots);
      this.mask = this.initialSlots - 1;
    } else this.table.fill(0);
    this.strings.length = 0;
    this.count = 0;
  }

  private add(hash: number, slot: number): number {
    const id = this.count++;
    if (id + 1 >= this.hashes.length) {
      const h = new Int32Array(this.hashes.length * 2);
      h.set(this.hashes);
      this.hashes = h;
      const o = new Int32Array(h.length + 1);
      o.set(this.offsets);
      this.offsets = o;
    }
    this.hashes[id] = hash;
    this.table[2 * slot] = hash;
    this.table[2 * slot + 1] = id + 1;
    if (2 * this.count > this.mask) this.grow();
    return id;
  }

  /** Make room for `len` more units in the pool; returns the start offset of the new token. */
  private reserve(len: number): number {
    const start = this.offsets[this.count]!;
    if (start + len > this.pool.length) {
      let c = this.pool.length * 2;
      while (c < start + len) c *= 2;
      const p = new Uint16Array(c);
      p.set(this.pool.subarray(0, start));
      this.pool = p;
    }
    this.offsets[this.count + 1] = start + len;
    return start;
  }

  private grow(): void {
    const slots = (this.mask + 1) * 2;
    this.table = new Int32Array(2 * slots);
    this.mask = slots - 1;
    for (let id = 0; id < this.count; id++) {
      const h = this.hashes[id]!;
      let s = h & this.mask;
      while (this.table[2 * s + 1] !== 0) s = (s + 1) & this.mask;
      this.table[2 * s] = h;
      this.table[2 * s + 1] = id + 1;
    }
  }

  /** The id of `src.slice(start, end)`. */
  internString(src: string, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
    return this.lookupString(src, start, end, h);
  }

  /**
   * Intern the tokens of Python's `src.split()` (runs of non-whitespace, `str.isspace()`
   * semantics) into `out`, hashing each token while scanning it.
   */
  internSplit(src: string, out: IdList): void {
    const n = src.length;
    let i = 0;
    for (;;) {
      let c = 0;
      while (i < n && ((c = src.charCodeAt(i)) <= 0x20 || c >= 0x85) && isPyWhitespace(c)) i++;
      if (i >= n) return;
      const start = i;
      let h = 0x811c9dc5;
      while (i < n) {
        c = src.charCodeAt(i);
        if ((c <= 0x20 || c >= 0x85) && isPyWhitespace(c)) break;
        h = Math.imul(h ^ c, 0x01000193);
        i++;
      }
      out.push(this.lookupString(src, start, i, h));
    }
  }

  private lookupString(src: string, start: number, end: number, hash: number): number {
    let h = hash ^ (end - start);
    h ^= h >>> 16;
    const len = end - start;
    const table = this.table;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const v = table[2 * s + 1]!;
      if (v === 0) {
        const at = this.reserve(len);
        const pool = this.pool;
        for (let k = 0; k < len; k++) pool[at + k] = src.charCodeAt(start + k);
        if (start === 0 && end === src.length) this.strings[this.count] = src;
        return this.add(h, s);
      }
      if (table[2 * s] !== h) continue;
      const o = this.offsets[v - 1]!;
      if (this.offsets[v]! - o !== len) continue;
      const pool = this.pool;
      let k = 0;
      while (k < len && pool[o + k] === src.charCodeAt(start + k)) k++;
      if (k === len) return v - 1;
    }
  }

  /** Like {@link TokenInterner.internSplit}, for the first `n` units of a buffer. */
  internSplitBuffer(buf: Uint16Array, n: number, out: IdList): void {
    let i = 0;
    for (;;) {
      let c = 0;
      while (i < n && ((c = buf[i]!) <= 0x20 || c >= 0x85) && isPyWhitespace(c)) i++;
      if (i >= n) return;
      const start = i;
      let h = 0x811c9dc5;
      while (i < n) {
        c = buf[i]!;
        if ((c <= 0x20 || c >= 0x85) && isPyWhitespace(c)) break;
        h = Math.imul(h ^ c, 0x01000193);
        i++;
      }
      out.push(this.lookupBuffer(buf, start, i, h));
    }
  }

  /** The id of the string made of `buf[start..end)`. */
  internBuffer(buf: Uint16Array, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    return this.lookupBuffer(buf, start, end, h);
  }

  private lookupBuffer(buf: Uint16Array, start: number, end: number, hash: number): number {
    let h = hash ^ (end - start);
    h ^= h >>> 16;
    const len = end - start;
    const table = this.table;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const v = table[2 * s + 1]!;
      if (v === 0) {
        const at = this.reserve(len);
        this.pool.set(buf.subarray(start, end), at);
        return this.add(h, s);
      }
      if (table[2 * s] !== h) continue;
      const o = this.offsets[v - 1]!;
      if (this.offsets[v]! - o !== len) continue;
      const pool = this.pool;
      let k = 0;
      while (k < len && pool[o + k] === buf[start + k]) k++;
      if (k === len) return v - 1;
    }
  }

  /** The id of a whole string. */
  intern(s: string): number {
    return this.internString(s, 0, s.length);
  }
}

/** The string of `buf[start..end)`. */
export function bufferString(buf: Uint16Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i += 4096) out += String.fromCharCode(...buf.subarray(i, Math.min(end, i + 4096)));
  return out;
}

/** A token-id sequence: the first `length` entries of `ids`. */
export interface IdSeq {
  readonly ids: Int32Array;
  readonly length: number;
}

/**
 * Exact clipped n-gram matching between a hypothesis and references, on token ids, without
 * hashing n-grams: tokens of the segment get local ids, and an n-gram's local id is looked up
 * from (its (n−1)-gram's local id, its last token's local id) in a direct-indexed table, so
 * every n-gram of every order has a dense, collision-free integer code.
 *
 * For each order n it gives `Σ_g min(count_hyp(g), max_r count_ref_r(g))` (sacreBLEU's clipped
 * matches; with one reference, rouge-score's n-gram intersection) and the hypothesis n-gram count.
 */
export class NgramMatcher {
  /** Largest total segment length (hypothesis + references) the direct tables are sized for. */
  static readonly MAX_TOKENS = 2048;
  private local = new Int32Array(1024); // global id → local id + 1
  private pair = new Int32Array(4096); // (code * k + token) → new code + 1
  private readonly touched = new Int32Array(NgramMatcher.MAX_TOKENS);
  private readonly tok = new Int32Array(NgramMatcher.MAX_TOKENS); // local token ids, hyp then refs
  private readonly codes = new Int32Array(NgramMatcher.MAX_TOKENS); // n-gram codes at each position
  private readonly refCount = new Int32Array(NgramMatcher.MAX_TOKENS);
  private readonly tmpCount = new Int32Array(NgramMatcher.MAX_TOKENS);
  private readonly starts = new Int32Array(64);
  private readonly lengths = new Int32Array(64);

  /** Whether a segment with these lengths can be matched here (else use a general method). */
  static fits(hypLength: number, refs: readonly IdSeq[]): boolean {
    let t = hypLength;
    for (let j = 0; j < refs.length; j++) t += refs[j]!.length;
    return refs.length < 63 && t <= NgramMatcher.MAX_TOKENS;
  }

  /** Local ids (first occurrence order) for every token: hypothesis, then the references. */
  private renumber(hyp: IdSeq, refs: readonly IdSeq[]): [number, number] {
    // Local ids for every token of the segment: hypothesis, then the references, one after the other.
    let maxId = 0;
    let T = 0;
    const nseg = refs.length + 1;
    const starts = this.starts;
    const lengths = this.lengths;
    const tok = this.tok;
    const touched = this.touched;
    for (let s = 0; s < nseg; s++) {
      const seq = s === 0 ? hyp : refs[s - 1]!;
      starts[s] = T;
      lengths[s] = seq.length;
      const ids = seq.ids;
      for (let i = 0; i < seq.length; i++) if (ids[i]! > maxId) maxId = ids[i]!;
      T += seq.length;
    }
    if (maxId >= this.local.length) {
      let c = this.local.length;
      while (c <= maxId) c *= 2;
      this.local = new Int32Array(c);
    }
    const local = this.local;
    let k = 0;
    for (let s = 0; s < nseg; s++) {
      const seq = s === 0 ? hyp : refs[s - 1]!;
      const ids = seq.ids;
      const o = starts[s]!;
      for (let i = 0; i < seq.length; i++) {
        const id = ids[i]!;
        let l = local[id]!;
        if (l === 0) {
          touched[k] = id;
          l = local[id] = ++k;
        }
        tok[o + i] = l - 1;
      }
    }
    for (let i = 0; i < k; i++) local[touched[i]!] = 0;
    return [T, k];
  }

  /**
   * Fill `correct[n-1]` and `total[n-1]` for n = 1..maxOrder. Requires
   * {@link NgramMatcher.fits}; refs with the same ids as the hypothesis's interner. When the ids
   * are already dense (all < `denseIds`, e.g. from an interner reset for this segment), pass
   * `denseIds` to skip the renumbering.
   */
  match(hyp: IdSeq, refs: readonly IdSeq[], maxOrder: number, correct: number[], total: number[], denseIds = 0): void {
    const nseg = refs.length + 1;
    const starts = this.starts;
    const lengths = this.lengths;
    const tok = this.tok;
    const touched = this.touched;
    let T = 0;
    let k = 0;
    if (denseIds > 0) {
      k = denseIds;
      for (let s = 0; s < nseg; s++) {
        const seq = s === 0 ? hyp : refs[s - 1]!;
        starts[s] = T;
        lengths[s] = seq.length;
        const ids = seq.ids;
        for (let i = 0; i < seq.length; i++) tok[T + i] = ids[i]!;
        T += seq.length;
      }
    } else {
      [T, k] = this.renumber(hyp, refs);
    }
    const codes = this.codes;
    for (let i = 0; i < T; i++) codes[i] = tok[i]!;
    // Codes of an order are < T, so keys (code * k + token) are < T * k.
    if (this.pair.length < T * k) this.pair = new Int32Array(Math.max(T * k, 2 * this.pair.length));
    const pair = this.pair;
    const refCount = this.refCount;
    const tmpCount = this.tmpCount;
    const hl = hyp.length;
    let ncodes = k;
    for (let n = 1; n <= maxOrder; n++) {
      total[n - 1] = hl - n + 1 > 0 ? hl - n + 1 : 0;
      if (n > 1) {
        if (correct[n - 2] === 0) {
          // No (n−1)-gram matched, so no longer n-gram can.
          correct[n - 1] = 0;
          continue;
        }
        // The n-gram at i is the (n−1)-gram at i followed by the token at i + n − 1.
        let next = 0;
        for (let s = 0; s < nseg; s++) {
          const o = starts[s]!;
          const end = o + lengths[s]! - n + 1;
          for (let i = o; i < end; i++) {
            const key = codes[i]! * k + tok[i + n - 1]!;
            let c = pair[key]!;
            if (c === 0) {
              touched[next] = key;
              c = pair[key] = ++next;
            }
            codes[i] = c - 1;
          }
        }
        for (let i = 0; i < next; i++) pair[touched[i]!] = 0;
        ncodes = next;
      }
      // Reference counts (the maximum over references).
      if (nseg === 2) {
        const o = starts[1]!;
        const end = o + lengths[1]! - n + 1;
        for (let i = o; i < end; i++) refCount[codes[i]!]!++;
      } else {
        for (let s = 1; s < nseg; s++) {
          const o = starts[s]!;
          const end = o + lengths[s]! - n + 1;
          for (let i = o; i < end; i++) tmpCount[codes[i]!]!++;
          for (let i = o; i < end; i++) {
            const c = codes[i]!;
            if (tmpCount[c]! > refCount[c]!) refCount[c] = tmpCount[c]!;
          }
          for (let i = o; i < end; i++) tmpCount[codes[i]!] = 0;
        }
      }
      // Clip: each hypothesis occurrence takes one reference occurrence.
      let matched = 0;
      for (let i = 0; i + n <= hl; i++) {
        const c = codes[i]!;
        if (refCount[c]! > 0) {
          refCount[c]!--;
          matched++;
        }
      }
      correct[n - 1] = matched;
      refCount.fill(0, 0, ncodes);
    }
  }
}
