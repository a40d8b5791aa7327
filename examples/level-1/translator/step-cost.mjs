#!/usr/bin/env node
// CPU cost of one training step of the translator (default settings unless given): trains for A
// and for B steps and divides the difference in process CPU time by B − A, which cancels the BPE
// and data loading. CPU seconds hardly depend on how loaded the machine is; wall time does. On an
// idle 2-core machine the native kernels keep both cores busy, so wall ≈ CPU / 2.
//
//   node examples/level-1/translator/step-cost.mjs [A=10] [B=50] [--vocab 2000] [--d-model 128]
import { loadavg } from 'node:os';
import { initBackend, tf } from '../../../packages/core/dist/index.js';
import { trainTranslator } from '../../../packages/transformer/dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const [a, b] = args.filter((x, i) => !x.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--'))).map(Number);
const A = a || 10;
const B = b || 50;
await initBackend();
const settings = { vocabSize: opt('--vocab', 2000), dModel: opt('--d-model', 128), dFf: opt('--d-ff', 512), layers: opt('--layers', 2), evalEvery: 1e9, evalPairs: 8 };
const load0 = loadavg()[0];
const cpu = async (steps) => {
  const c0 = process.cpuUsage();
  const t = await trainTranslator({ ...settings, steps });
  t.model.dispose();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};
const ca = await cpu(A);
const cb = await cpu(B);
const perStep = (cb - ca) / (B - A);
console.log(`backend ${tf.getBackend()}; ${A} steps ${ca.toFixed(1)} CPU s, ${B} steps ${cb.toFixed(1)} CPU s → ${perStep.toFixed(3)} CPU s per step; 1500 steps ≈ ${(1500 * perStep / 2 / 60).toFixed(1)} min on an idle 2-core machine; load ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
console.log(JSON.stringify({ backend: tf.getBackend(), settings, cpuPerStep: +perStep.toFixed(4), stepsA: A, cpuA: +ca.toFixed(1), stepsB: B, cpuB: +cb.toFixed(1) }));
