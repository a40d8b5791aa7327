// How closely llama.cpp (node-llama-cpp) reproduces our prediction for each GGUF type: the tiny
// seeded LLaMA converted to every type, next-token probabilities at every position of a prompt,
// max |Δp| against (1) the float model, (2) our forward pass on the weights dequantized from the
// file, (3) the same with activations rounded as llama.cpp's CPU kernels do (Q8_0/Q8_K/F16).
//
//   pnpm --filter @llm/core --filter @llm/quant build
//   node benchmarks/quant/agreement.mjs [--threads 1]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const q = await import(join(here, '../../packages/quant/dist/index.js'));
const i = process.argv.indexOf('--threads');
const threads = i > 0 ? Number(process.argv[i + 1]) : 1;
const dir = mkdtempSync(join(tmpdir(), 'quant-agree-'));
const { config, weights } = await q.writeTinyLlama(dir);
const maxDiff = (a, b) => { let d = 0; for (let k = 0; k < a.length; k++) for (let v = 0; v < a[k].length; v++) d = Math.max(d, Math.abs(a[k][v] - b[k][v])); return d; };
console.log('| type | bits/weight | vs float model | vs weights | vs weights + activations |');
console.log('|---|---|---|---|---|');
for (const type of ['F32', 'F16', 'BF16', 'Q8_0', 'Q6_K', 'Q5_K', 'Q5_1', 'Q5_0', 'Q4_K_M', 'Q4_K', 'Q4_1', 'Q4_0']) {
  const file = join(dir, `tiny-${type}.gguf`);
  const rep = await q.convertHfLlama(dir, file, { type });
  const m = await q.loadGGUF(file, { threads, kvCacheType: 'F32' });
  const ids = [1, ...m.tokenize('the cat was in the house and she said it is on the mat')];
  const got = await m.probabilities(ids);
  await m.dispose();
  const f = await q.GGUFFile.open(file);
  const types = new Map();
  const deq = await q.weightsFromGGUF(f, config, types);
  await f.close();
  const a = maxDiff(got, q.llamaForward(config, weights, ids).map(q.softmax));
  const b = maxDiff(got, q.llamaForward(config, deq, ids).map(q.softmax));
  const c = maxDiff(got, q.llamaForward(config, deq, ids, types).map(q.softmax));
  console.log(`| ${type} | ${rep.bitsPerWeight.toFixed(2)} | ${a.toExponential(1)} | ${b.toExponential(1)} | ${c.toExponential(1)} |`);
}
