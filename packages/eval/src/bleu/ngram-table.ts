/**
 * A small open-addressing hash table for the n-grams of one segment, keyed exactly by two numbers
 * (up to four 16-bit token ids), reused from segment to segment without allocation.
 *
 * @packageDocumentation
 */

/** Counts of n-gram keys `(hi, lo)`; cleared in O(entries). */
export class NgramTable {
  private hi: Float64Array;
  private lo: Float64Array;
  private counts: Int32Array;
  private used: Uint8Array;
  private mask: number;
  /** Occupied slots, in insertion order. */
  readonly slots: number[] = [];

  constructor(capacity = 256) {
    let c = 16;
    while (c < capacity) c *= 2;
    this.hi = new Float64Array(c);
    this.lo = new Float64Array(c);
    this.counts = new Int32Array(c);
    this.used = new Uint8Array(c);
    this.mask = c - 1;
  }

  private find(hi: number, lo: number): number {
    let h = Math.imul(hi | 0, 0x9e3779b1) ^ Math.imul((hi / 4294967296) | 0, 0x27d4eb2f) ^ Math.imul(lo | 0, 0x85ebca77) ^ Math.imul((lo / 4294967296) | 0, 0x165667b1);
    h ^= h >>> 15;
    let s = h & this.mask;
    while (this.used[s] && (this.hi[s] !== hi || this.lo[s] !== lo)) s = (s + 1) & this.mask;
    return s;
  }

  private grow(): void {
    const old = { hi: this.hi, lo: this.lo, counts: this.counts, slots: [...this.slots] };
    const c = this.used.length * 2;
    this.hi = new Float64Array(c);
    this.lo = new Float64Array(c);
    this.counts = new Int32Array(c);
    this.used = new Uint8Array(c);
    this.mask = c - 1;
    this.slots.length = 0;
    for (const s of old.slots) {
      const t = this.find(old.hi[s]!, old.lo[s]!);
      this.used[t] = 1;
      this.hi[t] = old.hi[s]!;
      this.lo[t] = old.lo[s]!;
      this.counts[t] = old.counts[s]!;
      this.slots.push(t);
    }
  }

  /** Add `n` to the key's count. */
  add(hi: number, lo: number, n = 1): void {
    if (2 * (this.slots.length + 1) > this.used.length) this.grow();
    const s = this.find(hi, lo);
    if (!this.used[s]) {
      this.used[s] = 1;
      this.hi[s] = hi;
      this.lo[s] = lo;
      this.counts[s] = 0;
      this.slots.push(s);
    }
    this.counts[s]! += n;
  }

  /** Raise the key's count to at least `n`. */
  max(hi: number, lo: number, n: number): void {
    if (2 * (this.slots.length + 1) > this.used.length) this.grow();
    const s = this.find(hi, lo);
    if (!this.used[s]) {
      this.used[s] = 1;
      this.hi[s] = hi;
      this.lo[s] = lo;
      this.counts[s] = n;
      this.slots.push(s);
    } else if (this.counts[s]! < n) this.counts[s] = n;
  }

  /** The key's count (0 if absent). */
  get(hi: number, lo: number): number {
    const s = this.find(hi, lo);
    return this.used[s] ? this.counts[s]! : 0;
  }

  /** Key parts and count of an occupied slot. */
  keyHi(slot: number): number { return this.hi[slot]!; }
  keyLo(slot: number): number { return this.lo[slot]!; }
  count(slot: number): number { return this.counts[slot]!; }

  clear(): void {
    for (const s of this.slots) this.used[s] = 0;
    this.slots.length = 0;
  }
}
