import { describe, expect, it } from 'vitest';
import { Bm25Index, bm25Tokens, rerankBySentenceWindows, sentenceWindowScore, stripRunningHeaders } from '../src/index.js';

describe('sentence-window lexical reranker', () => {
  const idf = () => 1;
  it('scores the query terms higher when one or two consecutive sentences hold them together', () => {
    const q = bm25Tokens('Which package upgrades the system automatically?');
    const together = 'Filler about mirrors. The unattended-upgrades package upgrades the system automatically. More filler.';
    const apart = 'A package is a file. Mirrors are listed here. The system boots. Upgrades happen. Something automatically happens.';
    expect(sentenceWindowScore(q, together, idf, { window: 1 })).toBeGreaterThan(sentenceWindowScore(q, apart, idf, { window: 1 }));
    // With a window covering the whole text, the spread-out chunk catches up on term counts.
    expect(sentenceWindowScore(q, apart, idf, { window: 5 })).toBeGreaterThan(sentenceWindowScore(q, apart, idf, { window: 1 }));
  });

  it('weighs terms by the given idf and combines with the first-stage score', () => {
    const idx = new Bm25Index();
    idx.add('a', 'apt apt apt common words here');
    idx.add('b', 'apt downgrade is not supported');
    idx.add('c', 'apt is a tool');
    expect(idx.idf('downgrade')).toBeGreaterThan(idx.idf('apt'));
    const cands = [
      { id: 'a', score: 2, text: 'apt apt apt. common words here.' },
      { id: 'b', score: 1, text: 'Emergency downgrade with apt is not supported.' },
    ];
    const out = rerankBySentenceWindows('can I downgrade with apt?', cands, (t) => idx.idf(t), { weight: 0.7 });
    expect(out.map((c) => c.id)).toEqual(['b', 'a']);
    // weight 0 keeps the first-stage order.
    expect(rerankBySentenceWindows('can I downgrade with apt?', cands, (t) => idx.idf(t), { weight: 0 }).map((c) => c.id)).toEqual(['a', 'b']);
    expect(rerankBySentenceWindows('x', [], idf)).toEqual([]);
  });
});

describe('running headers of PDF pages', () => {
  it('drops a header repeated on most pages (page numbers aside) and keeps the body', () => {
    const pages = Array.from({ length: 6 }, (_, i) => ({ page: i + 1, text: `Debian Reference ${i + 10} / 233\nBody line ${'abcdef'[i]} about Debian Reference.\nPage ${i + 10}` }));
    pages.push({ page: 7, text: 'Debian Reference xxiii\nPreface text.' });
    const out = stripRunningHeaders(pages);
    expect(out[0]!.text).toBe('Body line a about Debian Reference.');
    expect(out[5]!.text).toBe('Body line f about Debian Reference.');
    expect(out[6]!.text).toBe('Preface text.');
    expect(out[0]!.page).toBe(1);
    // Too few pages to tell a header from content: unchanged.
    expect(stripRunningHeaders(pages.slice(0, 3))).toEqual(pages.slice(0, 3));
  });
});
