#!/usr/bin/env node
// Ingest throughput: pages/s of @llm/rag's KnowledgeBase.ingest (pdfjs-dist text extraction, running
// header removal, sentence-aware 1000-character splitting, SQLite store; BM25 only, no embedder) on
// the three bundled Debian PDFs (397 pages), and of the PDF text extraction alone, beside poppler's
// pdftotext (Debian poppler-utils) on the same files when it is installed. Medians of --runs.
//
//   pnpm --filter @llm/rag... build
//   node benchmarks/rag/ingest.mjs [--runs 3] [--json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetFiles } from '../../packages/core/dist/index.js';
import { KnowledgeBase, loadPdf } from '../../packages/rag/dist/index.js';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? Number(process.argv[i + 1]) : dflt; };
const RUNS = arg('runs', 3);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const pdfs = datasetFiles('debian-pdfs');
let pages = 0;
for (const f of pdfs) pages += (await loadPdf(f)).pages.length;
const hasPoppler = spawnSync('pdftotext', ['-v']).status === 0;
const t = { ingest: [], extract: [], pdftotext: [] };
let chunks = 0;
for (let r = 0; r < RUNS; r++) {
  const dir = mkdtempSync(join(tmpdir(), 'rag-ingest-'));
  let t0 = performance.now();
  const kb = await KnowledgeBase.open(dir);
  chunks = (await kb.ingest(pdfs)).chunks;
  t.ingest.push((performance.now() - t0) / 1000);
  kb.close();
  rmSync(dir, { recursive: true, force: true });
  t0 = performance.now();
  for (const f of pdfs) await loadPdf(f);
  t.extract.push((performance.now() - t0) / 1000);
  if (hasPoppler) {
    t0 = performance.now();
    for (const f of pdfs) spawnSync('pdftotext', ['-layout', f, '-'], { maxBuffer: 1 << 26 });
    t.pdftotext.push((performance.now() - t0) / 1000);
  }
}
const rate = (xs) => (xs.length ? pages / median(xs) : null);
const result = { files: pdfs.length, pages, chunks, runs: RUNS, seconds: { ingest: median(t.ingest), extract: median(t.extract), pdftotext: t.pdftotext.length ? median(t.pdftotext) : null },
  pagesPerSecond: { ingest: rate(t.ingest), extract: rate(t.extract), pdftotext: rate(t.pdftotext) } };
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`${pages} pages in ${pdfs.length} PDFs -> ${chunks} chunks, medians of ${RUNS} runs (wall time)`);
  console.log(`ingest (extract + split + store): ${result.seconds.ingest.toFixed(2)} s, ${result.pagesPerSecond.ingest.toFixed(1)} pages/s`);
  console.log(`pdfjs text extraction alone:      ${result.seconds.extract.toFixed(2)} s, ${result.pagesPerSecond.extract.toFixed(1)} pages/s`);
  if (hasPoppler) console.log(`poppler pdftotext (peer):         ${result.seconds.pdftotext.toFixed(2)} s, ${result.pagesPerSecond.pdftotext.toFixed(1)} pages/s`);
  else console.log('poppler pdftotext not installed (apt-get install poppler-utils) — no peer row');
}
