// Generation speed through @llm/quant's LlamaCppModel (the LanguageModel API: `generate`, which
// streams, detokenizes and checks stop conditions per token) against bare node-llama-cpp on the
// same GGUF in the same process: tokenize, `sequence.evaluate` greedy, detokenize once. Same
// threads, same context size, F16 KV cache, flash attention off on both. Each repetition runs both,
// alternating which goes first; prints the medians of wall-clock tokens/s and of CPU time per token
// (process user+system, all threads — less sensitive to other jobs on a shared machine), the best
// wall-clock tokens/s of each, and the ratios ours/bare.
//
//   pnpm --filter @llm/core --filter @llm/quant build
//   node benchmarks/quant/generation.mjs [--model FILE.gguf] [--tokens 96] [--reps 7] [--threads 1]
//
// Without --model it writes the tiny seeded LLaMA (hidden 256, 2 layers) as Q4_0: the smallest
// per-token compute, so any per-token cost of the wrapper shows most.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '../../packages/quant');
const require = createRequire(join(pkg, 'package.json'));
const q = await import(join(pkg, 'dist/index.js'));
const { getLlama, LlamaLogLevel } = await import(require.resolve('node-llama-cpp'));

const argv = process.argv;
const opt = (name, def) => { const i = argv.indexOf(`--${name}`); return i > 0 ? argv[i + 1] : def; };
const TOK = Number(opt('tokens', 96));
const REPS = Number(opt('reps', 7));
const THREADS = Number(opt('threads', 1));
const PROMPT = opt('prompt', 'It is a truth universally acknowledged');
let file = opt('model', undefined);
if (!file) {
  const dir = mkdtempSync(join(tmpdir(), 'quant-gen-'));
  await q.writeTinyLlama(join(dir, 'tiny'), { contextLength: 512 });
  file = join(dir, 'tiny-q4_0.gguf');
  await q.convertHfLlama(join(dir, 'tiny'), file, { type: 'Q4_0' });
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const ours = await q.loadGGUF(file, { threads: THREADS });
const ctxSize = ours.contextLength;
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
const ctx = await model.createContext({ contextSize: ctxSize, threads: THREADS, flashAttention: false });
const seq = ctx.getSequence();
const promptTokens = ours.tokenize(PROMPT).length;
const maxTok = Math.min(TOK, ctxSize - 1 - promptTokens - 1);

async function runOurs() {
  const r = await ours.generate(PROMPT, { maxTokens: maxTok, temperature: 0 });
  return { tokens: r.tokens.length, text: r.text };
}
async function runBare() {
  await seq.clearHistory();
  const ids = model.tokenize(PROMPT);
  if (model.tokens.bos !== null) ids.unshift(model.tokens.bos);
  const out = [];
  for await (const t of seq.evaluate(ids, { temperature: 0 })) {
    if (t === model.tokens.eos) break;
    out.push(t);
    if (out.length >= maxTok) break;
  }
  const text = model.detokenize(out);
  await seq.clearHistory();
  return { tokens: out.length, text };
}
async function measure(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { ...r, tps: r.tokens / wall, cpuMsPerToken: (c.user + c.system) / 1000 / r.tokens };
}

// Warm-up, and a check that both produce the same greedy text.
const w1 = await measure(runOurs), w2 = await measure(runBare);
if (w1.text !== w2.text) console.log(`note: texts differ\n ours: ${JSON.stringify(w1.text)}\n bare: ${JSON.stringify(w2.text)}`);
const o = [], b = [];
for (let r = 0; r < REPS; r++) {
  if (r % 2 === 0) { o.push(await measure(runOurs)); b.push(await measure(runBare)); }
  else { b.push(await measure(runBare)); o.push(await measure(runOurs)); }
}
await ours.dispose(); await ctx.dispose(); await model.dispose();
const mo = median(o.map((x) => x.tps)), mb = median(b.map((x) => x.tps));
const co = median(o.map((x) => x.cpuMsPerToken)), cb = median(b.map((x) => x.cpuMsPerToken));
console.log(`${file}: ${w1.tokens} greedy tokens after a ${promptTokens}-token prompt, ${THREADS} thread(s), context ${ctxSize}, median of ${REPS}`);
console.log('| | ours (LlamaCppModel.generate) | bare node-llama-cpp | ours/bare |');
console.log('|---|---|---|---|');
console.log(`| tokens/s (wall) | ${mo.toFixed(1)} | ${mb.toFixed(1)} | ${(mo / mb).toFixed(3)} |`);
console.log(`| CPU ms/token | ${co.toFixed(3)} | ${cb.toFixed(3)} | ${(co / cb).toFixed(3)} |`);
const bo = Math.max(...o.map((x) => x.tps)), bb = Math.max(...b.map((x) => x.tps));
console.log(`| best tokens/s (wall) | ${bo.toFixed(1)} | ${bb.toFixed(1)} | ${(bo / bb).toFixed(3)} |`);
console.log(`per-rep tokens/s ours: ${o.map((x) => x.tps.toFixed(0)).join(' ')}; bare: ${b.map((x) => x.tps.toFixed(0)).join(' ')}`);
console.log(JSON.stringify({ tokensPerSecond: { ours: mo, bare: mb, ratio: mo / mb }, bestTokensPerSecond: { ours: bo, bare: bb, ratio: bo / bb }, cpuMsPerToken: { ours: co, bare: cb, ratio: co / cb }, threads: THREADS, tokens: w1.tokens }));
