import { describe, expect, it } from 'vitest';
import { Rng, hashString32 } from './rng.js';

describe('Rng', () => {
  it('is deterministic by seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(xs);
    expect(new Rng(43).nextUint32()).not.toBe(xs[0]);
    expect(new Rng('run-a').next()).toBe(new Rng('run-a').next());
  });

  it('splits into streams that do not depend on the parent position', () => {
    const a = new Rng(1);
    const childBefore = a.split('init').next();
    for (let i = 0; i < 1000; i++) a.next();
    expect(a.split('init').next()).toBe(childBefore);
    expect(a.split('data').next()).not.toBe(childBefore);
    expect(new Rng(2).split('init').next()).not.toBe(childBefore);
  });

  it('draws uniform floats in [0,1) and unbiased integers', () => {
    const r = new Rng(7);
    const counts = new Array(6).fill(0);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 60000; i++) {
      const u = r.next();
      min = Math.min(min, u);
      max = Math.max(max, u);
      counts[r.int(6)]++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400); // ~4.4 sigma
    expect(() => r.int(0)).toThrow(RangeError);
  });

  it('draws normals with the requested mean and std', () => {
    const xs = new Rng(3).normalArray(50000, 2, 0.5);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(mean).toBeCloseTo(2, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(0.5, 1);
  });

  it('shuffles into a permutation and draws categorical indices by weight', () => {
    const r = new Rng(5);
    const p = Array.from(r.permutation(1000));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(p.slice(0, 10)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const hits = [0, 0, 0];
    for (let i = 0; i < 30000; i++) hits[r.categorical([1, 0, 3])]++;
    expect(hits[1]).toBe(0);
    expect(hits[2]! / hits[0]!).toBeGreaterThan(2.7);
    expect(hits[2]! / hits[0]!).toBeLessThan(3.3);
  });

  it('clone continues identically', () => {
    const r = new Rng(9);
    r.normal();
    const c = r.clone();
    expect(c.normal()).toBe(r.normal());
    expect(c.nextUint32()).toBe(r.nextUint32());
  });

  it('hashes strings with FNV-1a', () => {
    expect(hashString32('')).toBe(0x811c9dc5);
    expect(hashString32('a')).toBe(0xe40c292c);
  });
});
