// The table llama.cpp prints for its quant types (size, bits per weight, perplexity change), for
// our GGUF files: the tiny seeded LLaMA (hidden 256, 2 layers; random weights, so the absolute
// perplexity is that of an untrained model — what matters is how far each quant type moves it
// from F32) converted to every type and scored by llama.cpp on held-out Austen text, plus the mean
// KL divergence of each type's next-token distribution from F32's.
//
//   pnpm --filter @llm/core --filter @llm/quant build
//   node benchmarks/quant/ppl-table.mjs [--tokens 256] [--threads 1]
import { mkdtempSync } from 'node:fs';
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
const TOKENS = arg('tokens', 256);
const THREADS = arg('threads', 1);

const dir = mkdtempSync(join(tmpdir(), 'quant-ppl-'));
await q.writeTinyLlama(join(dir, 'tiny'));
// Held-out text: the last part of Persuasion (bundled Austen corpus).
const text = (await core.loadText('austen', 'persuasion')).split('\n').slice(-400).join(' ');
let base;
const rows = [];
for (const type of ['F32', 'F16', 'Q8_0', 'Q6_K', 'Q5_K', 'Q5_1', 'Q5_0', 'Q4_K_M', 'Q4_K', 'Q4_1', 'Q4_0']) {
  const file = join(dir, `tiny-${type}.gguf`);
  const rep = await q.convertHfLlama(join(dir, 'tiny'), file, { type });
  const m = await q.loadGGUF(file, { threads: THREADS, kvCacheType: 'F32' });
  const ids = [m.bos ?? 1, ...m.tokenize(text).slice(0, TOKENS)];
  const probs = await m.probabilities(ids);
  await m.dispose();
  let nll = 0;
  for (let i = 0; i + 1 < ids.length; i++) nll -= Math.log(Math.max(probs[i][ids[i + 1]], 1e-30));
  const ppl = Math.exp(nll / (ids.length - 1));
  let kl = 0;
  if (!base) base = probs;
  for (let i = 0; i + 1 < ids.length; i++) for (let v = 0; v < base[i].length; v++) if (base[i][v] > 0) kl += base[i][v] * Math.log(base[i][v] / Math.max(probs[i][v], 1e-30));
  rows.push({ type, MB: rep.bytes / 1e6, bpw: rep.bitsPerWeight, ppl, kl: kl / (ids.length - 1) });
}
const f32 = rows[0].ppl;
console.log(`tiny LLaMA (random weights), ${TOKENS} tokens of held-out Austen, llama.cpp ${THREADS} thread(s)`);
console.log('| type | MB | bits/weight | ppl | Δppl vs F32 | mean KL vs F32 |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.type} | ${r.MB.toFixed(3)} | ${r.bpw.toFixed(3)} | ${r.ppl.toFixed(3)} | ${(r.ppl - f32 >= 0 ? '+' : '') + (r.ppl - f32).toFixed(4)} | ${r.kl.toExponential(2)} |`);
