// The base model of the level-3 LoRA exercise: a small LLaMA-architecture GPT trained from scratch
// on the six Austen novels plus the three Gutenberg books (a 2000-token byte-level BPE), cached
// under artifacts/lora-base so the comparison reruns without retraining it.
//
//   node examples/level-3/lora/base.mjs [--out artifacts/lora-base] [--steps 240] [--force]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, loadText } from '../../../packages/core/dist/index.js';
import { saveAustenGpt, trainAustenGpt } from '../../../packages/transformer/dist/index.js';

/** Settings of the base (recorded in its lm.json). */
export const BASE_SETTINGS = { tokenizer: 'bpe', vocabSize: 2000, context: 128, hiddenSize: 128, layers: 4, heads: 4, batchSize: 16, lr: 3e-3, seed: 0 };

/** Train the base into `dir` unless it is there already (or `force`). Returns `dir`. */
export async function ensureBase(dir, { steps = 240, force = false, log = console.log } = {}) {
  if (!force && existsSync(join(dir, 'model.safetensors')) && existsSync(join(dir, 'tokenizer.json'))) return dir;
  await initBackend();
  // Austen first, Gutenberg after: the last 5% (the end of 20,000 Leagues) is the validation text.
  const text = `${await loadText('austen')}\n\n${await loadText('gutenberg')}`;
  log(`training the base on Austen + Gutenberg (${(text.length / 1e6).toFixed(2)} M characters), ${steps} steps → ${dir}`);
  const g = await trainAustenGpt({ ...BASE_SETTINGS, text, steps, evalEvery: Math.max(1, Math.round(steps / 8)), log });
  await saveAustenGpt(dir, g);
  log(`base: val perplexity ${g.meta.valPerplexity.toFixed(1)} per token, ${g.meta.bitsPerChar.toFixed(3)} bits/char, trained ${g.meta.trainSeconds.toFixed(0)} s`);
  g.model.dispose();
  return dir;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
  await ensureBase(opt('--out', join('artifacts', 'lora-base')), { steps: Number(opt('--steps', '240')), force: args.includes('--force') });
}
