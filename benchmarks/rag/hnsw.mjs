#!/usr/bin/env node
// HNSW build time, queries/s and recall@10 (against the exact answer) at ef 32/64/128:
// @llm/rag's HnswIndex wrapper vs bare hnswlib-node vs Debian's python3-hnswlib and python3-faiss
// (IndexHNSWFlat), all on the same vectors with the same parameters (M 16, efConstruction 200,
// cosine on unit vectors), one thread, queries one at a time, in the same run. Times are CPU seconds
// of the working process (robust to the load of a shared machine); medians over --runs (queries: 3
// alternating passes per run).
//
//   pnpm --filter @llm/rag... build; apt-get install python3-hnswlib python3-faiss
//   node benchmarks/rag/hnsw.mjs [--n 20000] [--dim 128] [--queries 1000] [--runs 3] [--json]
//
// The vectors are seeded Gaussian clusters (100 centres), unit length. The wrapper gets
// Float32Array queries (what an Embedder returns) and string ids; bare hnswlib-node gets plain
// arrays prepared beforehand and numeric labels — the lower bound for any wrapper.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '../../packages/rag');
const require = createRequire(join(pkg, 'package.json'));
const core = await import(require.resolve('@llm/core'));
const { HnswIndex } = await import(join(pkg, 'dist/index.js'));
const { HierarchicalNSW } = require('hnswlib-node');

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? Number(process.argv[i + 1]) : dflt; };
const N = arg('n', 20000), DIM = arg('dim', 128), NQ = arg('queries', 1000), RUNS = arg('runs', 3), K = 10, M = 16, EFC = 200, EFS = [32, 64, 128];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

// Data: unit vectors around 100 Gaussian centres.
const rng = new core.Rng(7);
const centres = Array.from({ length: 100 }, () => rng.normalArray(DIM));
const make = (count, r) => {
  const out = new Float32Array(count * DIM);
  for (let i = 0; i < count; i++) {
    const c = centres[r.int(centres.length)];
    let norm = 0;
    for (let j = 0; j < DIM; j++) { const x = c[j] + 0.9 * r.normal(); out[i * DIM + j] = x; norm += x * x; }
    norm = Math.sqrt(norm);
    for (let j = 0; j < DIM; j++) out[i * DIM + j] /= norm;
  }
  return out;
};
const base = make(N, rng.split('base'));
const queries = make(NQ, rng.split('queries'));
const row = (a, i) => a.subarray(i * DIM, (i + 1) * DIM);

// Exact top-10 by inner product (= cosine on unit vectors).
const truth = new Int32Array(NQ * K);
const scores = new Float32Array(N);
for (let q = 0; q < NQ; q++) {
  const qv = row(queries, q);
  for (let i = 0; i < N; i++) { let s = 0; const o = i * DIM; for (let j = 0; j < DIM; j++) s += qv[j] * base[o + j]; scores[i] = s; }
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]).slice(0, K);
  truth.set(order, q * K);
}
const recall = (found) => { let hit = 0; for (let q = 0; q < NQ; q++) { const t = new Set(truth.subarray(q * K, (q + 1) * K)); for (const x of found[q]) if (t.has(x)) hit++; } return hit / (NQ * K); };

// CPU seconds of this process (one thread does the work): robust to other processes on a loaded machine.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const tools = {};
const baseArrays = Array.from({ length: N }, (_, i) => Array.from(row(base, i)));
const queryArrays = Array.from({ length: NQ }, (_, i) => Array.from(row(queries, i)));
const items = Array.from({ length: N }, (_, i) => ({ id: `v${i}`, vector: row(base, i) }));
const stats = () => ({ builds: [], qps: Object.fromEntries(EFS.map((e) => [e, []])), rec: {} });
const S = { bare: stats(), ours: stats() };
// Bare hnswlib-node: plain arrays prepared once, numeric labels. Ours: Float32Array in, string ids +
// metadata out. Both built in every run (alternating which goes first) and queried in alternation.
for (let r = 0; r < RUNS; r++) {
  const idx = {};
  for (const who of r % 2 ? ['ours', 'bare'] : ['bare', 'ours']) {
    const t0 = cpu();
    if (who === 'bare') {
      idx.bare = new HierarchicalNSW('cosine', DIM);
      idx.bare.initIndex(N, M, EFC, 100);
      for (let i = 0; i < N; i++) idx.bare.addPoint(baseArrays[i], i);
    } else {
      idx.ours = new HnswIndex(DIM, { M, efConstruction: EFC, seed: 100, capacity: N, metric: 'cosine' });
      await idx.ours.add(items);
    }
    S[who].builds.push(cpu() - t0);
  }
  for (const ef of EFS) {
    for (let pass = 0; pass < 3; pass++) {
      for (const who of pass % 2 ? ['ours', 'bare'] : ['bare', 'ours']) {
        const found = new Array(NQ);
        const t0 = cpu();
        if (who === 'bare') {
          idx.bare.setEf(ef);
          for (let q = 0; q < NQ; q++) found[q] = idx.bare.searchKnn(queryArrays[q], K).neighbors;
        } else {
          for (let q = 0; q < NQ; q++) found[q] = await idx.ours.search(row(queries, q), K, { ef });
        }
        S[who].qps[ef].push(NQ / (cpu() - t0));
        S[who].rec[ef] = recall(who === 'bare' ? found : found.map((hits) => hits.map((h) => Number(h.id.slice(1)))));
      }
    }
  }
}
for (const [who, name] of [['bare', 'hnswlib-node (bare)'], ['ours', '@llm/rag HnswIndex']]) {
  tools[name] = { build_s: median(S[who].builds), ef: Object.fromEntries(EFS.map((e) => [e, { qps: median(S[who].qps[e]), recall: S[who].rec[e] }])) };
}
// Peers, same vectors, same run.
const dir = mkdtempSync(join(tmpdir(), 'rag-hnsw-'));
writeFileSync(join(dir, 'base.f32'), Buffer.from(base.buffer));
writeFileSync(join(dir, 'queries.f32'), Buffer.from(queries.buffer));
writeFileSync(join(dir, 'truth.i32'), Buffer.from(truth.buffer));
writeFileSync(join(dir, 'params.json'), JSON.stringify({ n: N, nq: NQ, dim: DIM, k: K, M, efConstruction: EFC, efs: EFS, runs: RUNS }));
const py = spawnSync('/usr/bin/python3', [join(here, 'hnsw_peer.py'), dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
rmSync(dir, { recursive: true, force: true });
if (py.status === 0) Object.assign(tools, JSON.parse(py.stdout.trim().split('\n').pop()));
else console.error(`python peers failed (install python3-hnswlib python3-faiss): ${py.stderr.slice(-500)}`);

const bare = tools['hnswlib-node (bare)'], ours = tools['@llm/rag HnswIndex'];
const result = { n: N, dim: DIM, queries: NQ, runs: RUNS, M, efConstruction: EFC, tools,
  wrapperOverhead: { build: ours.build_s / bare.build_s - 1, ...Object.fromEntries(EFS.map((e) => [`qps_ef${e}`, bare.ef[e].qps / ours.ef[e].qps - 1])) } };
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`${N} vectors x ${DIM}, ${NQ} queries, M ${M}, efConstruction ${EFC}, 1 thread, medians of ${RUNS} runs`);
  console.log(`tool                   build s  ${EFS.map((e) => `QPS@ef${e}  rec@10`).join('  ')}`);
  for (const [name, t] of Object.entries(tools)) console.log(`${name.padEnd(22)} ${t.build_s.toFixed(2).padStart(7)}  ${EFS.map((e) => `${t.ef[e].qps.toFixed(0).padStart(9)}  ${t.ef[e].recall.toFixed(3)}`).join('  ')}`);
  console.log(`wrapper overhead vs bare hnswlib-node: build ${(100 * result.wrapperOverhead.build).toFixed(1)}%, ${EFS.map((e) => `ef${e} ${(100 * result.wrapperOverhead[`qps_ef${e}`]).toFixed(1)}%`).join(', ')}`);
}
