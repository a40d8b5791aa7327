#!/usr/bin/env node
// Ingest throughput: pages/s of @llm/rag's KnowledgeBase.ingest (pdfjs-dist text extraction, running
// header removal, sentence-aware 1000-character splitting, SQLite store; BM25 only, no embedder) on
// the three bundled Debian PDFs (397 pages), and of the PDF text extraction alone, beside poppler's
// pdftotext (Debian poppler-utils) on the same files when it is installed. Medians of --runs, in
// wall seconds and in CPU seconds (this process, or pdftotext's via /usr/bin/time) — the CPU figure
// is the one to compare on a loaded machine.
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
const c = { ingest: [], extract: [], pdftotext: [] };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
let chunks = 0;
for (let r = 0; r < RUNS; r++) {
  const dir = mkdtempSync(join(tmpdir(), 'rag-ingest-'));
  let t0 = performance.now();
  let c0 = cpu();
  const kb = await KnowledgeBase.open(dir);
  chunks = (await kb.ingest(pdfs)).chunks;
  t.ingest.push((performance.now() - t0) / 1000);
  c.ingest.push(cpu() - c0);
  kb.close();
  rmSync(dir, { recursive: true, force: true });
  t0 = performance.now();
  c0 = cpu();
  for (const f of pdfs) await loadPdf(f);
  t.extract.push((performance.now() - t0) / 1000);
  c.extract.push(cpu() - c0);
  if (hasPoppler) {
    t0 = performance.now();
    let pc = 0;
    for (const f of pdfs) {
      const r = spawnSync('/usr/bin/time', ['-f', '%U %S', 'pdftotext', '-layout', f, '/dev/null'], { encoding: 'utf8' });
      const [u, sy] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
      pc += u + sy;
    }
    t.pdftotext.push((performance.now() - t0) / 1000);
    c.pdftotext.push(pc);
  }
}
const rate = (xs) => (xs.length ? pages / median(xs) : null);
const med = (xs) => (xs.length ? median(xs) : null);
const result = { files: pdfs.length, pages, chunks, runs: RUNS,
  seconds: { ingest: med(t.ingest), extract: med(t.extract), pdftotext: med(t.pdftotext) },
  cpuSeconds: { ingest: med(c.ingest), extract: med(c.extract), pdftotext: med(c.pdftotext) },
  pagesPerSecond: { ingest: rate(t.ingest), extract: rate(t.extract), pdftotext: rate(t.pdftotext) },
  pagesPerCpuSecond: { ingest: rate(c.ingest), extract: rate(c.extract), pdftotext: rate(c.pdftotext) } };
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`${pages} pages in ${pdfs.length} PDFs -> ${chunks} chunks, medians of ${RUNS} runs`);
  const line = (label, key) => console.log(`${label.padEnd(34)} wall ${result.seconds[key].toFixed(2)} s (${result.pagesPerSecond[key].toFixed(1)} pages/s), CPU ${result.cpuSeconds[key].toFixed(2)} s (${result.pagesPerCpuSecond[key].toFixed(1)} pages/CPU-s)`);
  line('ingest (extract + split + store)', 'ingest');
  line('pdfjs text extraction alone', 'extract');
  if (hasPoppler) line('poppler pdftotext -layout (peer)', 'pdftotext');
  else console.log('poppler pdftotext not installed (apt-get install poppler-utils) — no peer row');
}
