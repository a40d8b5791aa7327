// Word2Vec / fastText training speed and analogy accuracy: @llm/embeddings against gensim's
// Word2Vec (Debian python3-gensim) and the fastText binary (Debian fasttext), same corpus (the
// six Austen novels, tokenised once), same hyper-parameters, 2 threads, in the same run.
//
//   pnpm --filter @llm/embeddings build
//   node benchmarks/embeddings/train.mjs [--runs 3] [--epochs 5] [--dim 100]
//
// Prints per-tool medians (wall seconds of the whole training call including the vocabulary,
// words/s over wall time, words per CPU-second over all threads — the fairer measure on a shared,
// loaded machine — and analogy accuracy on the bundled questions, gensim-style: top 300k words,
// 3CosAdd) and the ratios ours / peer.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '../../packages/embeddings');
const require = createRequire(join(pkg, 'package.json'));
const core = await import(require.resolve('@llm/core'));
const E = await import(join(pkg, 'dist/index.js'));

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? Number(process.argv[i + 1]) : dflt; };
const RUNS = arg('runs', 3), EPOCHS = arg('epochs', 5), DIM = arg('dim', 100), THREADS = 2, WINDOW = 5, NEG = 5, MIN_COUNT = 5;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const tmp = mkdtempSync(join(tmpdir(), 'emb-bench-'));
const sentences = E.sentencesFromText(await core.loadText('austen'));
const corpus = join(tmp, 'austen.txt');
writeFileSync(corpus, sentences.map((s) => s.join(' ')).join('\n') + '\n');
const questions = join(tmp, 'questions-words.txt');
writeFileSync(questions, await core.readText(core.datasetFiles('analogies')[0]));
const qs = E.parseAnalogies(await core.readText(questions));
const accuracyOf = (kv) => E.evaluateAnalogies(kv, qs, { restrictVocab: 300000 }).accuracy;
let corpusWords = 0;
const vocab = E.buildVocab(sentences, MIN_COUNT);
corpusWords = vocab.totalWords;
console.log(`corpus: Austen, ${sentences.length} lines, ${corpusWords} in-vocabulary words (${vocab.words.length} types); dim ${DIM}, window ${WINDOW}, negative ${NEG}, epochs ${EPOCHS}, ${THREADS} threads, ${RUNS} runs`);

const gensimPy = `
import sys, time, json, logging
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
corpus, questions, dim, epochs, sg = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
t = time.time(); c = time.process_time()
m = Word2Vec(LineSentence(corpus), vector_size=dim, window=${WINDOW}, min_count=${MIN_COUNT}, sg=sg, hs=0, negative=${NEG}, sample=1e-3, workers=${THREADS}, epochs=epochs, seed=1)
sec = time.time() - t; cpu = time.process_time() - c
acc, _ = m.wv.evaluate_word_analogies(questions, restrict_vocab=300000)
print(json.dumps({'seconds': sec, 'cpu': cpu, 'accuracy': acc}))
`;
const hasFastText = spawnSync('fasttext', [], { encoding: 'utf8' }).error === undefined;

const results = {};
const record = (name, r) => {
  r.wps = (corpusWords * EPOCHS) / r.seconds;
  r.wpc = (corpusWords * EPOCHS) / r.cpu;
  (results[name] ??= []).push(r);
  console.log(`  ${name.padEnd(26)} ${r.seconds.toFixed(2)} s  ${Math.round(r.wps).toLocaleString('en')} words/s  ${Math.round(r.wpc).toLocaleString('en')} words/cpu-s  analogy ${(100 * r.acc).toFixed(2)}%`);
};
const timed = async (fn) => { const t = performance.now(), c = process.cpuUsage(); const out = await fn(); const u = process.cpuUsage(c); return { out, seconds: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 }; };

for (let run = 0; run < RUNS; run++) {
  console.log(`run ${run + 1}`);
  for (const sg of [1, 0]) {
    const model = sg ? 'sg' : 'cbow';
    const ours = await timed(() => E.trainWord2Vec(sentences, { dim: DIM, window: WINDOW, negative: NEG, epochs: EPOCHS, minCount: MIN_COUNT, threads: THREADS, model, alpha: 0.025, sample: 1e-3, seed: run + 1, progress: false }));
    record(`ours word2vec ${model}`, { seconds: ours.seconds, cpu: ours.cpu, acc: accuracyOf(ours.out.vectors) });
    const g = JSON.parse(execFileSync('/usr/bin/python3', ['-c', gensimPy, corpus, questions, String(DIM), String(EPOCHS), String(sg)], { encoding: 'utf8' }).trim().split('\n').pop());
    record(`gensim word2vec ${model}`, { seconds: g.seconds, cpu: g.cpu, acc: g.accuracy });
  }
  const ft = await timed(() => E.trainFastText(sentences, { dim: DIM, window: WINDOW, negative: NEG, epochs: EPOCHS, minCount: MIN_COUNT, threads: THREADS, bucket: 200000, minn: 3, maxn: 6, seed: run + 1, progress: false }));
  record('ours fasttext sg', { seconds: ft.seconds, cpu: ft.cpu, acc: accuracyOf(ft.out.vectors) });
  if (hasFastText) {
    const out = join(tmp, 'ft');
    const t0 = performance.now();
    const shellOut = execFileSync('bash', ['-c', 'fasttext "$@" >/dev/null; times', 'bash', 'skipgram', '-input', corpus, '-output', out, '-dim', String(DIM), '-ws', String(WINDOW), '-neg', String(NEG), '-epoch', String(EPOCHS),
      '-minCount', String(MIN_COUNT), '-thread', String(THREADS), '-bucket', '200000', '-minn', '3', '-maxn', '6', '-verbose', '0'], { encoding: 'utf8' });
    const seconds = (performance.now() - t0) / 1000;
    // `times` prints the shell's and then its children's user/system times, e.g. "0m12.5s 0m0.3s".
    const child = shellOut.trim().split('\n').pop().split(/\s+/).map((x) => { const m = /(\d+)m([\d.]+)s/.exec(x); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; });
    // Words/s use the same in-vocabulary word count for every tool (fastText also counts one </s> per line).
    record('fasttext skipgram (C++)', { seconds, cpu: child[0] + child[1], acc: accuracyOf(await E.loadVectors(`${out}.vec`)) });
  }
}
rmSync(tmp, { recursive: true, force: true });

console.log('\nmedians');
const rows = Object.entries(results).map(([name, rs]) => [name, median(rs.map((r) => r.seconds)), median(rs.map((r) => r.wps)), median(rs.map((r) => r.wpc)), median(rs.map((r) => r.acc))]);
console.log(core.formatTable(['tool', 'wall s', 'words/s', 'words/cpu-s', 'analogy %'], rows.map(([n, s, w, c, a]) => [n, s.toFixed(2), Math.round(w).toLocaleString('en'), Math.round(c).toLocaleString('en'), (100 * a).toFixed(2)])));
const get = (n) => rows.find((r) => r[0] === n);
const ratio = (a, b) => (get(a) && get(b) ? `${(get(a)[2] / get(b)[2]).toFixed(2)}× words/s, ${(get(a)[3] / get(b)[3]).toFixed(2)}× words/cpu-s, ${((get(a)[4] - get(b)[4]) * 100).toFixed(2)} accuracy points` : 'n/a');
console.log(`\nours/gensim sg:    ${ratio('ours word2vec sg', 'gensim word2vec sg')}`);
console.log(`ours/gensim cbow:  ${ratio('ours word2vec cbow', 'gensim word2vec cbow')}`);
console.log(`ours/fastText sg:  ${ratio('ours fasttext sg', 'fasttext skipgram (C++)')}`);
