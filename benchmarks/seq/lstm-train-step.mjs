#!/usr/bin/env node
/**
 * Training throughput of the same classifier here and in PyTorch, in the same run:
 * Embedding(5000, 128) → LSTM(128 → 128) → Linear(128 → 2), batch 32 × 200 tokens, one Adam step
 * (forward, backward, update; benchmarks/native/workloads.mjs). Ours runs on @llm/core's backend; the
 * peer is Debian's python3-torch on the CPU with 1 thread (OPENBLAS_NUM_THREADS=1) and 2 threads.
 *
 *   pnpm --filter @llm/seq build && node benchmarks/seq/lstm-train-step.mjs [--steps 5] [--no-torch]
 *
 * Prints a table of median ms per step and examples/s, with the ratio to ours.
 * (Imports the built packages by path: benchmarks/ has no package.json in this branch.)
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, formatTable, loadNativeAddon } from '../../packages/core/dist/index.js';
import { lstmWorkload } from '../native/workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const STEPS = Number(arg('steps', '5'));
const WARMUP = 2;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const report = await initBackend();
const w = await lstmWorkload(join(here, '..', '..'));
const { V, E, H, T, B } = w;
const times = [];
for (let i = 0; i < WARMUP + STEPS; i++) {
  const t0 = performance.now();
  w.step();
  const dt = performance.now() - t0;
  if (i >= WARMUP) times.push(dt);
}
const ours = median(times);
// The native backend's kernels use its thread pool (LLM_NATIVE_THREADS, default all cores); the others one thread.
const ourThreads = report.active === 'native' ? loadNativeAddon().addon.info().threads : 1;
const rows = [[`@llm/seq (${report.active})`, ourThreads, ours.toFixed(0), (B / (ours / 1000)).toFixed(1), '1.00']];
const json = { config: { V, E, H, T, B }, backend: report.active, ours: { median_ms: ours, times_ms: times }, torch: [] };
if (!process.argv.includes('--no-torch')) {
  for (const threads of [1, 2]) {
    const r = spawnSync('/usr/bin/python3', [join(here, 'torch_lstm_step.py'), '--threads', String(threads), '--steps', String(Math.max(STEPS, 5))], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      rows.push([`PyTorch CPU`, threads, 'failed', r.stderr.trim().split('\n').at(-1) ?? '', '']);
      continue;
    }
    const t = JSON.parse(r.stdout.trim().split('\n').at(-1));
    json.torch.push(t);
    rows.push([`PyTorch ${t.torch} CPU`, threads, t.median_ms.toFixed(0), (B / (t.median_ms / 1000)).toFixed(1), (t.median_ms / ours).toFixed(2)]);
  }
}
console.log(`Embedding(${V}, ${E}) → LSTM(${E} → ${H}) → Linear(${H} → 2), batch ${B} × ${T} tokens, Adam step; median of ${STEPS} steps after ${WARMUP} warm-up`);
console.log(formatTable(['implementation', 'threads', 'ms/step', 'examples/s', 'torch time / ours'], rows));
console.log(JSON.stringify(json));
