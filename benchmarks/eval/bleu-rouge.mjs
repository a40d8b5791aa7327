// Corpus BLEU and ROUGE on 10k sentence pairs (bundled bible-es-en: KJV as hypotheses, WEB as
// references): @llm/eval against Python peers in the same run.
//   BLEU: NLTK 3.8's corpus_bleu (Debian python3-nltk), (a) on the same whitespace tokens as our
//         tokenize='none' run, (b) with NLTK's own TreebankWordTokenizer inside the timing, against
//         our sacreBLEU default (13a tokenizer) — the full pipeline from strings on both sides.
//   ROUGE: rouge1/2/L/Lsum with and without Porter stemming against Google's rouge-score when
//         --rouge-score DIR names a directory holding it (PyPI's `rouge_score/` or the google-research
//         `rouge/` folder); otherwise against benchmarks/eval/rouge_reference.py, a reference
//         implementation of rouge-score's algorithm on Debian's python3-nltk (rouge-score is not in
//         Debian and PyPI may be unreachable).
//
//   pnpm --filter @llm/core --filter @llm/eval build
//   node benchmarks/eval/bleu-rouge.mjs [--n 10000] [--runs 5] [--rouge-runs 3] [--rouge-score DIR]
//
// Prints medians (wall and process CPU seconds) and the ratios peer / ours.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '../../packages/eval');
const require = createRequire(join(pkg, 'package.json'));
const core = await import(require.resolve('@llm/core'));
const ev = await import(join(pkg, 'dist/index.js'));

const argOf = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const N = Number(argOf('n') ?? 10000);
const RUNS = Number(argOf('runs') ?? 5);
const ROUGE_RUNS = Number(argOf('rouge-runs') ?? 3);
const rougeScoreDir = argOf('rouge-score');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const hyps = [];
const refs = [];
for await (const { values } of core.datasetRows('bible-es-en')) {
  hyps.push(values.en_kjv);
  refs.push(values.en_web);
  if (hyps.length >= N) break;
}
const tsv = core.datasetFiles('bible-es-en')[0];
const load0 = loadavg()[0];

const ours = (runs, fn) => {
  const wall = [];
  const cpu = [];
  let score;
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    score = fn();
    const u = process.cpuUsage(c);
    wall.push(Number(process.hrtime.bigint() - t) / 1e9);
    cpu.push((u.user + u.system) / 1e6);
  }
  return { wall: median(wall), cpu: median(cpu), score };
};
const python = (script, runs, extra = []) => {
  const r = spawnSync('/usr/bin/python3', [join(here, script), tsv, String(N), String(runs), ...extra], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    console.error(`${script} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
};
const peerRow = (x) => x && { wall: median(x.seconds), cpu: median(x.cpu), score: x.score };

// BLEU
const bleuNone = ours(RUNS, () => new ev.Bleu({ tokenize: 'none', smoothMethod: 'none' }).corpusScore(hyps, [refs]).score);
const bleu13a = ours(RUNS, () => new ev.Bleu().corpusScore(hyps, [refs]).score);
const nltk = python('bleu_nltk.py', RUNS);
// ROUGE
const types = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];
const rougeOurs = (useStemmer) => ours(ROUGE_RUNS, () => {
  const sc = new ev.RougeScorer(types, { useStemmer });
  let f = 0;
  for (let i = 0; i < hyps.length; i++) f += sc.score(refs[i], hyps[i]).rougeL.fmeasure;
  return (100 * f) / hyps.length;
});
const rougePlain = rougeOurs(false);
const rougeStem = rougeOurs(true);
const peer = python('rouge_peer.py', ROUGE_RUNS, rougeScoreDir ? ['--rouge-score', rougeScoreDir] : []);

const f3 = (x) => (x && Number.isFinite(x) ? x.toFixed(3) : '—');
const ratio = (p, o) => (p && o ? `${(p / o).toFixed(1)}×` : '—');
const rows = [];
const pair = (what, o, p, oursLabel, peerLabel) => {
  rows.push([`${what}: ${oursLabel}`, f3(o.wall), f3(o.cpu), o.score.toFixed(4), '', '']);
  rows.push([`${what}: ${peerLabel}`, f3(p?.wall), f3(p?.cpu), p ? p.score.toFixed(4) : '—', ratio(p?.wall, o.wall), ratio(p?.cpu, o.cpu)]);
};
pair('BLEU same tokens', bleuNone, peerRow(nltk?.whitespace), 'ours, tokenize none (str.split)', 'NLTK corpus_bleu, str.split tokens');
pair('BLEU full pipeline', bleu13a, peerRow(nltk?.treebank), 'ours, sacreBLEU default (13a, exp)', 'NLTK corpus_bleu + TreebankWordTokenizer');
const peerName = peer ? (peer.peer.startsWith('rouge-score') ? 'rouge-score' : 'reference script') : 'peer';
pair('ROUGE 1/2/L/Lsum', rougePlain, peerRow(peer?.plain), 'ours', peerName);
pair('ROUGE 1/2/L/Lsum + stem', rougeStem, peerRow(peer?.stem), 'ours', peerName);

console.log(`${hyps.length} segment pairs (KJV vs WEB); BLEU ${RUNS} runs, ROUGE ${ROUGE_RUNS} runs; node ${process.version}; load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
if (peer) console.log(`ROUGE peer: ${peer.peer}`);
console.log('');
console.log(core.formatTable(['run', 'median wall s', 'median CPU s', 'score', 'peer/ours wall', 'peer/ours CPU'], rows));
console.log('\nScores: BLEU × 100 (NLTK ×100); ROUGE: mean rougeL F1 × 100 over the pairs.');
if (nltk) console.log(`BLEU on the same tokens: ours ${bleuNone.score.toFixed(6)} vs NLTK ${nltk.whitespace.score.toFixed(6)}. The full-pipeline scores differ because the tokenizers differ (13a vs Treebank).`);
if (peer) console.log(`ROUGE mean rougeL F1: ours ${rougePlain.score} / ${rougeStem.score} vs peer ${peer.plain.score} / ${peer.stem.score} (no stem / stem).`);
