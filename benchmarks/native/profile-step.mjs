#!/usr/bin/env node
/**
 * Where the time of one training step goes on the active backend: every kernel registered for
 * the backend is wrapped with a timer (wall time inside the kernel function), and the rest of the
 * step (tfjs's engine, tape, gradient bookkeeping, disposal, JS glue) is reported as "outside
 * kernels". Two workloads, as in the parity benchmarks:
 *   gpt:  GPT-2 6 layers, d 256, 8 heads, ctx 128, vocab 8192, batch 16, AdamW + clip (transformer's trainStep)
 *   lstm: Embedding(5000,128) → LSTM(128→128) → Linear(128→2), batch 32 × 200, tf.train.adam
 *
 *   node benchmarks/native/profile-step.mjs [gpt|lstm|both] [--steps 3] [--top 25]
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gptWorkload, lstmWorkload } from './workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { initBackend, tf, loadNativeAddon } = await import(join(root, 'packages/core/dist/index.js'));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const which = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'both';
const STEPS = Number(arg('steps', '3'));
const TOP = Number(arg('top', '25'));

const report = await initBackend();
const backendName = report.active;
const stats = new Map();
let enabled = false;
for (const config of tf.getKernelsForBackend(backendName)) {
  const inner = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, backendName);
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      if (!enabled) return inner(args);
      const t0 = performance.now();
      const out = inner(args);
      record(config.kernelName, performance.now() - t0);
      return out;
    },
  });
}

function record(name, dt) {
  let s = stats.get(name);
  if (!s) stats.set(name, (s = { ms: 0, calls: 0 }));
  s.ms += dt;
  s.calls += 1;
}
// The fused ops (customGrad forward/backward calling the addon directly) are timed per addon call.
if (backendName === 'native') {
  const { addon } = loadNativeAddon();
  for (const k of ['layerNorm', 'layerNormGrad', 'gelu', 'geluGrad', 'xent', 'xentGrad', 'maskedSoftmax', 'maskedSoftmaxGrad', 'causalAttention', 'causalAttentionGrad', 'sumSquares', 'adamw', 'adam', 'lstm', 'lstmGrad']) {
    const f = addon[k];
    if (typeof f !== 'function') continue;
    addon[k] = (...a) => {
      if (!enabled) return f.apply(addon, a);
      const t0 = performance.now();
      const r = f.apply(addon, a);
      record(`fused ${k}`, performance.now() - t0);
      return r;
    };
  }
}

async function profile(label, step) {
  step(); // warm-up (allocations, moments)
  step();
  stats.clear();
  enabled = true;
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  const total = (performance.now() - t0) / STEPS;
  enabled = false;
  const rows = [...stats.entries()].map(([k, s]) => ({ k, ms: s.ms / STEPS, calls: s.calls / STEPS })).sort((a, b) => b.ms - a.ms);
  const inKernels = rows.reduce((a, r) => a + r.ms, 0);
  const calls = rows.reduce((a, r) => a + r.calls, 0);
  console.log(`\n${label} on '${backendName}': ${total.toFixed(0)} ms/step, ${inKernels.toFixed(0)} ms in ${calls.toFixed(0)} kernel/addon calls, ${(total - inKernels).toFixed(0)} ms outside kernels (${(100 * (total - inKernels) / total).toFixed(0)}%)`);
  console.log('kernel                     ms/step   %step   calls/step');
  for (const r of rows.slice(0, TOP)) console.log(`${r.k.padEnd(24)} ${r.ms.toFixed(1).padStart(9)} ${(100 * r.ms / total).toFixed(1).padStart(7)} ${r.calls.toFixed(0).padStart(10)}`);
  console.log(JSON.stringify({ label, backend: backendName, msPerStep: total, inKernels, calls, kernels: rows }));
}

if (which === 'gpt' || which === 'both') {
  const w = await gptWorkload(root);
  await profile(`GPT 6×256 ctx ${w.T} batch ${w.B} train step`, w.step);
  w.dispose();
}
if (which === 'lstm' || which === 'both') {
  const w = await lstmWorkload(root);
  await profile(`LSTM classifier E${w.E} H${w.H} T${w.T} batch ${w.B} train step`, w.step);
  w.dispose();
}
