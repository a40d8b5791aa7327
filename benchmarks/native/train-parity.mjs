#!/usr/bin/env node
/**
 * Training-step parity with PyTorch CPU, interleaved in one run (the machine is shared, so each
 * round times ours and then the peer, and the ratio is taken per round; the report gives the
 * median over rounds):
 *   gpt:  GPT-2 6 layers, d 256, 8 heads, ctx 128, vocab 8192, batch 16 — transformer's trainStep
 *         (AdamW, clip 1.0) vs torch (same model code as tools/golden/transformer, AdamW, clip);
 *   lstm: Embedding(5000,128) → LSTM(128→128) → Linear(128→2), batch 32 × 200 — tf.train.adam
 *         vs the model of benchmarks/seq/torch_lstm_step.py (inlined, to time CPU too).
 * Besides wall time, each side's CPU time per step (all its threads) is reported: on a loaded
 * machine it is the steadier measure of the work done (run with LLM_NATIVE_THREADS=1 and
 * --torch-threads 1 to compare single-thread efficiency).
 * PyTorch runs with 1 and 2 threads (torch.set_num_threads(n), OPENBLAS_NUM_THREADS=n) and as 1x2 (torch 1 thread,
 * OpenBLAS 2 threads: the fair 2-core peer for Debian's torch) (--torch-threads),
 * ours on the active backend (native: 2 threads). The ratio is our speed over torch's (>1: faster).
 *
 *   node benchmarks/native/train-parity.mjs [gpt|lstm|both] [--rounds 3] [--steps 2] [--root DIR] [--torch-threads 1,2,1x2]
 *
 * `--root` imports the built packages of another checkout (e.g. the tree before a change).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gptWorkload, lstmWorkload } from './workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const root = resolve(arg('root', join(here, '..', '..')));
const which = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'both';
const ROUNDS = Number(arg('rounds', '3'));
const STEPS = Number(arg('steps', '2'));
// Peer configurations: "n" = torch n threads with OpenBLAS n threads; "txb" = torch t threads with
// OpenBLAS b threads ("1x2" is the fair 2-core peer on Debian's torch, whose matmuls run in OpenBLAS).
const PEER_THREADS = arg('torch-threads', '1,2,1x2').split(',');
const torchThreads = (spec) => Number(String(spec).split('x')[0]);
const blasThreads = (spec) => Number(String(spec).split('x')[1] ?? String(spec).split('x')[0]);
const { initBackend } = await import(join(root, 'packages/core/dist/index.js'));
const report = await initBackend();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const torchEnv = (spec) => ({ ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads(spec)), OMP_NUM_THREADS: String(torchThreads(spec)), MKL_NUM_THREADS: String(blasThreads(spec)) });
const results = {};

/** Median wall ms and CPU ms (this process, all threads) per step. */
function timeSteps(step) {
  const ts = [];
  const cs = [];
  for (let i = 0; i < STEPS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    step();
    ts.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cs.push((c.user + c.system) / 1000);
  }
  return { wall: median(ts), cpu: median(cs) };
}

async function parity(name, oursStep, torchMs) {
  oursStep(); // warm-up
  const rows = [];
  for (let r = 0; r < ROUNDS; r++) {
    const o = timeSteps(oursStep);
    const row = { ours: o.wall, oursCpu: o.cpu };
    for (const n of PEER_THREADS) {
      const t = torchMs(n);
      row[`torch${n}`] = t.wall;
      row[`torch${n}Cpu`] = t.cpu;
      row[`ratio${n}`] = t.wall / o.wall;
      row[`cpuRatio${n}`] = t.cpu / o.cpu;
    }
    rows.push(row);
    console.error(`${name} round ${r + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v.toFixed(2))])))}`);
  }
  const out = { oursMs: median(rows.map((x) => x.ours)), oursCpuMs: median(rows.map((x) => x.oursCpu)), rounds: rows };
  for (const n of PEER_THREADS) {
    out[`torch${n}Ms`] = median(rows.map((x) => x[`torch${n}`]));
    out[`ratio${n}`] = median(rows.map((x) => x[`ratio${n}`]));
    out[`cpuRatio${n}`] = median(rows.map((x) => x[`cpuRatio${n}`]));
  }
  results[name] = out;
}

if (which === 'gpt' || which === 'both') {
  const w = await gptWorkload(root);
  const { B, T } = w;
  const py = `
import sys, time, json, torch
sys.dont_write_bytecode = True
sys.path.insert(0, ${JSON.stringify(join(here, '..', '..', 'tools/golden/transformer'))})
import make_fixtures as mf
torch.set_num_threads(int(sys.argv[1]))
c = {"vocab_size": 8192, "n_positions": 128, "n_embd": 256, "n_layer": 6, "n_head": 8, "n_inner": 1024, "layer_norm_epsilon": 1e-5}
torch.manual_seed(0)
m = mf.GPT2LMHeadModel(c)
opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
tr, cpu = [], []
for r in range(${STEPS} + 1):
    ids = torch.randint(0, 8192, (${B}, ${T} + 1)); t0 = time.perf_counter(); c0 = time.process_time()
    _, logits = m(ids[:, :-1]); loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 8192), ids[:, 1:].reshape(-1))
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    if r: tr.append((time.perf_counter() - t0) * 1000); cpu.append((time.process_time() - c0) * 1000)
print(json.dumps({"median_ms": sorted(tr)[len(tr)//2], "cpu_ms": sorted(cpu)[len(cpu)//2], "threads": torch.get_num_threads(), "torch": torch.__version__}))
`;
  await parity('gpt', w.step, (n) => {
    const r = spawnSync('/usr/bin/python3', ['-c', py, String(torchThreads(n))], { encoding: 'utf8', env: torchEnv(n) });
    if (r.status !== 0) throw new Error(`torch GPT peer failed: ${r.stderr.slice(-400)}`);
    const j = JSON.parse(r.stdout.trim().split('\n').pop());
    return { wall: j.median_ms, cpu: j.cpu_ms };
  });
  results.gpt.tokensPerStep = B * T;
  w.dispose();
}

if (which === 'lstm' || which === 'both') {
  const w = await lstmWorkload(root);
  const { V, E, H, T, B } = w;
  // The model of benchmarks/seq/torch_lstm_step.py, timed with wall and CPU time.
  const lstmPy = `
import sys, time, json, torch
import torch.nn as nn
torch.set_num_threads(int(sys.argv[1])); torch.manual_seed(0)
class C(nn.Module):
    def __init__(self):
        super().__init__(); self.embedding = nn.Embedding(${V}, ${E}, padding_idx=0); self.rnn = nn.LSTM(${E}, ${H}, batch_first=True); self.fc = nn.Linear(${H}, 2)
    def forward(self, ids):
        _, (h, _) = self.rnn(self.embedding(ids)); return self.fc(h[-1])
m = C(); opt = torch.optim.Adam(m.parameters(), lr=1e-3); lf = nn.CrossEntropyLoss()
ids = torch.randint(1, ${V}, (${B}, ${T})); y = torch.randint(0, 2, (${B},))
tr, cpu = [], []
for r in range(${Math.max(STEPS, 3)} + 2):
    t0 = time.perf_counter(); c0 = time.process_time()
    opt.zero_grad(); loss = lf(m(ids), y); loss.backward(); opt.step()
    if r >= 2: tr.append((time.perf_counter() - t0) * 1000); cpu.append((time.process_time() - c0) * 1000)
print(json.dumps({"median_ms": sorted(tr)[len(tr)//2], "cpu_ms": sorted(cpu)[len(cpu)//2], "torch": torch.__version__}))
`;
  await parity('lstm', w.step, (n) => {
    const r = spawnSync('/usr/bin/python3', ['-c', lstmPy, String(torchThreads(n))], { encoding: 'utf8', env: torchEnv(n) });
    if (r.status !== 0) throw new Error(`torch LSTM peer failed: ${r.stderr.slice(-400)}`);
    const j = JSON.parse(r.stdout.trim().split('\n').pop());
    return { wall: j.median_ms, cpu: j.cpu_ms };
  });
  results.lstm.examplesPerStep = B;
  w.dispose();
}

console.log(`backend '${report.active}' (${root}); PyTorch CPU with ${PEER_THREADS.join(' and ')} thread(s); medians over ${ROUNDS} interleaved rounds of ${STEPS} steps`);
for (const [k, r] of Object.entries(results)) {
  const peers = PEER_THREADS.map((n) => `torch ${n.includes('x') ? `${torchThreads(n)}T+BLAS${blasThreads(n)}` : `${n}T`} ${r[`torch${n}Ms`].toFixed(0).padStart(6)} ms (ours speed ×${r[`ratio${n}`].toFixed(2)}, CPU-time ratio ×${r[`cpuRatio${n}`].toFixed(2)})`).join('   ');
  console.log(`${k.padEnd(5)} ours ${r.oursMs.toFixed(0).padStart(6)} ms/step (${r.oursCpuMs.toFixed(0)} CPU ms)   ${peers}`);
}
console.log(JSON.stringify({ backend: report.active, root, rounds: ROUNDS, steps: STEPS, results }));
