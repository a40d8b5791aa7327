/**
 * Token interning and exact n-gram matching on integer ids — the fast core shared by BLEU and
 * ROUGE. Tokens are hashed straight from the characters of the text (or of a scanner's buffer)
 * and compared character by character, so no substring is allocated for a token seen before.
 *
 * @packageDocumentation
 */

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
 * the token's UTF-16 code units in place (from a string range or a `Uint16Array` range); the
 * token's string is built only the first time it is seen.
 */
export class TokenInterner {
  private slots: Int32Array; // id + 1, 0 = empty
  private mask: number;
  private hashes: Int32Array = new Int32Array(1024);
  private readonly strings: string[] = [];

  constructor(capacity = 4096) {
    let c = 16;
    while (c < 2 * capacity) c *= 2;
    this.slots = new Int32Array(c);
    this.mask = c - 1;
  }

  /** Number of distinct tokens so far. */
  get size(): number {
    return this.strings.length;
  }

  /** The token string of an id. */
  text(id: number): string {
    return this.strings[id]!;
  }

  /** Forget every token (ids start again from 0). */
  reset(): void {
    this.slots.fill(0);
    this.strings.length = 0;
  }

  private add(hash: number, s: string): number {
    const id = this.strings.length;
    this.strings.push(s);
    if (id === this.hashes.length) {
      const h = new Int32Array(id * 2);
      h.set(this.hashes);
      this.hashes = h;
    }
    this.hashes[id] = hash;
    if (2 * (id + 1) > this.slots.length) this.grow();
    else this.slots[this.probe(hash)] = id + 1;
    return id;
  }

  private probe(hash: number): number {
    let s = hash & this.mask;
    while (this.slots[s] !== 0) s = (s + 1) & this.mask;
    return s;
  }

  private grow(): void {
    const c = this.slots.length * 2;
    this.slots = new Int32Array(c);
    this.mask = c - 1;
    for (let id = 0; id < this.strings.length; id++) this.slots[this.probe(this.hashes[id]!)] = id + 1;
  }

  /** The id of `src.slice(start, end)`. */
  internString(src: string, start: number, end: number): number {
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ src.charCodeAt(i), 0x01000193);
    h ^= h >>> 16;
    const len = end - start;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const v = this.slots[s]!;
      if (v === 0) return this.add(h, start === 0 && end === src.length ? src : src.slice(start, end));
      const id = v - 1;
      if (this.hashes[id] !== h) continue;
      const t = this.strings[id]!;
      if (t.length !== len) continue;
      let k = 0;
      while (k < len && t.charCodeAt(k) === src.charCodeAt(start + k)) k++;
      if (k === len) return id;
    }
  }

  /** The id of the string made of `buf[start..end)`. */
  internBuffer(buf: Uint16Array, start: number, end: number): number {
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    h ^= h >>> 16;
    const len = end - start;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const v = this.slots[s]!;
      if (v === 0) return this.add(h, bufferString(buf, start, end));
      const id = v - 1;
      if (this.hashes[id] !== h) continue;
      const t = this.strings[id]!;
      if (t.length !== len) continue;
      let k = 0;
      while (k < len && t.charCodeAt(k) === buf[start + k]) k++;
      if (k === len) return id;
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
  private touched = new Int32Array(MAX_T());
  private pair = new Int32Array(0); // (prev code * k + token) → code + 1
  private pairTouched = new Int32Array(MAX_T());
  private hypCodes = new Int32Array(MAX_T());
  private refCodes = new Int32Array(MAX_T());
  private tokLocal = new Int32Array(MAX_T());
  private refTok = new Int32Array(MAX_T());
  private refCount = new Int32Array(MAX_T());
  private tmpCount = new Int32Array(MAX_T());

  /** Whether a segment with these lengths can be matched here (else use a general method). */
  static fits(hypLength: number, refs: readonly IdSeq[]): boolean {
    let t = hypLength;
    for (const r of refs) t += r.length;
    return t <= NgramMatcher.MAX_TOKENS;
  }

  /**
   * Fill `correct[n-1]` and `total[n-1]` for n = 1..maxOrder. Requires
   * {@link NgramMatcher.fits}; refs with the same ids as the hypothesis's interner.
   */
  match(hyp: IdSeq, refs: readonly IdSeq[], maxOrder: number, correct: number[] | Float64Array, total: number[] | Float64Array): void {
    // Local ids for every token of the segment (hypothesis, then references, in order).
    let k = 0;
    let maxId = 0;
    for (let i = 0; i < hyp.length; i++) if (hyp.ids[i]! > maxId) maxId = hyp.ids[i]!;
    for (const r of refs) for (let i = 0; i < r.length; i++) if (r.ids[i]! > maxId) maxId = r.ids[i]!;
    if (maxId >= this.local.length) {
      let c = this.local.length;
      while (c <= maxId) c *= 2;
      this.local = new Int32Array(c);
    }
    const local = this.local;
    const touched = this.touched;
    const hypCodes = this.hypCodes;
    const refCodes = this.refCodes;
    const hl = hyp.length;
    for (let i = 0; i < hl; i++) {
      const id = hyp.ids[i]!;
      let l = local[id]!;
      if (l === 0) {
        touched[k] = id;
        l = local[id] = ++k;
      }
      hypCodes[i] = l - 1;
    }
    // References are laid out one after the other in refCodes.
    let rl = 0;
    for (const r of refs) {
      for (let i = 0; i < r.length; i++) {
        const id = r.ids[i]!;
        let l = local[id]!;
        if (l === 0) {
          touched[k] = id;
          l = local[id] = ++k;
        }
        refCodes[rl + i] = l - 1;
      }
      rl += r.length;
    }
    for (let i = 0; i < k; i++) local[touched[i]!] = 0;
    // The tokens' local ids stay needed for the next orders.
    const tokLocal = this.tokLocal;
    const refTok = this.refTok;
    tokLocal.set(hypCodes.subarray(0, hl));
    refTok.set(refCodes.subarray(0, rl));
    // Codes of an order are < hl + rl, so keys (code * k + token) are < (hl + rl) * k.
    const need = (hl + rl) * k;
    if (this.pair.length < need) this.pair = new Int32Array(Math.max(need, 2 * this.pair.length));
    const pair = this.pair;
    const pairTouched = this.pairTouched;
    const refCount = this.refCount;
    const tmpCount = this.tmpCount;
    let codes = k; // number of distinct codes of the current order
    for (let n = 1; n <= maxOrder; n++) {
      if (n > 1) {
        // Code of the n-gram at i = code(pair(code of (n−1)-gram at i, token at i+n−1)).
        let next = 0;
        const stride = k;
        for (let i = 0; i + n <= hl; i++) {
          const key = hypCodes[i]! * stride + tokLocal[i + n - 1]!;
          let c = pair[key]!;
          if (c === 0) {
            pairTouched[next] = key;
            c = pair[key] = ++next;
          }
          hypCodes[i] = c - 1;
        }
        let off = 0;
        for (const r of refs) {
          for (let i = 0; i + n <= r.length; i++) {
            const key = refCodes[off + i]! * stride + refTok[off + i + n - 1]!;
            let c = pair[key]!;
            if (c === 0) {
              pairTouched[next] = key;
              c = pair[key] = ++next;
            }
            refCodes[off + i] = c - 1;
          }
          off += r.length;
        }
        for (let i = 0; i < next; i++) pair[pairTouched[i]!] = 0;
        codes = next;
      }
      // Reference counts: max over references.
      let off = 0;
      if (refs.length === 1) {
        const r = refs[0]!;
        for (let i = 0; i + n <= r.length; i++) refCount[refCodes[i]!]!++;
      } else {
        for (const r of refs) {
          for (let i = 0; i + n <= r.length; i++) tmpCount[refCodes[off + i]!]!++;
          for (let i = 0; i + n <= r.length; i++) {
            const c = refCodes[off + i]!;
            if (tmpCount[c]! > refCount[c]!) refCount[c] = tmpCount[c]!;
          }
          for (let i = 0; i + n <= r.length; i++) tmpCount[refCodes[off + i]!] = 0;
          off += r.length;
        }
      }
      // Clip: each hypothesis occurrence consumes one reference occurrence.
      let c = 0;
      let t = 0;
      for (let i = 0; i + n <= hl; i++) {
        t++;
        const code = hypCodes[i]!;
        if (refCount[code]! > 0) {
          refCount[code]!--;
          c++;
        }
      }
      correct[n - 1] = c;
      total[n - 1] = t;
      refCount.fill(0, 0, codes);
    }
  }
}

function MAX_T(): number {
  return NgramMatcher.MAX_TOKENS;
}
