// Run by tools/device/quant-cuda.sh: node tools/device/quant-cuda.mjs OUT_DIR
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
const out = process.argv[2];
const here = fileURLToPath(new URL('.', import.meta.url));
const q = await import(join(here, '../../packages/quant/dist/index.js'));
const model = join(out, 'tiny-llama');
// A bigger random LLaMA than the tests' so the GPU has work to do (hidden 768, 6 layers, ~43M params).
const small = process.env.QUANT_CUDA_SMALL === '1';
await q.writeTinyLlama(model, small ? {} : { hiddenSize: 768, intermediateSize: 2048, layers: 6, heads: 12, kvHeads: 4, contextLength: 1024 });
const file = join(out, 'tiny-q4_k.gguf');
const rep = await q.convertHfLlama(model, file, { type: 'Q4_K' });
const result = { file, bytes: rep.bytes, bitsPerWeight: rep.bitsPerWeight, runs: [] };
for (const [label, opts] of [['cpu', { threads: 2 }], ['cuda', { threads: 2, gpu: 'cuda', gpuLayers: 'max' }], ['auto', { threads: 2, gpu: 'auto', gpuLayers: 'auto' }]]) {
  try {
    const t0 = performance.now();
    const m = await q.loadGGUF(file, opts);
    const loadS = (performance.now() - t0) / 1000;
    const ids = [1, ...m.tokenize('It is a truth universally acknowledged')];
    await m.greedy(ids, 8); // warm-up
    const speeds = [];
    for (let r = 0; r < 3; r++) speeds.push((await m.greedy(ids, 128)).tokensPerSecond);
    speeds.sort((a, b) => a - b);
    result.runs.push({ label, backend: m.gpu, gpuLayers: m.gpuLayers, loadSeconds: loadS, tokensPerSecond: speeds[1], perRep: speeds });
    await m.dispose();
  } catch (err) {
    result.runs.push({ label, error: String(err && err.message || err) });
  }
}
writeFileSync(join(out, 'quant-cuda.json'), JSON.stringify(result, null, 2));
console.log(JSON.stringify(result));
