#!/usr/bin/env node
// Lexical retrieval variants tried for the default retriever, scored ONLY on the tuning signals: the dev
// half (odd ids) of the paraphrased Debian Reference set and the synthetic heading queries made from the
// corpus (see synthetic-headings.mjs). A self-contained re-implementation of BM25 + the sentence-window
// rerank with switchable tokenizer (identifier parts, Porter vs light stemmer), BM25 k1/b, window sizes,
// extra features (query-pair proximity, query-term coverage, table-of-contents density, section-heading
// field) and a linear combination fitted on the synthetic queries. The test half, the blind factual set
// and the FAQ set are not read. Prints dev and synthetic hit@1 / hit@5 / MRR per variant.
//
//   pnpm --filter @llm/rag... build && pnpm --filter @llm/eval build
//   node benchmarks/rag/lexical-variants.mjs
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetFiles } from '../../packages/core/dist/index.js';
import { KnowledgeBase, loadPdf, splitSentences, stem as lightStem } from '../../packages/rag/dist/index.js';
import { PorterStemmer } from '../../packages/eval/dist/index.js';
const porter = new PorterStemmer();
const pcache = new Map();
const pstem = (w) => { let s = pcache.get(w); if (s === undefined) { s = /^[a-z]+$/.test(w) ? porter.stem(w) : w; pcache.set(w, s); } return s; };

const norm = (s) => s.toLowerCase().replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ');
const STOP = new Set(('a an and are as at be but by can do does for from has have how i if in into is it its may more most no not of on or our should so such than that the their them then there these they this to was we were what when where which who whom why will with would you your').split(' '));
export function makeTokenizer({ split = false, porter: usePorter = false } = {}) {
  const stem = usePorter ? pstem : lightStem;
  return (text) => {
    const out = [];
    for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:[._+-][\p{L}\p{N}]+)*/gu)) {
      const w = m[0];
      if (STOP.has(w)) continue;
      out.push(stem(w));
      if (split && /[._+-]/.test(w)) for (const p of w.split(/[._+-]+/)) if (p && !STOP.has(p) && p.length > 1) out.push(stem(p));
    }
    return out;
  };
}
class Bm25 {
  constructor(tok, k1 = 1.2, b = 0.75) { this.tok = tok; this.k1 = k1; this.b = b; this.docs = []; this.df = new Map(); }
  add(text) { const t = this.tok(text); const tf = new Map(); for (const x of t) tf.set(x, (tf.get(x) ?? 0) + 1); this.docs.push({ t, tf, len: t.length }); for (const x of tf.keys()) this.df.set(x, (this.df.get(x) ?? 0) + 1); }
  finish() { this.avg = this.docs.reduce((a, d) => a + d.len, 0) / this.docs.length; }
  idf(x) { const n = this.docs.length, df = this.df.get(x) ?? 0; return Math.log(1 + (n - df + 0.5) / (df + 0.5)); }
  score(qt, d) { let s = 0; const D = this.docs[d]; for (const x of new Set(qt)) { const f = D.tf.get(x); if (f) s += this.idf(x) * f * (this.k1 + 1) / (f + this.k1 * (1 - this.b + this.b * D.len / this.avg)); } return s; }
}
function windowScore(qt, sentsTok, idf, w, k1 = 1.2, b = 0.5, avg = 25) {
  const terms = [...new Set(qt)]; let best = 0;
  for (let i = 0; i < Math.max(1, sentsTok.length - w + 1); i++) {
    const tf = new Map(); let len = 0;
    for (const s of sentsTok.slice(i, i + w)) for (const t of s) { tf.set(t, (tf.get(t) ?? 0) + 1); len++; }
    let sc = 0; for (const t of terms) { const f = tf.get(t); if (f) sc += idf(t) * f * (k1 + 1) / (f + k1 * (1 - b + b * len / avg)); }
    if (sc > best) best = sc;
  }
  return best;
}
const TOC_RE = /(?<!(?:Section|Table|Chapter|Figure) )\b\d+\.\d+(?:\.\d+)*\s+[A-Z\u201d"]/g;
export function tocDensity(text) { return (text.match(TOC_RE) ?? []).length / Math.max(1, text.length / 100); }

export function buildCorpus(chunks, cfg) {
  const tok = makeTokenizer(cfg);
  const bm = new Bm25(tok, cfg.k1 ?? 1.2, cfg.b ?? 0.75);
  for (const c of chunks) bm.add(c.text);
  bm.finish();
  const cut = (ts) => { const L = cfg.maxSent ?? 0; if (!L || ts.length <= L) return [ts]; const o = []; for (let i = 0; i < ts.length; i += L) o.push(ts.slice(i, i + L)); return o; };
  const sents = chunks.map((c) => splitSentences(c.text).map(tok).flatMap(cut));
  const toc = chunks.map((c) => tocDensity(c.text));
  return { chunks, tok, bm, sents, toc };
}
export function features(C, q, N = 40) {
  const qt = C.tok(q);
  const scores = C.chunks.map((_, d) => C.bm.score(qt, d));
  const order = scores.map((s, d) => [s, d]).filter((x) => x[0] > 0).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, N).map((x) => x[1]);
  const idf = (t) => C.bm.idf(t);
  const uq = [...new Set(qt)]; const idfSum = uq.reduce((a, t) => a + idf(t), 0) || 1;
  const pairs = []; for (let i = 0; i + 1 < qt.length; i++) if (qt[i] !== qt[i + 1]) pairs.push([qt[i], qt[i + 1]]);
  const rows = order.map((d) => {
    const D = C.bm.docs[d];
    const cov = uq.reduce((a, t) => a + (D.tf.has(t) ? idf(t) : 0), 0) / idfSum;
    let pr = 0, pw = 0;
    if (pairs.length) { const pos = new Map(); D.t.forEach((t, i) => { if (!pos.has(t)) pos.set(t, []); pos.get(t).push(i); });
      for (const [a, b] of pairs) { const w = Math.min(idf(a), idf(b)); pw += w; const pa = pos.get(a), pb = pos.get(b); if (pa && pb && pa.some((i) => pb.some((j) => Math.abs(i - j) <= 2))) pr += w; } }
    return { d, bm: scores[d], w1: windowScore(qt, C.sents[d], idf, 1), w2: windowScore(qt, C.sents[d], idf, 2), w3: windowScore(qt, C.sents[d], idf, 3), cov, pair: pw ? pr / pw : 0, toc: C.toc[d] };
  });
  for (const k of ['bm', 'w1', 'w2', 'w3']) { const m = Math.max(...rows.map((r) => r[k]), 1e-9); for (const r of rows) r[k + 'n'] = r[k] / m; }
  return rows;
}
export function rank(rows, W) {
  return rows.map((r) => ({ d: r.d, s: Object.entries(W).reduce((a, [k, w]) => a + w * (r[k] ?? 0), 0) })).sort((a, b) => b.s - a.s || a.d - b.d).map((x) => x.d);
}

// ---- data
const D = new URL('../../packages/rag/data/', import.meta.url).pathname;
const load = (f) => readFileSync(D + f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
export const ref = load('questions-debian-reference.jsonl');
export const dev = ref.filter((q) => Number(q.id.slice(-3)) % 2 === 1);
/** The factual tuning set (not the blind one). */
export const fdev = load('questions-debian-reference-factual-dev.jsonl');
const pdfs = datasetFiles('debian-pdfs');
async function chunksOf(files) { const kb = await KnowledgeBase.open(mkdtempSync(join(tmpdir(), 'p-'))); await kb.ingest(files); const c = kb.store.allChunks(); kb.close(); return c; }
export const refChunks = await chunksOf(pdfs.filter((p) => p.includes('reference')));
const mgChunks = await chunksOf(pdfs.filter((p) => p.includes('maint-guide')));

// ---- synthetic heading queries: heading lines in body text (followed by a long line), heading removed from chunks.
async function synth(file, chunks) {
  const doc = await loadPdf(file);
  const out = []; const texts = chunks.map((c) => c.text);
  for (const p of doc.pages) {
    const lines = p.text.split('\n');
    const headish = lines.filter((l) => /^(\d+(?:\.\d+)+)\.? \S/.test(l)).length;
    if (headish > 0.3 * lines.length) continue; // a table-of-contents page
    for (let i = 0; i + 1 < lines.length; i++) {
      const m = /^(\d+(?:\.\d+)+)\.? (\S.{3,80})$/.exec(lines[i]);
      if (!m || lines[i + 1].length < 60 || /^(Table|Figure)/.test(lines[i + 1])) continue;
      const title = m[2].trim();
      if (title.split(/\s+/).length < 2) continue;
      const key = norm(`${lines[i]} ${lines[i + 1].slice(0, 40)}`);
      const rel = [];
      texts.forEach((t, j) => { if (norm(t).includes(key)) rel.push(j); });
      if (!rel.length) continue;
      out.push({ question: title, rel, strip: norm(lines[i]) });
    }
  }
  // Remove each body heading line from the chunks that hold it.
  const stripped = chunks.map((c) => ({ ...c, text: norm(c.text) }));
  for (const s of out) for (const j of s.rel) stripped[j].text = stripped[j].text.replace(s.strip, ' ');
  return { queries: out, chunks: stripped };
}
export const synRef = await synth(pdfs.find((p) => p.includes('reference')), refChunks);
export const synMg = await synth(pdfs.find((p) => p.includes('maint-guide')), mgChunks);

export function evalSet(C, qs, W, N = 40, isHit) {
  let h1 = 0, h3 = 0, h5 = 0, mrr = 0;
  for (const q of qs) {
    const r = rank(features(C, q.question, N), W);
    const idx = r.slice(0, 10).findIndex((d) => isHit(q, d));
    if (idx === 0) h1++; if (idx >= 0 && idx < 3) h3++; if (idx >= 0 && idx < 5) h5++; if (idx >= 0) mrr += 1 / (idx + 1);
  }
  const n = qs.length; return { n, h1: h1 / n, h3: h3 / n, h5: h5 / n, mrr: mrr / n };
}
export const ansHit = (C) => (q, d) => q.answers.some((a) => norm(C.chunks[d].text).includes(norm(a)));
export const relHit = (q, d) => q.rel.includes(d);

// ---- section headings per chunk: the numbered heading lines (body pages) the chunk holds, plus the one it starts under.
export async function headingsFor(file, chunks) {
  const doc = await loadPdf(file);
  let full = ''; const heads = []; // {pos, title}
  for (const p of doc.pages) {
    const lines = p.text.split('\n');
    const headish = lines.filter((l) => /^(\d+(?:\.\d+)+)\.? \S/.test(l)).length;
    const toc = headish > 0.3 * lines.length;
    for (const l of lines) {
      const m = /^((?:\d+|[A-Z])(?:\.\d+)+)\.? (\S.{1,80})$/.exec(l);
      if (m && !toc) heads.push({ pos: full.length, title: `${m[1]} ${m[2]}` });
      full += norm(l) + ' ';
    }
  }
  let from = 0;
  return chunks.map((c) => {
    const key = norm(c.text).slice(0, 80);
    let at = full.indexOf(key, Math.max(0, from - 2000));
    if (at < 0) at = full.indexOf(key);
    if (at >= 0) from = at;
    const end = at + norm(c.text).length;
    const inside = heads.filter((h) => h.pos >= at && h.pos < end).map((h) => h.title);
    const before = heads.filter((h) => h.pos < at).pop();
    return [...(before ? [before.title] : []), ...inside];
  });
}

// ---- the variants
const f = (x) => x.toFixed(3);
const refPdf = pdfs.find((p) => p.includes('reference'));
const heads = await headingsFor(refPdf, refChunks);
function signals(cfg) {
  const C = buildCorpus(refChunks, cfg), S = buildCorpus(synRef.chunks, cfg), M = buildCorpus(synMg.chunks, cfg);
  const htoks = heads.map((h) => new Set(C.tok(h.join(' '))));
  const withHead = (rows, q) => { const qt = [...new Set(C.tok(q))]; const tot = qt.reduce((a, t) => a + C.bm.idf(t), 0) || 1; for (const r of rows) r.head = qt.reduce((a, t) => a + (htoks[r.d].has(t) ? C.bm.idf(t) : 0), 0) / tot; return rows; };
  const dev1 = dev.map((q) => ({ rows: withHead(features(C, q.question, 40), q.question), hit: (d) => ansHit(C)(q, d) }));
  const syn = [...synRef.queries.map((q) => ({ rows: features(S, q.question, 40), hit: (d) => relHit(q, d) })), ...synMg.queries.map((q) => ({ rows: features(M, q.question, 40), hit: (d) => relHit(q, d) }))];
  const fdev1 = fdev.map((q) => ({ rows: withHead(features(C, q.question, 40), q.question), hit: (d) => ansHit(C)(q, d) }));
  return { dev: dev1, fdev: fdev1, syn };
}
function order(rows, W) {
  if (!W.mode) return rank(rows, W);
  if (W.mode === 'gate') {
    const lin = rank(rows, W.mix); // keep BM25's first result when it leads the second by more than tau
    const b = [...rows].sort((x, y) => y.bm - x.bm || x.d - y.d);
    return b.length > 1 && (b[0].bm - b[1].bm) / b[0].bm > W.tau ? [b[0].d, ...lin.filter((d) => d !== b[0].d)] : lin;
  }
  // 'rrf': reciprocal-rank fusion of the BM25 and window rankings
  const s = new Map();
  rank(rows, { bmn: 1 }).forEach((d, i) => s.set(d, (s.get(d) ?? 0) + W.a / (W.k + i + 1)));
  rank(rows, { w2n: 1 }).forEach((d, i) => s.set(d, (s.get(d) ?? 0) + (1 - W.a) / (W.k + i + 1)));
  return [...s.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]).map((x) => x[0]);
}
function ev(set, W) { let h1 = 0, h5 = 0, mrr = 0; for (const x of set) { const i = order(x.rows, W).slice(0, 10).findIndex(x.hit); if (i === 0) h1++; if (i >= 0 && i < 5) h5++; if (i >= 0) mrr += 1 / (i + 1); } const n = set.length; return { h1: h1 / n, h5: h5 / n, mrr: mrr / n }; }
const show = (label, sig, W) => { const a = ev(sig.dev, W), c = ev(sig.fdev, W), b = ev(sig.syn, W); console.log(`${label.padEnd(44)} dev ${f(a.h1)} ${f(a.h5)} ${f(a.mrr)} | factual-dev ${f(c.h1)} ${f(c.h5)} ${f(c.mrr)} | synthetic ${f(b.h1)} ${f(b.h5)} ${f(b.mrr)}`); };
console.log(`paraphrased dev ${dev.length} questions, factual dev ${fdev.length}, synthetic ${synRef.queries.length + synMg.queries.length} queries; columns: hit@1 hit@5 MRR`);
// DEF: the default before this session (window 2, weight 0.7); the variants below change one thing each.
// The kept default (weight 0.6 plus 0.1 x pair proximity) is the row 'kept: weight 0.6 + pairs 0.1'.
const DEF = { bmn: 0.3, w2n: 0.7 };
for (const [label, cfg] of [['light stemmer, whole identifiers (kept)', {}], ['+ identifier parts', { split: true }], ['+ identifier parts + Porter', { split: true, porter: true }], ['Porter, whole identifiers', { porter: true }]]) {
  const sig = signals(cfg);
  show(`${label}: BM25`, sig, { bmn: 1 });
  show(`${label}: default`, sig, DEF);
}
// The base tokenizer of the variants below: the light stemmer without identifier parts (what @llm/rag uses).
const BASE = {};
for (const [k1, b] of [[0.9, 0.75], [1.5, 0.75], [2, 0.75], [1.2, 0.5], [1.2, 0.9]]) show(`k1 ${k1} b ${b}: default`, signals({ ...BASE, k1, b }), DEF);
const sig = signals(BASE);
for (const [label, W] of [['weight 0.5', { bmn: 0.5, w2n: 0.5 }], ['weight 0.8', { bmn: 0.2, w2n: 0.8 }], ['window 1', { bmn: 0.3, w1n: 0.7 }], ['window 3', { bmn: 0.3, w3n: 0.7 }],
  ['+ pair proximity 0.1', { ...DEF, pair: 0.1 }], ['+ pair proximity 0.2', { ...DEF, pair: 0.2 }], ['+ pair proximity 0.3', { ...DEF, pair: 0.3 }], ['+ coverage 0.1', { ...DEF, cov: 0.1 }], ['+ contents penalty 0.3', { ...DEF, toc: -0.3 }],
  ['+ heading field 0.1', { ...DEF, head: 0.1 }], ['+ heading field 0.3', { ...DEF, head: 0.3 }],
  ['weight 0.3', { bmn: 0.7, w2n: 0.3 }], ['kept: weight 0.6 + pairs 0.1', { bmn: 0.4, w2n: 0.6, pair: 0.1 }], ['weight 0.6', { bmn: 0.4, w2n: 0.6 }],
  ['gate: keep BM25 first if it leads by 10%', { mode: 'gate', tau: 0.1, mix: DEF }], ['gate 20%', { mode: 'gate', tau: 0.2, mix: DEF }], ['gate 30%', { mode: 'gate', tau: 0.3, mix: DEF }],
  ['RRF of BM25 and window ranks, k 60', { mode: 'rrf', k: 60, a: 0.5 }], ['RRF k 10', { mode: 'rrf', k: 10, a: 0.5 }], ['RRF k 10, BM25 share 0.3', { mode: 'rrf', k: 10, a: 0.3 }]]) show(label, sig, W);
// A linear combination fitted on the synthetic queries (coordinate ascent on MRR), then checked on dev.
const keys = ['bmn', 'w1n', 'w2n', 'w3n', 'cov', 'pair', 'toc'];
let W = { ...DEF }; for (const k of keys) W[k] ??= 0;
let best = ev(sig.syn, W).mrr;
for (let it = 0; it < 4; it++) {
  let improved = false;
  for (const k of keys) for (const st of [-1, -0.5, -0.3, -0.2, -0.1, -0.05, 0.05, 0.1, 0.2, 0.3, 0.5, 1]) {
    const W2 = { ...W, [k]: Math.round((W[k] + st) * 100) / 100 };
    const m = ev(sig.syn, W2).mrr;
    if (m > best + 1e-6) { best = m; W = W2; improved = true; }
  }
  if (!improved) break;
}
show('fitted on synthetic ' + JSON.stringify(W), sig, W);
