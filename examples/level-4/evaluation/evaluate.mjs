// Level 4, evaluation: score one English Bible translation against another with the metrics
// papers report (sacreBLEU BLEU/chrF/TER, rouge-score ROUGE), test whether a "system" is
// significantly better than another, and check an answer's sentences against context passages.
//
//   pnpm --filter @llm/core --filter @llm/eval build
//   node examples/level-4/evaluation/evaluate.mjs [--n 2000]
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkg = join(here, '../../../packages/eval');
const require = createRequire(join(pkg, 'package.json'));
const core = await import(require.resolve('@llm/core'));
const ev = await import(join(pkg, 'dist/index.js'));

const i = process.argv.indexOf('--n');
const N = i > 0 ? Number(process.argv[i + 1]) : 2000;

// 1. Data: KJV and WEB are two real translations of the same verses.
const kjv = [];
const web = [];
for await (const { values } of core.datasetRows('bible-es-en')) {
  kjv.push(values.en_kjv);
  web.push(values.en_web);
  if (kjv.length >= N) break;
}

// 2. Corpus metrics, printed exactly as sacreBLEU prints them (signature included).
const bleu = new ev.Bleu();
console.log(bleu.format(bleu.corpusScore(kjv, [web]), { width: 1 }));
const chrf = new ev.Chrf({ wordOrder: 2 });
console.log(chrf.format(chrf.corpusScore(kjv, [web]), { width: 1 }));
const ter = new ev.Ter();
console.log(ter.format(ter.corpusScore(kjv.slice(0, 300), [web.slice(0, 300)]), { width: 1 }));

// 3. ROUGE with rouge-score's tokenizer and Porter stemmer, bootstrap 95% intervals.
const scorer = new ev.RougeScorer(['rouge1', 'rouge2', 'rougeL'], { useStemmer: true });
const agg = new ev.BootstrapAggregator();
kjv.forEach((h, k) => agg.addScores(scorer.score(web[k], h)));
for (const [type, a] of Object.entries(agg.aggregate())) {
  console.log(`${type.padEnd(7)} F1 ${(100 * a.mid.fmeasure).toFixed(2)}  [${(100 * a.low.fmeasure).toFixed(2)}, ${(100 * a.high.fmeasure).toFixed(2)}]`);
}

// 4. Is a degraded "system" (every 4th verse truncated to half) significantly worse? Paired bootstrap.
const degraded = kjv.map((s, k) => (k % 4 === 0 ? s.split(' ').slice(0, Math.ceil(s.split(' ').length / 2)).join(' ') : s));
const base = bleu.segmentStatistics(kjv, [web]);
const sys = bleu.segmentStatistics(degraded, [web]);
const r = ev.pairedBootstrap(bleu, base, sys, { samples: 1000 });
console.log(`paired bootstrap: baseline ${r.baseline.score.toFixed(2)}, degraded ${r.score.toFixed(2)} (μ ${r.mean.toFixed(2)} ± ${r.ci.toFixed(2)}), p = ${r.pValue.toFixed(4)}`);

// 5. Support check: which sentences of an answer are backed by the passages?
const passages = [web[0], web[1], web[2]];
const answer = 'In the beginning, God created the heavens and the earth. The earth was formless and empty. The moon is made of cheese.';
for (const u of await ev.scoreSupport(answer, passages)) {
  console.log(`${u.supported ? 'supported  ' : 'UNSUPPORTED'} ${u.score.toFixed(2)}  ${u.text}`);
}
