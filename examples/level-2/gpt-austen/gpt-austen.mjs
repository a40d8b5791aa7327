#!/usr/bin/env node
// Level 2 — a small GPT (LLaMA architecture) trained from scratch on the six Austen novels,
// character-level or BPE. Prints the validation perplexity curve and samples, and saves the
// model in HF layout (config.json, model.safetensors, tokenizer.json, lm.json, loss.svg) at
// artifacts/gpt-austen (char) or artifacts/gpt-austen-bpe (bpe). LLaMA so that @llm/quant
// can write a GGUF of it and @llm/lora can fine-tune it.
//
//   pnpm --filter @llm/core --filter @llm/tokenize --filter @llm/transformer build
//   node examples/level-2/gpt-austen/gpt-austen.mjs [--tokenizer char|bpe] [--steps 100] [--out DIR]
import { join } from 'node:path';
import { initBackend } from '../../../packages/core/dist/index.js';
import { sampleText, saveAustenGpt, trainAustenGpt } from '../../../packages/transformer/dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const num = (name, dflt) => Number(opt(name, String(dflt)));
const kind = opt('--tokenizer', 'char');
const outDir = opt('--out', join(process.cwd(), 'artifacts', kind === 'char' ? 'gpt-austen' : 'gpt-austen-bpe'));

await initBackend();
const g = await trainAustenGpt({
  tokenizer: kind, vocabSize: num('--vocab', 2000), context: num('--context', kind === 'char' ? 128 : 64), hiddenSize: num('--hidden', 128), layers: num('--layers', 3),
  heads: num('--heads', 4), steps: num('--steps', 100), batchSize: num('--batch', 16), lr: num('--lr', 3e-3), seed: num('--seed', 0), log: (l) => console.log(l),
});
await saveAustenGpt(outDir, g);
console.log('\nvalidation curve (step: perplexity per token)');
console.log(g.meta.curve.map((p) => `${p.step}: ${Math.exp(p.evalLoss).toFixed(2)}`).join('  '));
console.log(`final: loss ${g.meta.valLoss.toFixed(3)} nats/token, perplexity ${g.meta.valPerplexity.toFixed(2)}, ${g.meta.bitsPerChar.toFixed(3)} bits/char; trained ${g.meta.trainSeconds.toFixed(0)} s`);
for (const [i, prompt] of ['It is a truth universally acknowledged', 'Mr. Darcy', 'Emma'].entries()) {
  console.log(`\n--- sample ${i + 1} (temperature 0.8, top-k 40) ---\n${prompt}${await sampleText(g, prompt, { maxTokens: kind === 'char' ? 160 : 60, seed: i })}`);
}
console.log(`\nsaved ${outDir} (curve: ${join(outDir, 'loss.svg')})`);
console.log(JSON.stringify({ tokenizer: kind, valPerplexity: +g.meta.valPerplexity.toFixed(3), bitsPerChar: +g.meta.bitsPerChar.toFixed(3), trainSeconds: Math.round(g.meta.trainSeconds), out: outDir }));
