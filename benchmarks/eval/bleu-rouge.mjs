// Corpus BLEU and ROUGE on 10k sentence pairs (bundled bible-es-en: KJV as hypotheses, WEB as
// references): @llm/eval against NLTK's corpus_bleu (Debian python3-nltk) in the same run.
// No Python ROUGE implementation is packaged in Debian (rouge-score is pip-only), so ROUGE is
// timed on its own.
//
//   pnpm --filter @llm/core --filter @llm/eval build
//   node benchmarks/eval/bleu-rouge.mjs [--n 10000] [--runs 5]
//
// Prints medians (seconds) and the ratio peer / ours.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '../../packages/eval');
const require = createRequire(join(pkg, 'package.json'));
const core = await import(require.resolve('@llm/core'));
const ev = await import(join(pkg, 'dist/index.js'));

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('n', 10000);
const RUNS = arg('runs', 5);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const time = (fn) => {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  const r = fn();
  const u = process.cpuUsage(c);
  return { s: Number(process.hrtime.bigint() - t) / 1e9, cpu: (u.user + u.system) / 1e6, r };
};

const hyps = [];
const refs = [];
for await (const { values } of core.datasetRows('bible-es-en')) {
  hyps.push(values.en_kjv);
  refs.push(values.en_web);
  if (hyps.length >= N) break;
}
const tsv = core.datasetFiles('bible-es-en')[0];

const rows = [];
const bench = (label, fn) => {
  const times = [];
  const cpus = [];
  let result;
  for (let i = 0; i < RUNS; i++) {
    const { s, cpu, r } = time(fn);
    times.push(s);
    cpus.push(cpu);
    result = r;
  }
  rows.push({ label, median: median(times), cpu: median(cpus), result });
  return median(times);
};

const oursNone = bench('ours BLEU (tokenize none = whitespace, like the NLTK run)', () => new ev.Bleu({ tokenize: 'none', smoothMethod: 'none' }).corpusScore(hyps, [refs]).score);
const ours13a = bench('ours BLEU (sacreBLEU default: 13a tokenizer, exp smoothing)', () => new ev.Bleu().corpusScore(hyps, [refs]).score);
const py = spawnSync('/usr/bin/python3', [join(here, 'bleu_nltk.py'), tsv, String(N), String(RUNS)], { encoding: 'utf8' });
let nltk = null;
if (py.status === 0) {
  const out = JSON.parse(py.stdout.trim().split('\n').pop());
  nltk = { wall: median(out.seconds), cpu: median(out.cpu) };
  rows.push({ label: 'NLTK corpus_bleu (whitespace tokens)', median: nltk.wall, cpu: nltk.cpu, result: out.score });
} else {
  rows.push({ label: `NLTK corpus_bleu: not run (${(py.stderr || py.error?.message || '').trim().split('\n').pop()})`, median: NaN, cpu: NaN, result: NaN });
}
const rougeTypes = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];
bench('ours ROUGE 1/2/L/Lsum, no stemming', () => {
  const sc = new ev.RougeScorer(rougeTypes);
  let f = 0;
  for (let i = 0; i < hyps.length; i++) f += sc.score(refs[i], hyps[i]).rougeL.fmeasure;
  return (100 * f) / hyps.length;
});
bench('ours ROUGE 1/2/L/Lsum, Porter stemming', () => {
  const sc = new ev.RougeScorer(rougeTypes, { useStemmer: true });
  let f = 0;
  for (let i = 0; i < hyps.length; i++) f += sc.score(refs[i], hyps[i]).rougeL.fmeasure;
  return (100 * f) / hyps.length;
});

console.log(`${hyps.length} segment pairs (KJV vs WEB), ${RUNS} runs each, node ${process.version}\n`);
const f = (x) => (Number.isFinite(x) ? x.toFixed(3) : '—');
console.log(core.formatTable(['run', 'median wall s', 'median CPU s', 'score', 'NLTK/ours wall', 'NLTK/ours CPU'], rows.map((r) => [
  r.label, f(r.median), f(r.cpu), Number.isFinite(r.result) ? r.result.toFixed(2) : '—',
  nltk && r.label.startsWith('ours BLEU') ? `${(nltk.wall / r.median).toFixed(1)}×` : '',
  nltk && r.label.startsWith('ours BLEU') ? `${(nltk.cpu / r.cpu).toFixed(1)}×` : '',
])));
console.log('\nROUGE: no Python ROUGE implementation is packaged in Debian (rouge-score is pip-only), so it has no peer here; the score column is mean rougeL F1 × 100.');
if (nltk) console.log(`BLEU scores agree: ours (none) ${oursNone && rows[0].result.toFixed(4)} vs NLTK ${rows.find((r) => r.label.startsWith('NLTK')).result.toFixed(4)} (NLTK differs only for hypotheses shorter than 4 tokens).`);
void ours13a;
