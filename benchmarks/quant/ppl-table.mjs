// The per-quant-type perplexity table (what `llm quant ppl --types …` prints) as a Markdown table,
// for an HF folder (default: the tiny seeded LLaMA — random weights, so only the KL column means
// much; pass a trained model, e.g. the Austen GPT, with --model) on a text file (default: the
// held-out Austen text written by austen-heldout.mjs).
//
//   pnpm --filter @llm/core --filter @llm/quant build
//   node benchmarks/quant/ppl-table.mjs [--model DIR] [--text FILE] [--tokens 1024] [--threads 1]
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
const opt = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
let model = opt('model', undefined);
if (!model) {
  model = join(mkdtempSync(join(tmpdir(), 'quant-ppl-')), 'tiny');
  await q.writeTinyLlama(model);
}
const textFile = opt('text', undefined);
// Without --text: the last 400 lines of Sense and Sensibility (the end of the bundled corpus, inside the held-out split).
const text = textFile ? await core.readText(textFile) : (await core.loadText('austen', 'sensesensibility')).split('\n').slice(-400).join('\n');
const types = ['F16', 'Q8_0', 'Q6_K', 'Q5_K', 'Q5_1', 'Q5_0', 'Q4_K_M', 'Q4_K', 'Q4_1', 'Q4_0', 'Q3_K', 'Q2_K'];
const t = await q.perplexityTable(model, text, types, { maxTokens: Number(opt('tokens', 1024)), threads: Number(opt('threads', 1)) });
console.log(`${model} (${t.architecture}): ${t.tokens} tokens in ${t.windows} windows of ${t.window}; float forward pass ppl ${t.floatPpl.toFixed(3)}; max |p(llama.cpp F32) − p(ours)| = ${t.f32MaxAbsDiff.toExponential(2)}`);
console.log('| type | file MB | bits/weight | ppl | Δppl vs F32 | mean KL vs F32 | same top-1 | tensors |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of t.rows) {
  const tensors = Object.entries(r.tensorTypes).map(([k, v]) => `${v}×${k}`).join(' ');
  console.log(`| ${r.type} | ${(r.fileBytes / 1e6).toFixed(3)} | ${r.bitsPerWeight.toFixed(2)} | ${r.ppl.toFixed(3)} | ${(r.deltaPpl >= 0 ? '+' : '') + r.deltaPpl.toFixed(4)} | ${r.meanKl.toExponential(2)} | ${(100 * r.sameTop).toFixed(1)}% | ${tensors} |`);
}
