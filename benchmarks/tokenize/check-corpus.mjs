#!/usr/bin/env node
// Every line of the bundled Austen novels and of the Bible (Spanish RV1909, English KJV and WEB):
// @llm/tokenize ids must equal gpt-tokenizer's and js-tiktoken's for r50k_base, cl100k_base and
// o200k_base. Exit code 1 on the first difference.
//
//   pnpm --filter @llm/core build && pnpm --filter @llm/tokenize build
//   node benchmarks/tokenize/check-corpus.mjs
import { createRequire } from 'node:module';
import { datasetRows, loadText } from '../../packages/core/dist/index.js';
import { getEncoding } from '../../packages/tokenize/dist/index.js';

const req = createRequire(new URL('../../packages/tokenize/package.json', import.meta.url));
const jsTiktoken = req('js-tiktoken');
const lines = (await loadText('austen')).split('\n');
for await (const row of datasetRows('bible-es-en')) lines.push(row.values.es_rv1909, row.values.en_kjv, row.values.en_web);
let failed = false;
for (const name of ['r50k_base', 'cl100k_base', 'o200k_base']) {
  const ours = getEncoding(name);
  const gpt = req(`gpt-tokenizer/encoding/${name}`).encode;
  const js = jsTiktoken.getEncoding(name);
  const none = new Set();
  let tokens = 0;
  for (const l of lines) {
    const a = ours.encodeOrdinary(l);
    tokens += a.length;
    for (const [peer, b] of [['gpt-tokenizer', gpt(l, { disallowedSpecial: none })], ['js-tiktoken', js.encode(l, [], [])]]) {
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
        console.error(`${name} differs from ${peer} on ${JSON.stringify(l)}`);
        failed = true;
        break;
      }
    }
  }
  console.log(`${name}: ${lines.length} lines, ${tokens} tokens, ${failed ? 'DIFFERENCES' : 'identical to gpt-tokenizer and js-tiktoken'}`);
}
process.exitCode = failed ? 1 : 0;
