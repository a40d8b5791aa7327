// Writes the held-out Austen text: the last 5% of the six novels, cut at a paragraph — exactly the
// validation split the Austen GPT (examples/level-2/gpt-austen, `trainAustenGpt`) never trains on —
// one paragraph per line, whitespace collapsed as in training.
//
//   pnpm --filter @llm/core --filter @llm/tokenize --filter @llm/transformer build
//   node benchmarks/quant/austen-heldout.mjs artifacts/austen-heldout.txt
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const core = await import(join(here, '../../packages/core/dist/index.js'));
const { splitTextTail } = await import(join(here, '../../packages/transformer/dist/index.js'));
const out = process.argv[2] ?? 'artifacts/austen-heldout.txt';
const { val } = splitTextTail(await core.loadText('austen'));
const paragraphs = val.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 0);
await core.writeFileAtomic(out, paragraphs.join('\n') + '\n');
console.log(JSON.stringify({ out, paragraphs: paragraphs.length, chars: paragraphs.reduce((a, p) => a + p.length + 1, 0) }));
