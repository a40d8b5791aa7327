/**
 * Seeded, splittable random numbers.
 *
 * `Rng` is xoshiro128** seeded through SplitMix32. `split(label)` derives an independent child
 * stream from the parent's *seed* and the label (not from how much of the parent was consumed),
 * so adding a draw in one place never changes the numbers drawn in another:
 * `rng.split('init')` gives the same weights whatever the data loader did before.
 */

/** 32-bit FNV-1a of a string, used to mix labels into seeds. */
export function hashString32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seed: a number (its integer bits are used) or a string (hashed). */
export type Seed = number | string;

function seedTo32(seed: Seed): number {
  if (typeof seed === 'string') return hashString32(seed);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`);
  // Fold values beyond 32 bits so 2**32 + 1 and 1 differ.
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return (lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0;
}

/** A serialisable {@link Rng} position. */
export interface RngState {
  seed: number;
  s: [number, number, number, number];
  spare: number | null;
}

/** A deterministic random stream. Not cryptographically secure. */
export class Rng {
  /** The 32-bit seed this stream was created from. */
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  constructor(seed: Seed = 0) {
    this.seed = seedTo32(seed);
    const st = { s: this.seed };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** An independent child stream for `label`; the same parent seed and label give the same child. */
  split(label: Seed): Rng {
    const l = typeof label === 'string' ? hashString32(label) : seedTo32(label);
    const st = { s: (this.seed ^ Math.imul(l, 0x27d4eb2d)) | 0 };
    splitmix32(st);
    return new Rng(splitmix32(st) ^ l);
  }

  /** The generator's position, to store in a checkpoint. */
  getState(): RngState {
    return { seed: this.seed, s: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0], spare: this.spareNormal ?? null };
  }

  /** Continue from a position saved by {@link Rng.getState}. */
  static fromState(state: RngState): Rng {
    const r = new Rng(state.seed);
    [r.a, r.b, r.c, r.d] = state.s.map((x) => x | 0) as [number, number, number, number];
    r.spareNormal = state.spare ?? undefined;
    return r;
  }

  /** A copy at the same position. */
  clone(): Rng {
    const r = new Rng(this.seed);
    r.a = this.a; r.b = this.b; r.c = this.c; r.d = this.d;
    r.spareNormal = this.spareNormal;
    return r;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!(n > 0) || n > 4294967296 || !Number.isInteger(n)) throw new RangeError(`int(n) needs an integer 1..2^32, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextUint32(); while (x >= limit);
    return x % n;
  }

  /** Normal deviate (Box–Muller, the spare is kept). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const s = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = array[i] as T;
      array[i] = array[j] as T;
      array[j] = t;
    }
    return array;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  /** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    if (!(total > 0)) throw new RangeError('categorical needs a positive total weight');
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A 31-bit integer seed for libraries that take one (tfjs initialisers, random ops). */
  nextSeed(): number {
    return this.nextUint32() >>> 1;
  }

  /** Float32Array of normal deviates. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Float32Array of uniform values in [lo, hi). */
  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
