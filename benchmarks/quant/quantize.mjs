// Quantize throughput (MB of float32 input per second) of @llm/quant's ggml quantizers against
// llama.cpp's own C reference quantizers (libggml-base.so from node-llama-cpp, via ctypes) and a
// vectorized NumPy Q8_0/Q4_0, on the same 4M seeded floats, in the same run; plus dequantize
// throughput and NF4 (double-quantized) for reference. (Generation speed: generation.mjs.)
//
//   pnpm --filter @llm/core --filter @llm/quant build
//   node benchmarks/quant/quantize.mjs [--n 4194304] [--runs 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '../../packages/quant');
const require = createRequire(join(pkg, 'package.json'));
const core = await import(require.resolve('@llm/core'));
const q = await import(join(pkg, 'dist/index.js'));

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const N = arg('n', 1 << 22);
const RUNS = arg('runs', 5);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
// CPU seconds of this process (user + system), not wall time: on a machine shared by many jobs the
// wall clock mostly measures the queue; the peer (quant_peer.py) uses time.process_time() likewise.
const time = (fn) => { const t = []; fn(); for (let r = 0; r < RUNS; r++) { const t0 = process.cpuUsage(); fn(); const d = process.cpuUsage(t0); t.push((d.user + d.system) / 1e6); } return median(t); };

const rng = new core.Rng(1);
const x = Float32Array.from({ length: N }, () => rng.normal(0, 0.02));
const dir = mkdtempSync(join(tmpdir(), 'quant-bench-'));
writeFileSync(join(dir, 'x.f32'), Buffer.from(x.buffer));
const peer = spawnSync('/usr/bin/python3', [join(here, 'quant_peer.py'), join(dir, 'x.f32'), String(RUNS)], { encoding: 'utf8' });
if (peer.status !== 0) { console.error(peer.stderr); process.exit(1); }
const p = JSON.parse(peer.stdout.trim().split('\n').pop());
const MB = (N * 4) / 1e6;
console.log(`input: ${N} float32 (${MB.toFixed(1)} MB), median of ${RUNS} runs; MB of float32 input per CPU second`);
console.log('| type | ours quantize | C reference (libggml-base) | NumPy | ours/C | ours dequantize |');
console.log('|---|---|---|---|---|---|');
const f = (v) => (v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
for (const t of ['F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K']) {
  let data;
  const tq = time(() => { data = q.quantizeGGML(t, x); });
  const td = time(() => q.dequantizeGGML(t, data, N));
  const c = p.c_ref[t], np_ = p.numpy[t];
  console.log(`| ${t} | ${f(MB / tq)} | ${f(c && MB / c)} | ${f(np_ && MB / np_)} | ${c ? (c / tq).toFixed(2) : '–'} | ${f(MB / td)} |`);
}
let nf4;
const tn = time(() => { nf4 = q.quantize4bit(x, [N], { type: 'nf4', doubleQuant: true }); });
const tnd = time(() => q.dequantize4bit(nf4));
console.log(`| NF4 + double quant | ${f(MB / tn)} | – | – | – | ${f(MB / tnd)} |`);
