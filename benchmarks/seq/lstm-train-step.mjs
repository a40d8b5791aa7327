#!/usr/bin/env node
/**
 * Training throughput of the same classifier here and in PyTorch, in the same run:
 * Embedding(5000, 128) → LSTM(128 → 128) → Linear(128 → 2), batch 32 × 200 tokens, one Adam step
 * (forward, backward, update). Ours runs on @llm/core's backend (wasm here, one thread); the
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
import { initBackend, tf, formatTable, Rng } from '../../packages/core/dist/index.js';
import { RecurrentClassifier, WordTokenizer, weightedCrossEntropy, clipGradNorm } from '../../packages/seq/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const STEPS = Number(arg('steps', '5'));
const WARMUP = 2;
const V = 5000, E = 128, H = 128, T = 200, B = 32;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const report = await initBackend();
const words = ['[PAD]', '[UNK]', ...Array.from({ length: V - 2 }, (_, i) => `w${i}`)];
const tok = new WordTokenizer(words);
const model = RecurrentClassifier.create({ labels: ['a', 'b'], cell: 'lstm', embeddingDim: E, hiddenSize: H, pooling: 'last', maxLength: T, dropout: 0 }, tok, { seed: 0 });
const rng = new Rng(1);
const ids = new Int32Array(B * T).map(() => 1 + rng.int(V - 1));
const batch = { ids, lengths: new Array(B).fill(T), width: T };
const y = Int32Array.from({ length: B }, () => rng.int(2));
const vars = model.namedParameters().map(([, v]) => v);
const opt = tf.train.adam(1e-3);
const times = [];
for (let i = 0; i < WARMUP + STEPS; i++) {
  const t0 = performance.now();
  const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(model.logits(batch), y), vars);
  opt.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
  const dt = performance.now() - t0;
  if (i >= WARMUP) times.push(dt);
}
void clipGradNorm;
const ours = median(times);
const rows = [[`@llm/seq (${report.active})`, 1, ours.toFixed(0), (B / (ours / 1000)).toFixed(1), '1.00']];
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
