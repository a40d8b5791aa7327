#!/usr/bin/env node
// Level 2 — prompting vs fine-tuning, side by side, on one small task with one metric.
// Task: "which Austen novel is this passage from?" — 64-character passages (by default only ones
// that name someone: --any-passage lifts that) cut from the six
// bundled novels (distinct lines for training and test), six answers. The metric is accuracy of
// multiple-choice scoring (`scoreChoices`: the answer whose tokens get the highest summed
// log-probability after the prompt, as lm-evaluation-harness's `acc`), so a base model that
// cannot follow a format is still scored on what it prefers.
//   zero-shot  `Passage: …\nNovel:` to the base Austen GPT
//   one-shot   the same after one solved demonstration (the char model's 128-position context
//              holds about one; the prompt is cut from the left to fit)
//   fine-tuned all weights of the same base trained on the training passages (`@llm/lora`
//              fineTune, method full), then asked zero-shot
// Writes artifacts/prompting-vs-finetuning/report.json and report.md.
//
//   node examples/level-2/gpt-austen/gpt-austen.mjs     # first: the base, artifacts/gpt-austen
//   node examples/level-2/prompting/compare.mjs [--base artifacts/gpt-austen] [--train 60] [--test 20] [--epochs 4] [--chars 64] [--any-passage]
import { basename, join } from 'node:path';
import { existsSync } from 'node:fs';
import { Rng, datasetFiles, initBackend, readText, writeFileAtomic, writeJsonAtomic } from '../../../packages/core/dist/index.js';
import { fewShotPrompt, loadAustenGpt, scoreChoices, zeroShotPrompt } from '../../../packages/transformer/dist/index.js';
import { fineTune } from '../../../packages/lora/dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const num = (name, dflt) => Number(opt(name, String(dflt)));
const baseDir = opt('--base', join(process.cwd(), 'artifacts', 'gpt-austen'));
const outDir = opt('--out', join(process.cwd(), 'artifacts', 'prompting-vs-finetuning'));
const perNovelTrain = num('--train', 60);
const perNovelTest = num('--test', 20);
const width = num('--chars', 64);
const names = !args.includes('--any-passage');
const seed = num('--seed', 0);
if (!existsSync(join(baseDir, 'model.safetensors'))) {
  console.error(`no ${baseDir}: run node examples/level-2/gpt-austen/gpt-austen.mjs first`);
  process.exit(2);
}

const TITLES = { emma: 'Emma', mansfieldpark: 'Mansfield Park', northangerabbey: 'Northanger Abbey', persuasion: 'Persuasion', prideprejudice: 'Pride and Prejudice', sensesensibility: 'Sense and Sensibility' };
const labels = Object.values(TITLES);
const fmt = { inputLabel: 'Passage:', outputLabel: 'Novel:' };
const namesNote = names ? ' that name someone' : '';

// Passages: distinct paragraphs per novel, shuffled by seed; a `width`-character window that starts at
// a word. The first lines go to training, the next to test.
const rng = new Rng(seed).split('passages');
const train = [];
const test = [];
for (const file of datasetFiles('austen')) {
  const title = TITLES[basename(file).replace(/\.txt(\.gz)?$/, '')];
  // Paragraphs (the files hold one printed line per line; a blank line ends a paragraph).
  const lines = (await readText(file)).split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((l) => l.length >= width + 8 && !/^(CHAPTER|VOLUME)/i.test(l));
  const order = lines.map((l, i) => ({ l, k: rng.next(), i })).sort((a, b) => a.k - b.k);
  const pick = [];
  for (const { l } of order) {
    if (pick.length === perNovelTrain + perNovelTest) break;
    const starts = [0, ...[...l.matchAll(/ (?=\S)/g)].map((m) => m.index + 1)].filter((s) => s + width <= l.length);
    const s = starts[Math.floor(rng.next() * starts.length)];
    const input = l.slice(s, s + width);
    // --names: keep only passages that name someone (a capitalised word inside a sentence).
    if (names && !/[a-z,;] (?!I\b|Mr\b|Mrs\b|Miss\b|Sir\b|Lady\b)[A-Z][a-z]+/.test(input)) continue;
    pick.push({ input, output: title });
  }
  train.push(...pick.slice(0, perNovelTrain));
  test.push(...pick.slice(perNovelTrain));
}
console.log(`${train.length} training and ${test.length} test passages, e.g. ${JSON.stringify(test[0].input)} → ${test[0].output}`);

await initBackend();
const t0 = performance.now();
const g = await loadAustenGpt(baseDir);
const choices = labels.map((l) => ` ${l}`);
// acc: the highest summed log-probability; accNorm: the highest mean per token (no bias towards
// short answers such as "Emma").
function accuracy(prompts) {
  let ok = 0;
  let okNorm = 0;
  const confusion = Object.fromEntries(labels.map((l) => [l, 0]));
  prompts.forEach((p, i) => {
    const r = scoreChoices(g.model, g.tokenizer, p, choices);
    const bestNorm = r.meanLogProbs.reduce((b, v, j) => (v > r.meanLogProbs[b] ? j : b), 0);
    confusion[labels[r.best]]++;
    if (labels[r.best] === test[i].output) ok++;
    if (labels[bestNorm] === test[i].output) okNorm++;
  });
  return { correct: ok, total: prompts.length, accuracy: +(ok / prompts.length).toFixed(4), accuracyNorm: +(okNorm / prompts.length).toFixed(4), answered: confusion };
}
const shotRng = new Rng(seed).split('shots');
const results = {};
results.zeroShot = accuracy(test.map((t) => zeroShotPrompt(t.input, fmt)));
results.oneShot = accuracy(test.map((t) => fewShotPrompt([train[Math.floor(shotRng.next() * train.length)]], t.input, fmt)));
console.log(`zero-shot ${results.zeroShot.correct}/${test.length}, one-shot ${results.oneShot.correct}/${test.length}`);

const epochs = num('--epochs', 4);
const ft = await fineTune(g.model, g.tokenizer, train.map((t) => ({ prompt: zeroShotPrompt(t.input, fmt), completion: ` ${t.output}` })), {
  method: 'full', epochs, batchSize: num('--batch', 16), lr: num('--lr', 1e-3), seed, out: join(outDir, 'full'),
});
results.fineTuned = accuracy(test.map((t) => zeroShotPrompt(t.input, fmt)));
results.fineTuned.trainLoss = { first: +ft.losses[0].toFixed(3), last: +ft.losses.at(-1).toFixed(3), steps: ft.losses.length };
g.model.dispose();
const seconds = (performance.now() - t0) / 1000;

const majority = Math.max(...labels.map((l) => test.filter((t) => t.output === l).length)) / test.length;
const report = { task: 'Austen novel of a passage', base: baseDir, passageChars: width, namedPassagesOnly: names, trainPassages: train.length, testPassages: test.length, chance: +(1 / labels.length).toFixed(4), majority: +majority.toFixed(4), fineTuning: { method: 'full', epochs, lr: num('--lr', 1e-3) }, results, seconds: Math.round(seconds) };
const row = (name, r) => `| ${name} | ${r.correct}/${r.total} | ${(100 * r.accuracy).toFixed(1)}% | ${(100 * r.accuracyNorm).toFixed(1)}% | ${Object.entries(r.answered).filter(([, n]) => n).map(([l, n]) => `${l} ${n}`).join(', ')} |`;
const md = [
  `# Prompting vs fine-tuning: ${report.task}`, '',
  `Base: \`${baseDir}\`; ${train.length} training / ${test.length} test passages of ${width} characters${namesNote} (six novels); multiple-choice scoring; chance ${(100 / labels.length).toFixed(1)}%.`, '',
  '| setting | correct (acc) | accuracy (acc) | accuracy (mean per token) | answers given (acc) |', '|---|---|---|---|---|',
  row('zero-shot prompt', results.zeroShot), row('one-shot prompt', results.oneShot), row(`fine-tuned (all weights, ${epochs} epochs, ${ft.losses.length} steps)`, results.fineTuned), '',
  `Fine-tuning loss ${results.fineTuned.trainLoss.first} → ${results.fineTuned.trainLoss.last}; whole run ${Math.round(seconds)} s.`, '',
].join('\n');
await writeJsonAtomic(join(outDir, 'report.json'), report);
await writeFileAtomic(join(outDir, 'report.md'), md);
console.log('\n' + md);
console.log(JSON.stringify(report));
