#!/usr/bin/env node
// Synthetic retrieval queries made from the corpus itself, no question set involved: every numbered
// section heading of the Debian Reference and of the New Maintainers' Guide that opens a body section
// (not a table-of-contents page) becomes a query (its title, e.g. "Disabling beep sounds"); the heading
// line is removed from the chunks, and a hit is the chunk that held it. First tried as a second tuning
// signal beside the dev half of the paraphrased set; it proved a poor guide for questions (it favoured
// two tokenizer changes that lost on the factual tuning set), so it is only reported (packages/rag/README.md).
// Reports BM25 alone and BM25 + sentence-window rerank (the default settings) with the current tokenizer.
//
//   pnpm --filter @llm/rag... build
//   node benchmarks/rag/synthetic-headings.mjs [--json]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetFiles } from '../../packages/core/dist/index.js';
import { Bm25Index, KnowledgeBase, loadPdf, rerankBySentenceWindows } from '../../packages/rag/dist/index.js';

const norm = (s) => s.toLowerCase().replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ');

async function synthetic(file) {
  const kb = await KnowledgeBase.open(mkdtempSync(join(tmpdir(), 'rag-syn-')));
  await kb.ingest([file]);
  const chunks = kb.store.allChunks().map((c) => ({ id: c.id, text: norm(c.text) }));
  kb.close();
  const doc = await loadPdf(file);
  const queries = [];
  for (const p of doc.pages) {
    const lines = p.text.split('\n');
    if (lines.filter((l) => /^\d+(?:\.\d+)+\.? \S/.test(l)).length > 0.3 * lines.length) continue; // contents page
    for (let i = 0; i + 1 < lines.length; i++) {
      const m = /^(\d+(?:\.\d+)+)\.? (\S.{3,80})$/.exec(lines[i]);
      if (!m || lines[i + 1].length < 60 || /^(Table|Figure)/.test(lines[i + 1])) continue;
      if (m[2].trim().split(/\s+/).length < 2) continue;
      const key = norm(`${lines[i]} ${lines[i + 1].slice(0, 40)}`);
      const rel = chunks.filter((c) => c.text.includes(key)).map((c) => c.id);
      if (rel.length) queries.push({ question: m[2].trim(), rel, strip: norm(lines[i]) });
    }
  }
  for (const q of queries) for (const c of chunks) if (q.rel.includes(c.id)) c.text = c.text.replace(q.strip, ' ');
  return { queries, chunks };
}

const pdfs = datasetFiles('debian-pdfs');
const sets = [];
for (const name of ['debian-reference', 'maint-guide']) sets.push(await synthetic(pdfs.find((p) => p.includes(name))));
const retrievers = {
  'BM25 alone': (idx) => (q) => idx.search(q, 10),
  'default: BM25 + window rerank': (idx, byId) => (q) => {
    const ranked = idx.search(q, 50);
    const head = rerankBySentenceWindows(q, ranked.slice(0, 40).map((r) => ({ ...r, text: byId.get(r.id) })), (t) => idx.idf(t));
    return [...head, ...ranked.slice(40)];
  },
};
const out = [];
for (const [label, make] of Object.entries(retrievers)) {
  let n = 0, h1 = 0, h5 = 0, mrr = 0;
  for (const s of sets) {
    const idx = new Bm25Index();
    for (const c of s.chunks) idx.add(c.id, c.text);
    const byId = new Map(s.chunks.map((c) => [c.id, c.text]));
    const run = make(idx, byId);
    for (const q of s.queries) {
      const i = run(q.question).slice(0, 10).findIndex((r) => q.rel.includes(r.id));
      n++; if (i === 0) h1++; if (i >= 0 && i < 5) h5++; if (i >= 0) mrr += 1 / (i + 1);
    }
  }
  out.push({ retriever: label, n, hit1: h1 / n, hit5: h5 / n, mrr: mrr / n });
}
if (process.argv.includes('--json')) console.log(JSON.stringify(out));
else {
  console.log(`synthetic heading queries (${out[0].n})\n| retriever | hit@1 | hit@5 | MRR |\n|---|---|---|---|`);
  for (const r of out) console.log(`| ${r.retriever} | ${r.hit1.toFixed(2)} | ${r.hit5.toFixed(2)} | ${r.mrr.toFixed(3)} |`);
}
