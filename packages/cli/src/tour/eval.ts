import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetRows, throwIfAborted, writeJsonAtomic } from '@llm/core';
import { Bleu, BootstrapAggregator, Chrf, RougeScorer } from '@llm/eval';
import type { TourStep } from './types.js';

interface EvalScores {
  segments: number;
  bleu: number;
  bleuLine: string;
  chrf: number;
  chrfLine: string;
  rouge: Record<string, { low: number; mid: number; high: number }>;
}

/**
 * Level 4: evaluation. Scores the King James Bible against the World English Bible (two real
 * English translations of the same verses, from the bundled bible-es-en data) with sacreBLEU-exact
 * BLEU and chrF and rouge-score-exact ROUGE (with bootstrap confidence intervals).
 */
export const evalStep: TourStep = {
  id: 'eval',
  level: 4,
  title: 'evaluation: BLEU, chrF and ROUGE of KJV against WEB',
  async run(ctx) {
    const out = join(ctx.artifactsDir, 'eval', 'scores.json');
    let scores: EvalScores;
    let cached = false;
    if (!ctx.fresh && existsSync(out)) {
      scores = JSON.parse(await readFile(out, 'utf8')) as EvalScores;
      cached = true;
    } else {
      const hyps: string[] = [];
      const refs: string[] = [];
      for await (const { values } of datasetRows('bible-es-en', { signal: ctx.signal })) {
        hyps.push(values.en_kjv!);
        refs.push(values.en_web!);
        if (hyps.length >= 1000) break;
      }
      throwIfAborted(ctx.signal);
      const bleu = new Bleu();
      const b = bleu.corpusScore(hyps, [refs]);
      const chrf = new Chrf();
      const c = chrf.corpusScore(hyps, [refs]);
      const scorer = new RougeScorer(['rouge1', 'rouge2', 'rougeL'], { useStemmer: true });
      const agg = new BootstrapAggregator({ signal: ctx.signal });
      for (let i = 0; i < hyps.length; i++) agg.addScores(scorer.score(refs[i]!, hyps[i]!));
      const r = agg.aggregate();
      scores = {
        segments: hyps.length,
        bleu: b.score, bleuLine: bleu.format(b, { width: 1 }),
        chrf: c.score, chrfLine: chrf.format(c, { width: 1 }),
        rouge: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { low: v.low.fmeasure, mid: v.mid.fmeasure, high: v.high.fmeasure }])),
      };
      await writeJsonAtomic(out, scores);
    }
    ctx.log(scores.bleuLine);
    ctx.log(scores.chrfLine);
    for (const [k, v] of Object.entries(scores.rouge)) ctx.log(`${k} F1 ${(100 * v.mid).toFixed(1)} [${(100 * v.low).toFixed(1)}, ${(100 * v.high).toFixed(1)}]`);
    return {
      summary: `KJV vs WEB, ${scores.segments} verses: BLEU ${scores.bleu.toFixed(1)}, chrF ${scores.chrf.toFixed(1)}, ROUGE-L F1 ${(100 * scores.rouge.rougeL!.mid).toFixed(1)}`,
      metrics: { segments: scores.segments, bleu: Number(scores.bleu.toFixed(2)), chrf: Number(scores.chrf.toFixed(2)), rouge1: Number((100 * scores.rouge.rouge1!.mid).toFixed(2)), rouge2: Number((100 * scores.rouge.rouge2!.mid).toFixed(2)), rougeL: Number((100 * scores.rouge.rougeL!.mid).toFixed(2)) },
      artifacts: [out],
      cached,
    };
  },
};
