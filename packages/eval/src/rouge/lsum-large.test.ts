import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RougeScorer } from './scorer.js';
import { rougeTokenize } from './tokenize.js';

// rouge-score's rouge/testdata/target_large.txt and prediction_large.txt (Apache-2.0), copied
// unchanged and gzip-compressed; see fixtures/rouge-score/README.md.
const read = (name: string) =>
  gunzipSync(readFileSync(new URL(`../../fixtures/rouge-score/${name}`, import.meta.url))).toString('utf8');
// Python's f.read() in text mode: the files are ASCII with '\n' line ends, so the text is unchanged.
const target = read('target_large.txt.gz');
const prediction = read('prediction_large.txt.gz');
// assertAlmostEqual(a, b, places): round(a - b, places) == 0.
const close = (a: number, b: number, places: number) => expect(Math.abs(a - b)).toBeLessThan(0.5 * 10 ** -places);

describe('rouge-score testdata (large)', () => {
  it('fixtures have the lengths of the upstream files', () => {
    // Character counts of rouge/testdata/target_large.txt and prediction_large.txt upstream.
    expect(target.length).toBe(142172);
    expect(prediction.length).toBe(89485);
  });

  it('testRougeLsumLarge', () => {
    // rouge_scorer_test.py testRougeLsumLarge:
    //   scorer = rouge_scorer.RougeScorer(["rougeLsum"]); result = scorer.score(target, prediction)
    //   self.assertAlmostEqual(0.533, result["rougeLsum"].fmeasure, places=3)
    const r = new RougeScorer(['rougeLsum']).score(target, prediction).rougeLsum!;
    close(r.fmeasure, 0.533, 3);
  });

  it('string-level tokenizer path gives the same rougeLsum', () => {
    // Same scoring through the generic (caller-supplied tokenizer) path instead of the id fast path.
    const fast = new RougeScorer(['rougeLsum']).score(target, prediction).rougeLsum!;
    const generic = new RougeScorer(['rouge1', 'rougeLsum'], { tokenizer: (t) => rougeTokenize(t) }).score(target, prediction)
      .rougeLsum!;
    expect(generic).toEqual(fast);
    close(generic.fmeasure, 0.533, 3);
  });
});
