#!/usr/bin/env node
// Level 2 — T5 text-to-text: "translate Spanish to English: <verse>" → English, with the T5 model
// format (relative position buckets, RMS norm, decoder start = pad) trained from scratch on the
// bundled Bible, the same held-out books as the level-1 translator (Ruth, Jonah), scored with
// sacreBLEU-exact BLEU/chrF. Saves artifacts/t5-es-en (HF T5ForConditionalGeneration layout).
//
//   pnpm --filter @llm/core --filter @llm/tokenize --filter @llm/eval --filter @llm/transformer build
//   node examples/level-2/t5/t5.mjs [--steps 150] [--eval-verses 40] [--out DIR]
import { join } from 'node:path';
import { initBackend } from '../../../packages/core/dist/index.js';
import { corpusBleu, corpusChrf } from '../../../packages/eval/dist/index.js';
import { saveT5, t5Generate, trainT5 } from '../../../packages/transformer/dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const num = (name, dflt) => Number(opt(name, String(dflt)));
const outDir = opt('--out', join(process.cwd(), 'artifacts', 't5-es-en'));

await initBackend();
const t = await trainT5({ steps: num('--steps', 150), dModel: num('--d-model', 128), layers: num('--layers', 2), batchSize: num('--batch', 32), seed: num('--seed', 0), log: (l) => console.log(l) });
await saveT5(outDir, t, { curve: t.curve });
const test = t.test.slice(0, num('--eval-verses', 40));
const t1 = performance.now();
const hyps = [];
for (const p of test) hyps.push(await t5Generate(t, p.src, { beam: num('--beam', 4) }));
const refs = [test.map((p) => p.tgt)];
const bleu = corpusBleu(hyps, refs).score;
const chrf = corpusChrf(hyps, refs).score;
console.log(`\nT5 on ${test.length} held-out verses (Ruth…): BLEU ${bleu.toFixed(2)}  chrF ${chrf.toFixed(2)}; trained ${t.seconds.toFixed(0)} s, decoded ${((performance.now() - t1) / 1000).toFixed(0)} s`);
console.log(`input:  translate Spanish to English: ${test[0].src}\noutput: ${hyps[0]}\nref:    ${test[0].tgt}`);
console.log(JSON.stringify({ bleu: +bleu.toFixed(2), chrf: +chrf.toFixed(2), trainSeconds: Math.round(t.seconds), out: outDir }));
