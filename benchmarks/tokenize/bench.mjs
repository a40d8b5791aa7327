#!/usr/bin/env node
// Encode speed of @llm/tokenize against gpt-tokenizer, tiktoken (wasm), js-tiktoken,
// @huggingface/tokenizers and the native `tokenizers`, on one 8 MB+ corpus built from the bundled
// data, in one process; every peer's ids are compared line by line with ours. Then BPE training
// time against the native tokenizers trainer and Debian's sentencepiece (/usr/bin/python3).
//
//   pnpm --filter @llm/core build && pnpm --filter @llm/tokenize build
//   node --expose-gc benchmarks/tokenize/bench.mjs [--repeats 5] [--no-train] [--json out.json]
import { writeFileSync } from 'node:fs';
import { formatTable } from '../../packages/core/dist/index.js';
import { runEncodeBenchmark, runTrainBenchmark } from '../../packages/tokenize/dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const repeats = Number(opt('--repeats', '3'));
const log = (l) => process.stderr.write(`${l}\n`);

const enc = await runEncodeBenchmark({ encodings: opt('--encodings', 'cl100k_base,o200k_base').split(','), repeats, log });
const lines = [
  `node ${process.version}, ${(enc.corpusBytes / 1e6).toFixed(2)} MB corpus (${enc.lines} lines), median of up to ${repeats} runs (60 s budget per library)`,
  '',
  formatTable(['encoding', 'library', 'MB/s', 'runs', '@llm/tokenize speed-up', 'identical ids (every line)'], enc.rows.map((r) => {
    const ours = enc.rows.find((x) => x.encoding === r.encoding && x.library === '@llm/tokenize');
    return [r.encoding, r.library, r.mbPerSec.toFixed(2), r.seconds.length, `${(ours.mbPerSec / r.mbPerSec).toFixed(2)}x`, r.identical ? 'yes' : `NO: ${r.firstDifference}`];
  })),
];
if (enc.o200kMemory) lines.push('', `o200k_base loaded: +${(enc.o200kMemory.heapBytes / 2 ** 20).toFixed(1)} MiB heap, +${(enc.o200kMemory.rssBytes / 2 ** 20).toFixed(1)} MiB RSS, ${enc.o200kMemory.loadSeconds.toFixed(2)} s`);
if (enc.missingPeers.length) lines.push(`not installed: ${enc.missingPeers.join(', ')}`);
let train = [];
if (!args.includes('--no-train')) {
  train = await runTrainBenchmark({ log });
  lines.push('', formatTable(['trainer (Austen, 4 MB)', 'vocab', 'seconds'], train.map((r) => [r.library, r.vocabSize, r.seconds?.toFixed(2) ?? r.note ?? ''])));
}
console.log(lines.join('\n'));
const out = opt('--json');
if (out) writeFileSync(out, `${JSON.stringify({ encode: enc, train }, null, 2)}\n`);
const bad = enc.rows.filter((r) => r.identical === false);
if (bad.length) { console.error(`ids differ for: ${bad.map((r) => `${r.encoding}/${r.library}`).join(', ')}`); process.exitCode = 1; }
