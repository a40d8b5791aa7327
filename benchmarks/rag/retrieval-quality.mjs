#!/usr/bin/env node
// Retrieval quality of BM25, dense and hybrid retrieval on a knowledge base of the three bundled
// Debian PDFs, scored on the 19 hand-written Debian-FAQ questions (hit@1/3/5, MRR). The dense
// encoder is word2vec trained on the knowledge base's own chunks (SIF sentence vectors).
// Run after `npm run setup`: node benchmarks/rag/retrieval-quality.mjs [--json]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, datasetFiles, readJsonl } from '../../packages/core/dist/index.js';
import { trainWord2Vec, tokenizeWords, WordVectorEmbedder } from '../../packages/embeddings/dist/index.js';
import { KnowledgeBase, evaluateRetrieval, splitSentences } from '../../packages/rag/dist/index.js';

const pdfs = datasetFiles('debian-pdfs');
const qs = (await collect(readJsonl(datasetFiles('debian-faq-questions')[0]))).map((x) => x.value);
const lexical = await KnowledgeBase.open(mkdtempSync(join(tmpdir(), 'rag-q-')));
let t0 = performance.now();
await lexical.ingest(pdfs);
const ingestSeconds = (performance.now() - t0) / 1000;
const texts = lexical.store.allChunks().map((c) => c.text);
t0 = performance.now();
const sentences = texts.flatMap((x) => splitSentences(x)).map((s) => tokenizeWords(s)).filter((s) => s.length > 1);
const { vectors } = await trainWord2Vec(sentences, { dim: 100, epochs: 10, minCount: 2, window: 5, seed: 1, threads: 1 });
const embedder = new WordVectorEmbedder(vectors, { mode: 'sif', id: 'w2v-corpus' }).fit(texts);
const w2vSeconds = (performance.now() - t0) / 1000;
const kb = await KnowledgeBase.open(mkdtempSync(join(tmpdir(), 'rag-q-')), { embedder });
await kb.ingest(pdfs);
const rows = [];
for (const [mode, fusionWeights] of [['bm25'], ['dense'], ['hybrid', [1, 1]], ['hybrid', [1, 0.5]]]) {
  const ev = await evaluateRetrieval(qs, (q, k) => kb.retrieve(q, { k, mode, fusionWeights }), [1, 3, 5]);
  rows.push({ mode: fusionWeights ? `${mode} ${fusionWeights.join(':')}` : mode, hit1: ev.hitAt[1], hit3: ev.hitAt[3], hit5: ev.hitAt[5], mrr: ev.mrr });
}
const result = { chunks: kb.size, questions: qs.length, ingestSeconds, word2vecSeconds: w2vSeconds, rows };
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`${result.chunks} chunks from ${pdfs.length} PDFs (ingest ${ingestSeconds.toFixed(1)} s, word2vec ${w2vSeconds.toFixed(1)} s), ${qs.length} questions`);
  console.log('mode           hit@1  hit@3  hit@5  MRR');
  for (const r of rows) console.log(`${r.mode.padEnd(14)} ${r.hit1.toFixed(2)}   ${r.hit3.toFixed(2)}   ${r.hit5.toFixed(2)}   ${r.mrr.toFixed(3)}`);
}
lexical.close();
kb.close();
