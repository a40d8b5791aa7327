#!/usr/bin/env node
// Level 3 — LoRA, QLoRA and prompt tuning. Fine-tunes the Austen GPT (a LLaMA, from
// examples/level-2/gpt-austen or the tour) on question→answer pairs from the bundled FAQ set four
// ways, and compares trainable parameters, memory and losses. Adapters are PEFT folders.
//
//   npm run setup
//   node examples/level-2/gpt-austen/gpt-austen.mjs      (or `npm start`: the tour trains a small one)
//   node examples/level-3/lora/lora.mjs [--base artifacts/gpt-austen] [--epochs 3] [--examples 96] [--out DIR]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatTable } from '../../../packages/core/dist/index.js';
import { compareFineTuning, faqInstructions } from '../../../packages/lora/dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const base = opt('--base', [join('artifacts', 'gpt-austen'), join('artifacts', 'tour', 'gpt-austen')].find((d) => existsSync(join(d, 'model.safetensors'))) ?? join('artifacts', 'gpt-austen'));
if (!existsSync(join(base, 'model.safetensors'))) {
  console.error(`no base model at ${base}: run examples/level-2/gpt-austen/gpt-austen.mjs or \`npm start\` first, or pass --base DIR`);
  process.exit(2);
}
const examples = await faqInstructions(Number(opt('--examples', '96')));
const rows = await compareFineTuning(base, examples, {
  outDir: opt('--out', join('artifacts', 'lora')), epochs: Number(opt('--epochs', '3')), batchSize: 8,
  r: 8, alpha: 16, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], numVirtualTokens: 8, maxLength: 128, seed: 1,
});
console.log(`base ${base}; ${examples.length} FAQ question→answer pairs\n`);
console.log(formatTable(['method', 'trainable', 'base MB', 'trainable MB', 'optimizer MB', 'total MB', 'loss first → last', 'time'], rows.map((r) => [
  r.method, `${r.trainableParameters.toLocaleString()} (${((100 * r.trainableParameters) / r.totalParameters).toFixed(2)}%)`,
  (r.memory.base / 1e6).toFixed(2), (r.memory.trainable / 1e6).toFixed(2), (r.memory.optimizerState / 1e6).toFixed(2), (r.memory.total / 1e6).toFixed(2),
  `${r.firstLoss.toFixed(3)} → ${r.lastLoss.toFixed(3)}`, `${r.seconds.toFixed(1)} s`,
])));
console.log(`\nadapters (PEFT layout), loss curves and metrics under ${opt('--out', join('artifacts', 'lora'))}/<method>/`);
