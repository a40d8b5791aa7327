import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { datasetRows } from '@llm/core';
import { RougeScorer } from './scorer.js';

// Written by tools/golden/eval/make_rouge_large.py (rouge-score's numbers; see the fixture's `peer`).
interface Fixture {
  peer: string;
  pairs: number;
  docs: number;
  types: string[];
  every: number;
  configs: Record<string, { sums: Record<string, [number, number, number]>; sample: Array<Record<string, [number, number, number]>> }>;
}
const fx = JSON.parse(gunzipSync(readFileSync(new URL('../../fixtures/golden/rouge-large.json.gz', import.meta.url))).toString('utf8')) as Fixture;

describe(`ROUGE on 10,000 verse pairs and 2,500 four-line summaries equals ${fx.peer}`, async () => {
  const rows: Array<{ web: string; kjv: string }> = [];
  for await (const { values } of datasetRows('bible-es-en')) {
    rows.push({ web: values.en_web!, kjv: values.en_kjv! });
    if (rows.length >= fx.pairs) break;
  }
  const data = {
    pairs: rows.map((r) => [r.web, r.kjv] as const),
    docs: Array.from({ length: fx.docs }, (_, d) => {
      const g = rows.slice(4 * d, 4 * d + 4);
      return [g.map((r) => r.web).join('\n'), g.map((r) => r.kjv).join('\n')] as const;
    }),
  };
  it.each(Object.keys(fx.configs))('%s: every sum and every sampled score identical', (name) => {
    const [set, mode] = name.split('-') as ['pairs' | 'docs', 'plain' | 'stem'];
    const want = fx.configs[name]!;
    const scorer = new RougeScorer(fx.types, { useStemmer: mode === 'stem' });
    const sums: Record<string, [number, number, number]> = Object.fromEntries(fx.types.map((t) => [t, [0, 0, 0]]));
    const sample: Array<Record<string, [number, number, number]>> = [];
    data[set].forEach(([target, prediction], i) => {
      const s = scorer.score(target, prediction);
      for (const t of fx.types) {
        const x = s[t]!;
        const acc = sums[t]!;
        acc[0] += x.precision;
        acc[1] += x.recall;
        acc[2] += x.fmeasure;
      }
      if (i % fx.every === 0) sample.push(Object.fromEntries(fx.types.map((t) => [t, [s[t]!.precision, s[t]!.recall, s[t]!.fmeasure]])));
    });
    expect(data[set].length).toBe(set === 'pairs' ? 10000 : 2500);
    expect(sample).toEqual(want.sample);
    expect(sums).toEqual(want.sums);
  });
});
