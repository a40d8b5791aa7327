#!/usr/bin/env node
// Level 1 — tokenisation. Train a byte-level BPE and a WordPiece on the Austen novels, compare
// tokens per word with GPT-2 (r50k_base) and GPT-4o (o200k_base) on English and Spanish Bible
// verses, and show each token's character span in a sentence.
//
//   pnpm --filter @llm/core build && pnpm --filter @llm/tokenize build
//   node examples/level-1/tokenization/tokenization.mjs [--vocab 8000] [--out DIR]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { datasetRows, formatTable, loadText } from '../../../packages/core/dist/index.js';
import { getEncoding, trainBpe, trainWordPiece } from '../../../packages/tokenize/dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const vocabSize = Number(opt('--vocab', '8000'));
const outDir = opt('--out', join(process.cwd(), 'artifacts', 'tokenization'));
mkdirSync(outDir, { recursive: true });

const austen = (await loadText('austen')).split('\n');
let t0 = performance.now();
const bpe = (await trainBpe(austen, { vocabSize, specialTokens: ['<|endoftext|>'] })).tokenizer;
console.log(`BPE (${bpe.vocabSize} tokens) trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
t0 = performance.now();
const wp = (await trainWordPiece(austen, { vocabSize })).tokenizer;
console.log(`WordPiece (${wp.vocabSize} tokens) trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
await bpe.save(join(outDir, 'austen-bpe.tokenizer.json'));
await wp.save(join(outDir, 'austen-wordpiece.tokenizer.json'));
console.log(`saved both as tokenizer.json under ${outDir} (they load in @huggingface/tokenizers and transformers)`);

// Held-out text: every 20th Bible verse, English (KJV) and Spanish (Reina-Valera 1909).
const en = [];
const es = [];
let i = 0;
for await (const row of datasetRows('bible-es-en')) {
  if (i++ % 20) continue;
  en.push(row.values.en_kjv);
  es.push(row.values.es_rv1909);
}
const words = (xs) => xs.reduce((a, s) => a + (s.match(/\S+/gu)?.length ?? 0), 0);
const perWord = (count, xs) => (xs.reduce((a, s) => a + count(s), 0) / words(xs)).toFixed(2);
const gpt2 = getEncoding('r50k_base');
const gpt4o = getEncoding('o200k_base');
const counters = [
  [`Austen BPE (${bpe.vocabSize})`, (s) => bpe.encode(s, undefined, { addSpecialTokens: false }).ids.length],
  [`Austen WordPiece (${wp.vocabSize})`, (s) => wp.encode(s, undefined, { addSpecialTokens: false }).ids.length],
  ['GPT-2 r50k_base (50k)', (s) => gpt2.encodeOrdinary(s).length],
  ['GPT-4o o200k_base (200k)', (s) => gpt4o.encodeOrdinary(s).length],
];
console.log('\ntokens per word on held-out Bible verses');
console.log(formatTable(['tokenizer', 'English', 'Spanish'], counters.map(([n, c]) => [n, perWord(c, en), perWord(c, es)])));

const sentence = 'Mr. Darcy, señor, ¿habló?';
console.log(`\noffsets in ${JSON.stringify(sentence)}`);
const show = (name, ids, offsets, tok) => console.log(`${name.padEnd(10)} ${ids.map((id, k) => `${JSON.stringify(sentence.slice(...offsets[k]))}=${tok(id)}`).join(' ')}`);
const b = bpe.encode(sentence, undefined, { addSpecialTokens: false });
show('BPE', b.ids, b.offsets, (id) => id);
const w = wp.encode(sentence, undefined, { addSpecialTokens: false });
show('WordPiece', w.ids, w.offsets, (id) => wp.idToToken(id));
const o = gpt4o.encodeWithOffsets(sentence);
show('o200k', o.ids, o.offsets, (id) => id);
