import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@llm/core';
import { Bm25Index, FlatIndex, HnswIndex, maximalMarginalRelevance, reciprocalRankFusion } from '../src/index.js';

function vectors(n: number, d: number, seed: number): Float32Array[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.normalArray(d));
}

describe('vector indexes', () => {
  it('HNSW finds what the exact index finds (recall@10 ≥ 0.95), with metadata filters', async () => {
    const d = 32;
    const data = vectors(2000, d, 1);
    const flat = new FlatIndex(d);
    const hnsw = new HnswIndex(d, { ef: 64, capacity: 100 }); // grows past its initial capacity
    const items = data.map((v, i) => ({ id: `v${i}`, vector: v, metadata: { even: i % 2 === 0 } }));
    await flat.add(items);
    await hnsw.add(items);
    expect(hnsw.size).toBe(2000);
    let found = 0;
    for (const q of vectors(50, d, 2)) {
      const truth = new Set((await flat.search(q, 10)).map((h) => h.id));
      for (const h of await hnsw.search(q, 10)) if (truth.has(h.id)) found++;
    }
    expect(found / 500).toBeGreaterThanOrEqual(0.95);
    const q = data[3]!;
    const top = await hnsw.search(q, 1);
    expect(top[0]!.id).toBe('v3');
    expect(top[0]!.score).toBeCloseTo(1, 5);
    const evens = await hnsw.search(q, 5, { filter: (m) => m.even === true });
    expect(evens.every((h) => Number(h.id.slice(1)) % 2 === 0)).toBe(true);
  });

  it('deletes by marking, reuses slots, replaces ids, and saves/loads atomically', async () => {
    const d = 8;
    const data = vectors(100, d, 3);
    const hnsw = new HnswIndex(d, { capacity: 16 });
    await hnsw.add(data.map((v, i) => ({ id: `v${i}`, vector: v })));
    expect(await hnsw.delete(['v1', 'v2', 'nope'])).toBe(2);
    expect((await hnsw.search(data[1]!, 3)).map((h) => h.id)).not.toContain('v1');
    await hnsw.add([{ id: 'new', vector: data[1]! }, { id: 'v5', vector: data[7]! }]);
    expect((await hnsw.search(data[1]!, 1))[0]!.id).toBe('new');
    expect((await hnsw.search(data[7]!, 2)).map((h) => h.id).sort()).toEqual(['v5', 'v7']);
    expect(hnsw.size).toBe(99);
    const dir = mkdtempSync(join(tmpdir(), 'llm-hnsw-'));
    await hnsw.save(dir);
    await hnsw.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['hnsw-2.bin', 'hnsw.json']);
    const back = await HnswIndex.load(dir);
    expect(back.size).toBe(99);
    expect((await back.search(data[1]!, 1))[0]!.id).toBe('new');
    const flatDir = mkdtempSync(join(tmpdir(), 'llm-flat-'));
    const flat = new FlatIndex(d, 'l2');
    await flat.add(data.slice(0, 10).map((v, i) => ({ id: `v${i}`, vector: v, metadata: { i } })));
    await flat.save(flatDir);
    const f2 = await FlatIndex.load(flatDir);
    expect((await f2.search(data[4]!, 1))[0]).toMatchObject({ id: 'v4', score: -0, metadata: { i: 4 } });
  });
});

describe('lexical retrieval and fusion', () => {
  it('BM25 ranks the document that matches rare terms first', () => {
    const bm = new Bm25Index();
    bm.add('a', 'The cat sat on the mat.');
    bm.add('b', 'Dogs and cats are pets; a dog barks.');
    bm.add('c', 'Debian packages are managed with dpkg and apt.');
    expect(bm.search('how are packages managed in Debian', 3)[0]!.id).toBe('c');
    expect(bm.search('dog', 3).map((h) => h.id)).toEqual(['b']);
    expect(bm.search('cats', 3).map((h) => h.id).sort()).toEqual(['a', 'b']);
  });

  it('RRF rewards agreement; MMR avoids near-duplicates', () => {
    const fused = reciprocalRankFusion([[{ id: 'x' }, { id: 'y' }, { id: 'z' }], [{ id: 'y' }, { id: 'w' }, { id: 'x' }]]);
    expect(fused.map((f) => f.id).slice(0, 2)).toEqual(['y', 'x']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 10);
    const picked = maximalMarginalRelevance([1, 0], [{ id: 'a', vector: [1, 0] }, { id: 'a2', vector: [0.99, 0.01] }, { id: 'b', vector: [0.7, 0.7] }], 2, 0.3);
    expect(picked.map((p) => p.id)).toEqual(['a', 'b']);
  });
});
