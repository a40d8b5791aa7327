// Word2Vec / fastText training speed and analogy accuracy: @llm/embeddings against gensim's
// Word2Vec (Debian python3-gensim) and the fastText binary (Debian fasttext), same corpus
// (tokenised once and written to one file every tool reads), same hyper-parameters, 2 threads,
// in the same run.
//
//   pnpm --filter @llm/embeddings build
//   node benchmarks/embeddings/train.mjs [--runs 3] [--epochs 5] [--dim 100] [--corpus austen|big|both] [--no-fasttext]
//
// Word2Vec uses gensim's defaults for both models (alpha 0.025; word2vec.c would start CBOW at 0.05);
// fastText lr 0.05 for both fastTexts.
// Corpora: `austen` (the six Austen novels) and `big` (Austen + the three Gutenberg novels + the
// fine-foods reviews + the English Bible, WEB), all from the bundled data.
//
// Per tool it prints medians of: wall seconds of the whole training call (vocabulary included),
// words/s over wall time, words per CPU-second over all threads (the steadier measure on a
// shared, loaded machine), and analogy accuracy. Every tool's vectors are saved in word2vec text
// format and scored by the SAME evaluator (this package's `evaluateAnalogies`, gensim's protocol:
// top 300k words, case-insensitive, 3CosAdd) on the bundled questions-words.txt, with the number
// of questions evaluated (and, for Word2Vec, how far the 10 nearest neighbours agree); gensim's own `evaluate_word_analogies` on its model is printed beside
// as a cross-check. Then the ratios ours / peer.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '../../packages/embeddings');
const require = createRequire(join(pkg, 'package.json'));
const core = await import(require.resolve('@llm/core'));
const E = await import(join(pkg, 'dist/index.js'));

const argv = process.argv;
const arg = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const RUNS = Number(arg('runs', 3)), EPOCHS = Number(arg('epochs', 5)), DIM = Number(arg('dim', 100));
const THREADS = 2, WINDOW = 5, NEG = 5, MIN_COUNT = 5;
const CORPORA = arg('corpus', 'austen') === 'both' ? ['austen', 'big'] : [arg('corpus', 'austen')];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const tmp = mkdtempSync(join(tmpdir(), 'emb-bench-'));
const questions = join(tmp, 'questions-words.txt');
writeFileSync(questions, await core.readText(core.datasetFiles('analogies')[0]));
const qs = E.parseAnalogies(await core.readText(questions));
const score = async (file) => {
  const kv = await E.loadVectors(file);
  const r = E.evaluateAnalogies(kv, qs, { restrictVocab: 300000 });
  return { acc: r.accuracy, evaluated: r.evaluated, kv };
};
// A second quality check that does not need a big corpus: how many of the 10 nearest neighbours
// of each of the 500 most frequent words two models share (mean fraction). Ours against gensim
// is compared with gensim against itself across runs (the spread Hogwild and seeds give anyway).
const TOP = 500;
const neighbourSets = (kv) => new Map(kv.words.slice(0, TOP).map((w) => [w, new Set(kv.mostSimilar(w, 10).map((x) => x.word))]));
const overlap = (a, b) => {
  let sum = 0, n = 0;
  for (const [w, s] of a) { const t = b.get(w); if (!t) continue; let k = 0; for (const x of s) if (t.has(x)) k++; sum += k / 10; n++; }
  return n ? sum / n : NaN;
};

async function sentencesOf(name) {
  if (name === 'austen') return E.sentencesFromText(await core.loadText('austen'));
  if (name !== 'big') throw new Error(`unknown corpus ${name} (austen|big)`);
  const out = [...E.sentencesFromText(await core.loadText('austen')), ...E.sentencesFromText(await core.loadText('gutenberg'))];
  for await (const row of core.datasetRows('fine-foods')) out.push(...E.sentencesFromText(row.values.review));
  for await (const row of core.datasetRows('bible-es-en')) out.push(...E.sentencesFromText(row.values.en_web));
  return out.filter((s) => s.length > 0);
}

const gensimPy = `
import sys, time, json
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
corpus, questions, dim, epochs, sg, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
t = time.time(); c = time.process_time()
m = Word2Vec(LineSentence(corpus), vector_size=dim, window=${WINDOW}, min_count=${MIN_COUNT}, sg=sg, hs=0, negative=${NEG}, sample=1e-3, workers=${THREADS}, epochs=epochs, seed=seed)
sec = time.time() - t; cpu = time.process_time() - c
m.wv.save_word2vec_format(out)
acc, sections = m.wv.evaluate_word_analogies(questions, restrict_vocab=300000)
total = [s for s in sections if s['section'] == 'Total accuracy'][0]
print(json.dumps({'seconds': sec, 'cpu': cpu, 'accuracy': acc, 'evaluated': len(total['correct']) + len(total['incorrect'])}))
`;
const hasFastText = !argv.includes('--no-fasttext') && spawnSync('fasttext', [], { encoding: 'utf8' }).error === undefined;
const timed = async (fn) => { const t = performance.now(), c = process.cpuUsage(); const out = await fn(); const u = process.cpuUsage(c); return { out, seconds: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 }; };

for (const corpusName of CORPORA) {
  const sentences = await sentencesOf(corpusName);
  const corpus = join(tmp, `${corpusName}.txt`);
  writeFileSync(corpus, sentences.map((s) => s.join(' ')).join('\n') + '\n');
  const vocab = E.buildVocab(sentences, MIN_COUNT);
  const corpusWords = vocab.totalWords;
  console.log(`\n== corpus ${corpusName}: ${sentences.length} lines, ${corpusWords} in-vocabulary words (${vocab.words.length} types); dim ${DIM}, window ${WINDOW}, negative ${NEG}, sample 1e-3, epochs ${EPOCHS}, ${THREADS} threads, ${RUNS} runs; load average ${load()}`);
  const results = {};
  const record = (name, r) => {
    r.wps = (corpusWords * EPOCHS) / r.seconds;
    r.wpc = (corpusWords * EPOCHS) / r.cpu;
    if (r.kv && (name.includes('word2vec'))) r.nb = neighbourSets(r.kv);
    delete r.kv;
    (results[name] ??= []).push(r);
    console.log(`  ${name.padEnd(26)} ${r.seconds.toFixed(2)} s  ${Math.round(r.wps).toLocaleString('en')} words/s  ${Math.round(r.wpc).toLocaleString('en')} words/cpu-s  analogy ${(100 * r.acc).toFixed(2)}% of ${r.evaluated}${r.own !== undefined ? ` (gensim's own evaluator ${(100 * r.own).toFixed(2)}% of ${r.ownEvaluated})` : ''}`);
  };
  for (let run = 0; run < RUNS; run++) {
    console.log(`run ${run + 1} (load average ${load()})`);
    for (const sg of [1, 0]) {
      const model = sg ? 'sg' : 'cbow';
      const ours = await timed(() => E.trainWord2Vec(sentences, { dim: DIM, window: WINDOW, negative: NEG, epochs: EPOCHS, minCount: MIN_COUNT, threads: THREADS, model, alpha: 0.025, sample: 1e-3, seed: run + 1, progress: false }));
      const oursVec = join(tmp, `ours-${model}.vec`);
      await E.saveVectors(oursVec, ours.out.vectors);
      record(`ours word2vec ${model}`, { seconds: ours.seconds, cpu: ours.cpu, ...(await score(oursVec)) });
      const gVec = join(tmp, `gensim-${model}.vec`);
      const g = JSON.parse(execFileSync('/usr/bin/python3', ['-c', gensimPy, corpus, questions, String(DIM), String(EPOCHS), String(sg), gVec, String(run + 1)], { encoding: 'utf8' }).trim().split('\n').pop());
      record(`gensim word2vec ${model}`, { seconds: g.seconds, cpu: g.cpu, ...(await score(gVec)), own: g.accuracy, ownEvaluated: g.evaluated });
    }
    const ft = await timed(() => E.trainFastText(sentences, { dim: DIM, window: WINDOW, negative: NEG, epochs: EPOCHS, minCount: MIN_COUNT, threads: THREADS, bucket: 200000, minn: 3, maxn: 6, seed: run + 1, progress: false }));
    const ftVec = join(tmp, 'ours-ft.vec');
    await E.saveVectors(ftVec, ft.out.vectors);
    record('ours fasttext sg', { seconds: ft.seconds, cpu: ft.cpu, ...(await score(ftVec)) });
    if (hasFastText) {
      const out = join(tmp, 'ft');
      const t0 = performance.now();
      const shellOut = execFileSync('bash', ['-c', 'fasttext "$@" >/dev/null; times', 'bash', 'skipgram', '-input', corpus, '-output', out, '-dim', String(DIM), '-ws', String(WINDOW), '-neg', String(NEG), '-epoch', String(EPOCHS),
        '-minCount', String(MIN_COUNT), '-thread', String(THREADS), '-bucket', '200000', '-minn', '3', '-maxn', '6', '-verbose', '0'], { encoding: 'utf8' });
      const seconds = (performance.now() - t0) / 1000;
      // `times` prints the shell's and then its children's user/system times, e.g. "0m12.5s 0m0.3s".
      const child = shellOut.trim().split('\n').pop().split(/\s+/).map((x) => { const m = /(\d+)m([\d.]+)s/.exec(x); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; });
      // Words/s use the same in-vocabulary word count for every tool (fastText also counts one </s> per line).
      record('fasttext skipgram (C++)', { seconds, cpu: child[0] + child[1], ...(await score(`${out}.vec`)) });
    }
  }
  console.log(`\nmedians, corpus ${corpusName} (load average at the end ${load()})`);
  const rows = Object.entries(results).map(([name, rs]) => ({ name, s: median(rs.map((r) => r.seconds)), w: median(rs.map((r) => r.wps)), c: median(rs.map((r) => r.wpc)), a: median(rs.map((r) => r.acc)), n: rs[0].evaluated, own: rs[0].own === undefined ? undefined : median(rs.map((r) => r.own)) }));
  console.log(core.formatTable(['tool', 'wall s', 'words/s', 'words/cpu-s', 'analogy %', 'questions', "gensim's own %"],
    rows.map((r) => [r.name, r.s.toFixed(2), Math.round(r.w).toLocaleString('en'), Math.round(r.c).toLocaleString('en'), (100 * r.a).toFixed(2), String(r.n), r.own === undefined ? '' : (100 * r.own).toFixed(2)])));
  const get = (n) => rows.find((r) => r.name === n);
  const ratio = (a, b) => (get(a) && get(b) ? `${(get(a).w / get(b).w).toFixed(2)}× words/s, ${(get(a).c / get(b).c).toFixed(2)}× words/cpu-s, ${((get(a).a - get(b).a) * 100).toFixed(2)} accuracy points` : 'n/a');
  console.log(`ours/gensim sg:    ${ratio('ours word2vec sg', 'gensim word2vec sg')}`);
  console.log(`ours/gensim cbow:  ${ratio('ours word2vec cbow', 'gensim word2vec cbow')}`);
  console.log(`ours/fastText sg:  ${ratio('ours fasttext sg', 'fasttext skipgram (C++)')}`);
  for (const model of ['sg', 'cbow']) {
    const o = results[`ours word2vec ${model}`], g = results[`gensim word2vec ${model}`];
    const cross = o.map((r, i) => overlap(r.nb, g[i].nb));
    const within = (rs) => (rs.length > 1 ? rs.slice(1).map((r, i) => overlap(rs[i].nb, r.nb)) : []);
    const f = (xs) => (xs.length ? median(xs).toFixed(3) : 'n/a (needs --runs 2)');
    console.log(`neighbour overlap@10, ${TOP} most frequent words, ${model}: ours↔gensim ${f(cross)}, gensim↔gensim (runs) ${f(within(g))}, ours↔ours (runs) ${f(within(o))}`);
  }
}
rmSync(tmp, { recursive: true, force: true });
