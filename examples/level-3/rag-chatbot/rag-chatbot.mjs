#!/usr/bin/env node
// Level 3 — a RAG chatbot over PDFs. Ingests the three bundled Debian PDFs (Debian Reference,
// Debian FAQ, New Maintainers' Guide) into a knowledge base (SQLite + BM25; re-runs reuse it),
// answers the hand-written Debian-FAQ questions with cited pages, reports retrieval hit@k, and
// answers your own questions given on the command line.
//
//   npm run setup        (builds the packages)
//   node examples/level-3/rag-chatbot/rag-chatbot.mjs ["How do I check which Debian version I run?" …] [--index DIR]
import { join } from 'node:path';
import { collect, datasetFiles, readJsonl } from '../../../packages/core/dist/index.js';
import { KnowledgeBase, evaluateRetrieval, extractiveAnswer } from '../../../packages/rag/dist/index.js';

const args = process.argv.slice(2);
const at = args.indexOf('--index');
const index = at >= 0 ? args[at + 1] : join(process.cwd(), 'artifacts', 'kb-debian');
const questions = args.filter((a, i) => a !== '--index' && i !== at + 1);

const kb = await KnowledgeBase.open(index);
const report = await kb.ingest(datasetFiles('debian-pdfs'));
console.log(`knowledge base ${index}: ${kb.size} chunks (${report.added.length} added, ${report.unchanged.length} unchanged, ${report.seconds.toFixed(1)} s)`);

const faq = (await collect(readJsonl(datasetFiles('debian-faq-questions')[0]))).map((r) => r.value);
const ev = await evaluateRetrieval(faq, (q, k) => kb.retrieve(q, { k }), [1, 5]);
console.log(`retrieval on ${ev.n} FAQ questions: hit@1 ${ev.hitAt[1].toFixed(2)}, hit@5 ${ev.hitAt[5].toFixed(2)}, MRR ${ev.mrr.toFixed(3)}\n`);

for (const q of questions.length ? questions : faq.slice(0, 5).map((f) => f.question)) {
  const a = extractiveAnswer(q, await kb.retrieve(q, { k: 5 }));
  console.log(`Q: ${q}\nA: ${a.answer}`);
  for (const c of a.citations) console.log(`   [${c.n}] ${c.source.split('/').pop()}, page ${c.page}`);
  console.log();
}
kb.close();
