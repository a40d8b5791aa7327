// Level 3, quantization: make a small LLaMA-architecture checkpoint in HF layout, see what
// int8 / NF4 / ggml k-quants do to one of its weight matrices, convert the whole model to GGUF in
// several types with @llm/quant's own quantizers, and run each file in llama.cpp (node-llama-cpp),
// checking llama.cpp's next-token probabilities against a TypeScript forward pass.
//
// With --model DIR (a trained HF-layout LLaMA, e.g. the Austen GPT of examples/level-2/gpt-austen)
// it uses that checkpoint instead, and with --text FILE it ends with the perplexity table per quant
// type (what `llm quant ppl --types` prints).
//
//   pnpm --filter @llm/core --filter @llm/quant build
//   node examples/level-3/quantize-gguf/quantize-gguf.mjs [--out DIR] [--threads 2] [--model DIR --text FILE]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const q = await import(join(here, '../../../packages/quant/dist/index.js'));
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const out = arg('out', mkdtempSync(join(tmpdir(), 'quantize-gguf-')));
const threads = Number(arg('threads', '2'));

// 1. A checkpoint in the layout PyTorch/transformers write: config.json, model.safetensors, tokenizer.json.
const given = arg('model', undefined);
const model = given ?? join(out, 'tiny-llama');
const { config, weights } = given
  ? { config: await q.readHfLlamaConfig(given), weights: await q.readHfWeights(given) }
  : await q.writeTinyLlama(model);
console.log(`checkpoint: ${model} (hidden ${config.hidden_size}, ${config.num_hidden_layers} layers, ${config.num_key_value_heads} KV heads, vocab ${config.vocab_size})`);

// 2. One matrix, many quantizers: bits per weight against error.
const name = 'model.layers.0.mlp.up_proj.weight';
const w = weights.get(name);
const shape = [config.intermediate_size, config.hidden_size];
console.log(`\n${name} [${shape.join('x')}]`);
console.log('type        bits/w   rel.err   SQNR dB');
for (const type of ['int8', 'int8-zp', 'int8-block', 'q8_0', 'q6_k', 'q5_k', 'q4_k', 'q4_0', 'nf4', 'nf4-nodq', 'fp4']) {
  const { restored, bytes } = q.roundTrip(w, shape, type);
  const s = q.errorStats(w, restored, bytes);
  console.log(`${type.padEnd(10)} ${s.bitsPerElement.toFixed(3).padStart(7)} ${(100 * s.relativeError).toFixed(3).padStart(8)}% ${s.sqnrDb.toFixed(2).padStart(8)}`);
}

// 3. Whole-model GGUF files, run by llama.cpp.
console.log('\ntype      MB    bits/w   max|p_llama.cpp - p_ours|   greedy tok/s');
for (const type of ['F32', 'F16', 'Q8_0', 'Q4_0', 'Q4_K_M']) {
  const file = join(out, `model-${type.toLowerCase()}.gguf`);
  const rep = await q.convertHfLlama(model, file, { type });
  const m = await q.loadGGUF(file, { threads, kvCacheType: 'F32' });
  const ids = [m.bos ?? 1, ...m.tokenize('It is a truth universally acknowledged')];
  const got = await m.probabilities(ids);
  const f = await q.GGUFFile.open(file);
  const ref = q.llamaForward(config, await q.weightsFromGGUF(f, config), ids).map(q.softmax);
  await f.close();
  let d = 0;
  for (let i = 0; i < ids.length; i++) for (let v = 0; v < config.vocab_size; v++) d = Math.max(d, Math.abs(got[i][v] - ref[i][v]));
  const g = await m.greedy(ids, 32);
  console.log(`${type.padEnd(7)} ${(rep.bytes / 1e6).toFixed(2).padStart(5)} ${rep.bitsPerWeight.toFixed(2).padStart(8)} ${d.toExponential(2).padStart(22)} ${g.tokensPerSecond.toFixed(0).padStart(14)}`);
  await m.dispose();
}

// 4. The perplexity table llama.cpp prints for its quant types, on held-out text.
const text = arg('text', undefined);
if (text) {
  const { readText } = await import(join(here, '../../../packages/core/dist/index.js'));
  const types = ['F16', 'Q8_0', 'Q6_K', 'Q5_K', 'Q5_1', 'Q5_0', 'Q4_K_M', 'Q4_K', 'Q4_1', 'Q4_0', 'Q3_K', 'Q2_K'];
  const t = await q.perplexityTable(model, await readText(text), types, { maxTokens: Number(arg('tokens', '4096')), threads });
  console.log(`\n${t.tokens} tokens of ${text} in ${t.windows} windows of ${t.window}; float weights (our forward pass): ppl ${t.floatPpl.toFixed(3)}; max |p(llama.cpp F32) - p(ours)| = ${t.f32MaxAbsDiff.toExponential(2)}`);
  console.log('type      file MB  bits/w      ppl   Δppl vs F32   mean KL');
  for (const r of t.rows) console.log(`${r.type.padEnd(7)} ${(r.fileBytes / 1e6).toFixed(3).padStart(8)} ${r.bitsPerWeight.toFixed(2).padStart(7)} ${r.ppl.toFixed(3).padStart(8)} ${((r.deltaPpl >= 0 ? '+' : '') + r.deltaPpl.toFixed(4)).padStart(12)} ${r.meanKl.toExponential(2).padStart(9)}`);
}
console.log(`\nfiles in ${out}; inspect one with: llm quant inspect ${join(out, 'model-q4_0.gguf')}`);
