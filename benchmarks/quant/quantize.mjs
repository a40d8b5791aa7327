// Quantize throughput (MB of float32 input per second) of @llm/quant's ggml quantizers against
// llama.cpp's own C reference quantizers (libggml-base.so from node-llama-cpp, via ctypes) and a
// vectorized NumPy Q8_0/Q4_0, on the same 4M seeded floats, in the same run; plus dequantize
// throughput and NF4 (double-quantized) for reference. Then greedy generation tokens/s of the
// tiny LLaMA Q4_0 GGUF through our LlamaCppModel wrapper against bare node-llama-cpp (2 threads).
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
const { getLlama, LlamaLogLevel } = await import(require.resolve('node-llama-cpp'));

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def; };
const N = arg('n', 1 << 22);
const RUNS = arg('runs', 5);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const time = (fn) => { const t = []; for (let r = 0; r < RUNS; r++) { const t0 = performance.now(); fn(); t.push((performance.now() - t0) / 1000); } return median(t); };

const rng = new core.Rng(1);
const x = Float32Array.from({ length: N }, () => rng.normal(0, 0.02));
const dir = mkdtempSync(join(tmpdir(), 'quant-bench-'));
writeFileSync(join(dir, 'x.f32'), Buffer.from(x.buffer));
const peer = spawnSync('/usr/bin/python3', [join(here, 'quant_peer.py'), join(dir, 'x.f32'), String(RUNS)], { encoding: 'utf8' });
if (peer.status !== 0) { console.error(peer.stderr); process.exit(1); }
const p = JSON.parse(peer.stdout.trim().split('\n').pop());
const MB = (N * 4) / 1e6;
console.log(`input: ${N} float32 (${MB.toFixed(1)} MB), median of ${RUNS} runs; MB/s of float32 input`);
console.log('type   ours-quant  C-ref(ggml)  numpy   ours/C  ours-dequant');
for (const t of ['Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q4_K', 'Q5_K', 'Q6_K']) {
  let data;
  const tq = time(() => { data = q.quantizeGGML(t, x); });
  const td = time(() => q.dequantizeGGML(t, data, N));
  const c = p.c_ref[t], np_ = p.numpy[t];
  console.log(`${t.padEnd(6)} ${(MB / tq).toFixed(0).padStart(10)} ${(MB / c).toFixed(0).padStart(12)} ${np_ ? (MB / np_).toFixed(0).padStart(7) : '      -'} ${(c / tq).toFixed(2).padStart(7)} ${(MB / td).toFixed(0).padStart(13)}`);
}
const tn = time(() => q.quantize4bit(x, [N], { type: 'nf4', doubleQuant: true }));
console.log(`NF4+DQ ${(MB / tn).toFixed(0).padStart(10)}            -       -       -`);

// Generation: our wrapper vs bare node-llama-cpp on the same Q4_0 file, for 1 and 2 threads.
// (ggml's worker threads spin-wait on each other: on an oversubscribed machine 2 threads can be
// far slower than 1, so both are printed.)
await q.writeTinyLlama(join(dir, 'tiny'));
await q.convertHfLlama(join(dir, 'tiny'), join(dir, 'tiny.gguf'), { type: 'Q4_0' });
const TOK = 64;
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
for (const threads of [1, 2]) {
  const ours = [], bare = [];
  const m = await q.loadGGUF(join(dir, 'tiny.gguf'), { threads });
  const ids = [1, ...m.tokenize('It is a truth universally acknowledged')];
  const model = await llama.loadModel({ modelPath: join(dir, 'tiny.gguf'), gpuLayers: 0 });
  const ctx = await model.createContext({ contextSize: 512, threads });
  const seq = ctx.getSequence();
  for (let r = 0; r < RUNS; r++) {
    ours.push((await m.greedy(ids, TOK)).tokensPerSecond);
    await seq.clearHistory();
    let n = 0, t0 = 0;
    for await (const _ of seq.evaluate(ids, { temperature: 0 })) { if (n === 0) t0 = performance.now(); if (++n > TOK) break; }
    bare.push((n - 1) / ((performance.now() - t0) / 1000));
  }
  await m.dispose(); await ctx.dispose(); await model.dispose();
  const mo = median(ours), mb = median(bare);
  console.log(`generation, tiny LLaMA Q4_0, ${TOK} tokens, ${threads} thread(s): ours ${mo.toFixed(0)} tok/s, bare node-llama-cpp ${mb.toFixed(0)} tok/s, ratio ours/bare ${(mo / mb).toFixed(3)}`);
}
