#!/usr/bin/env node
// Level 2 — BERT for extractive QA from scratch: WordPiece + masked-LM pre-training on Austen and
// the Gutenberg novels, then fine-tuning of the span head on the bundled FAQ set in SQuAD v1.1
// layout (train → dev). EM/F1 with the official SQuAD metric (@llm/eval) against a lexical
// sliding-window baseline. Saves artifacts/bert-qa (config.json, model.safetensors,
// tokenizer.json, qa.json, dev-predictions.json).
//
//   pnpm --filter @llm/core --filter @llm/tokenize --filter @llm/eval --filter @llm/transformer build
//   node examples/level-2/bert-qa/bert-qa.mjs [--mlm-steps 30] [--qa-steps 60] [--out DIR]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { datasetFiles, initBackend, writeJsonAtomic } from '../../../packages/core/dist/index.js';
import { evaluateSquad } from '../../../packages/eval/dist/index.js';
import { parseSquad, predictSquad, saveBertQa, slidingWindowAnswer, trainBertQa } from '../../../packages/transformer/dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const num = (name, dflt) => Number(opt(name, String(dflt)));
const outDir = opt('--out', join(process.cwd(), 'artifacts', 'bert-qa'));

const files = datasetFiles('faq-squad');
const read = (f) => JSON.parse(gunzipSync(readFileSync(f)).toString('utf8'));
const trainJson = read(files.find((f) => f.includes('train')));
const devJson = read(files.find((f) => f.includes('dev')));
const train = parseSquad(trainJson);
const dev = parseSquad(devJson);
console.log(`FAQ SQuAD: ${train.length} training questions, ${dev.length} dev questions`);

const base = Object.fromEntries(dev.map((e) => [e.id, slidingWindowAnswer(e.question, e.context)]));
const baseScore = evaluateSquad(devJson, base);
console.log(`sliding-window baseline on dev: EM ${baseScore.exact_match.toFixed(1)}  F1 ${baseScore.f1.toFixed(1)}`);

await initBackend();
const t0 = performance.now();
const qa = await trainBertQa(train, dev, {
  mlmSteps: num('--mlm-steps', 30), qaSteps: num('--qa-steps', 60), hiddenSize: num('--hidden', 128), layers: num('--layers', 2), heads: num('--heads', 4),
  vocabSize: num('--vocab', 4000), maxLen: num('--max-len', 128), batchSize: num('--batch', 8), seed: num('--seed', 0), log: (l) => console.log(l),
});
const trainSec = (performance.now() - t0) / 1000;
const pred = await predictSquad(qa, dev);
const score = evaluateSquad(devJson, pred);
await saveBertQa(outDir, qa, { devExactMatch: score.exact_match, devF1: score.f1, baseline: { exactMatch: baseScore.exact_match, f1: baseScore.f1 } });
await writeJsonAtomic(join(outDir, 'dev-predictions.json'), pred);
console.log(`\nBERT (MLM ${num('--mlm-steps', 30)} steps + QA ${num('--qa-steps', 60)} steps) on dev: EM ${score.exact_match.toFixed(1)}  F1 ${score.f1.toFixed(1)}   (baseline EM ${baseScore.exact_match.toFixed(1)}  F1 ${baseScore.f1.toFixed(1)}); trained ${trainSec.toFixed(0)} s`);
for (const e of dev.slice(0, 3)) console.log(`\nQ: ${e.question}\n  gold: ${e.answers[0]?.text}\n  bert: ${pred[e.id]}\n  base: ${base[e.id]}`);
console.log(JSON.stringify({ em: +score.exact_match.toFixed(2), f1: +score.f1.toFixed(2), baselineEm: +baseScore.exact_match.toFixed(2), baselineF1: +baseScore.f1.toFixed(2), trainSeconds: Math.round(trainSec), out: outDir }));
