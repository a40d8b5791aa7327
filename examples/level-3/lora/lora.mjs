#!/usr/bin/env node
// Level 3 — LoRA, QLoRA, prompt tuning and prefix tuning. Fine-tunes a small LLaMA-architecture base
// (trained here from scratch on Austen + Gutenberg, cached in artifacts/lora-base) on a custom
// instruction set built from the bundled Bible — Spanish verse → English (KJV) verse — five ways,
// and compares trainable parameters, memory, loss curves and the task metric (BLEU and chrF of
// greedy translations of held-out verses from the Gospel of Mark, with @llm/eval) before and after.
// Adapters are PEFT folders.
//
//   npm run setup      (or: pnpm install && turbo build)
//   node examples/level-3/lora/lora.mjs [--base artifacts/lora-base] [--base-steps 240] [--train 600]
//        [--test 40] [--epochs 1] [--methods full,lora,qlora,prompt,prefix] [--out artifacts/lora-exercise]
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, initBackend } from '../../../packages/core/dist/index.js';
import { loadTokenizer } from '../../../packages/transformer/dist/index.js';
import { corpusBleu, corpusChrf } from '../../../packages/eval/dist/index.js';
import { compareFineTuning, greedyCompletions, heldOutLoss, verseInstructions } from '../../../packages/lora/dist/index.js';
import { ensureBase } from './base.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const num = (name, dflt) => Number(opt(name, String(dflt)));
const out = opt('--out', join('artifacts', 'lora-exercise'));
const t0 = performance.now();

await initBackend();
const base = await ensureBase(opt('--base', join('artifacts', 'lora-base')), { steps: num('--base-steps', 240) });
const tokenizer = await loadTokenizer(base);
const eosId = tokenizer.tokenToId('<|endoftext|>');
const { train, test } = await verseInstructions({ train: num('--train', 600), test: num('--test', 40), maxWords: 16, seed: 1 });
const refs = test.map((e) => e.completion.trim());
const samples = {};

const evaluate = async (lm, method) => {
  const hyps = (await greedyCompletions(lm, tokenizer, test.map((e) => e.prompt), { maxTokens: 40, eosId, batchSize: 20 })).map((h) => h.trim());
  samples[method] = hyps.slice(0, 3);
  return { bleu: corpusBleu(hyps, [refs]).score, chrf: corpusChrf(hyps, [refs]).score, loss: heldOutLoss(lm, tokenizer, test, { eosId, maxLength: 112 }) };
};

const methods = opt('--methods', 'full,lora,qlora,prompt,prefix').split(',');
const rows = await compareFineTuning(base, train, {
  outDir: out, tokenizer, methods, epochs: num('--epochs', 1), batchSize: 8, maxLength: 112, seed: 1, evaluate,
  r: 8, alpha: 16, dropout: 0.05, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  numVirtualTokens: 8, prefixStd: 0.1,
});
const b = rows.before;
const mb = (x) => (x / 1e6).toFixed(3);
console.log(`\nbase ${base}; ${train.length} Spanish→English verse pairs for training, ${test.length} held out (Mark)`);
console.log(`before fine-tuning (the base, zero-shot): BLEU ${b.bleu.toFixed(2)}, chrF ${b.chrf.toFixed(2)}, held-out loss ${b.loss.toFixed(3)}\n`);
console.log(formatTable(['method', 'trainable', 'base MB', 'adapter MB', 'optimizer MB', 'total MB', 'train loss', 'held-out loss', 'BLEU', 'chrF', 'time'], rows.map((r) => [
  r.method, `${r.trainableParameters.toLocaleString('en')} (${((100 * r.trainableParameters) / r.totalParameters).toFixed(2)}%)`,
  mb(r.memory.base), mb(r.memory.trainable), mb(r.memory.optimizerState), mb(r.memory.total),
  `${r.firstLoss.toFixed(2)} → ${r.lastLoss.toFixed(2)}`, `${b.loss.toFixed(2)} → ${r.after.loss.toFixed(2)}`,
  `${b.bleu.toFixed(2)} → ${r.after.bleu.toFixed(2)}`, `${b.chrf.toFixed(2)} → ${r.after.chrf.toFixed(2)}`, `${r.seconds.toFixed(0)} s`,
])));
console.log('\nfirst held-out verse:', JSON.stringify(test[0].prompt), '\nreference:', refs[0]);
for (const [m, h] of Object.entries(samples)) console.log(`  ${m.padEnd(6)} ${h[0]}`);
const here = fileURLToPath(new URL('.', import.meta.url));
if (args.includes('--update-svg')) copyFileSync(join(out, 'losses.svg'), join(here, 'losses.svg'));
console.log(`\nadapters (PEFT folders), per-method loss.svg and metrics under ${out}/<method>/; all curves in ${join(out, 'losses.svg')}; ${((performance.now() - t0) / 1000).toFixed(0)} s in all`);
console.log(JSON.stringify({ before: b, rows: rows.map((r) => ({ method: r.method, trainable: r.trainableParameters, total: r.totalParameters, memory: r.memory, firstLoss: r.firstLoss, lastLoss: r.lastLoss, after: r.after, seconds: Math.round(r.seconds) })) }));
if (!existsSync(join(out, 'comparison.json'))) process.exitCode = 1;
