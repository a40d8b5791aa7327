#!/usr/bin/env node
// Retrieval quality (hit@1/3/5, MRR, "cited": the extractive answer cites a chunk holding an
// accepted answer, and "quoted": the sentence it quotes holds one) of BM25 alone, dense alone, the
// RRF hybrid and the default retriever (first retriever + sentence-window lexical rerank), on three
// hand-written question sets:
//  - the paraphrased Debian Reference set (packages/rag/data/questions-debian-reference.jsonl, 68
//    questions) over a knowledge base of the Debian Reference PDF alone, reported on its dev half (odd
//    ids, used to choose retrieval settings), its test half (even ids) and all;
//  - the factual tuning set (packages/rag/data/questions-debian-reference-factual-dev.jsonl, 56 questions,
//    used with the dev half to choose retrieval settings), same knowledge base;
//  - the blind factual Debian Reference set (packages/rag/data/questions-debian-reference-factual.jsonl,
//    91 questions, written before any retriever ran on it; never used to choose settings), same
//    knowledge base;
//  - the Debian FAQ set (bundled, 19 questions) over a knowledge base of all three Debian PDFs.
// 1000-character sentence-aware chunks, 150 overlap (the default). The dense encoder is word2vec
// trained on the knowledge base's own chunks (SIF sentence vectors), the only one trainable here.
//
//   pnpm --filter @llm/rag... build && pnpm --filter @llm/embeddings build
//   node benchmarks/rag/retrieval-quality.mjs [--tune] [--json]
// --tune also prints the grid (window × weight × pairWeight) on the two tuning sets the default settings
// were chosen from: the paraphrased dev half and the factual tuning set.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect, datasetFiles, readJsonl } from '../../packages/core/dist/index.js';
import { trainWord2Vec, tokenizeWords, WordVectorEmbedder } from '../../packages/embeddings/dist/index.js';
import { KnowledgeBase, evaluateRetrieval, extractiveAnswer, splitSentences } from '../../packages/rag/dist/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const pdfs = datasetFiles('debian-pdfs');
const refPdf = pdfs.find((p) => p.includes('debian-reference'));
const faq = (await collect(readJsonl(datasetFiles('debian-faq-questions')[0]))).map((x) => x.value);
const ref = readFileSync(join(here, '../../packages/rag/data/questions-debian-reference.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const fact = readFileSync(join(here, '../../packages/rag/data/questions-debian-reference-factual.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const factDev = readFileSync(join(here, '../../packages/rag/data/questions-debian-reference-factual-dev.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const dev = ref.filter((q) => Number(q.id.slice(-3)) % 2 === 1);
const test = ref.filter((q) => Number(q.id.slice(-3)) % 2 === 0);

const norm = (s) => s.toLowerCase().replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ');
async function score(qs, retrieve) {
  const ev = await evaluateRetrieval(qs, retrieve, [1, 3, 5]);
  let cited = 0;
  let quoted = 0;
  for (const q of qs) {
    const chunks = await retrieve(q.question, 5);
    const a = extractiveAnswer(q.question, chunks);
    const c = a.citations[0];
    if (c && q.answers.some((x) => norm(chunks[c.n - 1].text).includes(norm(x)))) cited++;
    if (c && q.answers.some((x) => norm(c.quote).includes(norm(x)))) quoted++;
  }
  return { n: qs.length, hit1: ev.hitAt[1], hit3: ev.hitAt[3], hit5: ev.hitAt[5], mrr: ev.mrr, cited: cited / qs.length, quoted: quoted / qs.length };
}

async function buildKb(files) {
  const lexical = await KnowledgeBase.open(mkdtempSync(join(tmpdir(), 'rag-q-')));
  const t0 = performance.now();
  await lexical.ingest(files);
  const ingestSeconds = (performance.now() - t0) / 1000;
  const texts = lexical.store.allChunks().map((c) => c.text);
  const sentences = texts.flatMap((x) => splitSentences(x)).map((s) => tokenizeWords(s)).filter((s) => s.length > 1);
  const { vectors } = await trainWord2Vec(sentences, { dim: 100, epochs: 10, minCount: 2, window: 5, seed: 1, threads: 1 });
  const embedder = new WordVectorEmbedder(vectors, { mode: 'sif', id: 'w2v-corpus' }).fit(texts);
  const kb = await KnowledgeBase.open(mkdtempSync(join(tmpdir(), 'rag-q-')), { embedder });
  await kb.ingest(files);
  return { lexical, kb, ingestSeconds };
}

const MODES = [
  ['BM25', { mode: 'bm25', windowRerank: false }],
  ['dense (corpus word2vec)', { mode: 'dense', windowRerank: false }],
  ['hybrid RRF 1:1', { mode: 'hybrid', windowRerank: false }],
  ['hybrid RRF 1:0.5', { mode: 'hybrid', fusionWeights: [1, 0.5], windowRerank: false }],
  ['default: BM25 + window rerank', { mode: 'bm25' }],
  ['hybrid 1:0.5 + window rerank', { mode: 'hybrid', fusionWeights: [1, 0.5] }],
];

const result = { sets: {} };
const R = await buildKb([refPdf]);
result.referenceChunks = R.kb.size;
result.referenceIngestSeconds = R.ingestSeconds;
if (process.argv.includes('--tune')) {
  result.tune = [];
  for (const window of [1, 2, 3]) for (const weight of [0, 0.3, 0.5, 0.6, 0.7, 1]) for (const pairWeight of [0, 0.1]) {
    const retrieve = (q, k) => R.lexical.retrieve(q, { k, mode: 'bm25', windowRerank: { window, weight, pairWeight } });
    result.tune.push({ window, weight, pairWeight, dev: await score(dev, retrieve), factDev: await score(factDev, retrieve) });
  }
}
for (const [name, qs] of [['reference-dev', dev], ['reference-test', test], ['reference-all', ref], ['reference-factual-dev', factDev], ['reference-factual', fact]]) {
  result.sets[name] = [];
  for (const [label, opts] of MODES) result.sets[name].push({ retriever: label, ...(await score(qs, (q, k) => R.kb.retrieve(q, { k, ...opts }))) });
}
R.lexical.close(); R.kb.close();
const F = await buildKb(pdfs);
result.faqChunks = F.kb.size;
result.sets.faq = [];
for (const [label, opts] of MODES) result.sets.faq.push({ retriever: label, ...(await score(faq, (q, k) => F.kb.retrieve(q, { k, ...opts }))) });
F.lexical.close(); F.kb.close();

if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  const f = (x) => x.toFixed(2);
  if (result.tune) {
    console.log('tuning grid (BM25 candidates + window rerank): window weight pairWeight | paraphrased dev hit@1 hit@5 MRR | factual tuning set hit@1 hit@5 MRR');
    for (const t of result.tune) console.log(`  ${t.window} ${t.weight.toFixed(1)} ${t.pairWeight.toFixed(1)} | ${f(t.dev.hit1)} ${f(t.dev.hit5)} ${t.dev.mrr.toFixed(3)} | ${f(t.factDev.hit1)} ${f(t.factDev.hit5)} ${t.factDev.mrr.toFixed(3)}`);
  }
  console.log(`Debian Reference: ${result.referenceChunks} chunks; FAQ knowledge base (3 PDFs): ${result.faqChunks} chunks`);
  for (const [name, rows] of Object.entries(result.sets)) {
    console.log(`\n${name} (${rows[0].n} questions)\n| retriever | hit@1 | hit@3 | hit@5 | MRR | cited | quoted |\n|---|---|---|---|---|---|---|`);
    for (const r of rows) console.log(`| ${r.retriever} | ${f(r.hit1)} | ${f(r.hit3)} | ${f(r.hit5)} | ${r.mrr.toFixed(3)} | ${f(r.cited)} | ${f(r.quoted)} |`);
  }
}
