// Writes small word2vec text/binary files with @llm/embeddings' own writers, for gensim to load
// (make_fixtures.py). Run from the repo root after `pnpm --filter @llm/embeddings build`:
//   node tools/golden/embeddings/write-ours.mjs
import { loadText } from '../../../packages/embeddings/node_modules/@llm/core/dist/index.js';
import { sentencesFromText, trainWord2Vec, saveVectors } from '../../../packages/embeddings/dist/index.js';

const text = await loadText('austen', 'persuasion');
const model = await trainWord2Vec(sentencesFromText(text), { dim: 16, epochs: 3, minCount: 20, threads: 1, seed: 11, progress: false });
const kv = model.vectors.head(300);
await saveVectors('packages/embeddings/fixtures/ours.txt', kv, 'text');
await saveVectors('packages/embeddings/fixtures/ours.bin', kv, 'binary');
console.log(`wrote ${kv.size} × ${kv.dim} vectors`);
