import { describe, expect, it } from 'vitest';
import { Bm25Index, bm25Tokens, pairProximity, rerankBySentenceWindows, sentenceWindowScore, stripRunningHeaders } from '../src/index.js';

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

describe('phrase proximity of question term pairs', () => {
  it('is the idf-weighted share of adjacent question pairs found close together', () => {
    const q = bm25Tokens('How do I use the magic SysRq key?'); // use, magic, sysrq, key
    expect(q).toEqual(['use', 'magic', 'sysrq', 'key']);
    const idf = (t: string) => ({ use: 1, magic: 3, sysrq: 4, key: 2 })[t] ?? 1;
    // pairs (weight = smaller idf): use-magic 1, magic-sysrq 3, sysrq-key 2 → total 6
    expect(pairProximity(q, 'The magic SysRq key rescues the system.', idf)).toBeCloseTo(5 / 6);
    expect(pairProximity(q, 'Magic happens. Later, far away in this text, SysRq appears once.', idf)).toBe(0);
    expect(pairProximity(q, 'You can use magic.', idf)).toBeCloseTo(1 / 6);
    // within the distance: one token between the pair still counts at distance 2, not at 1
    expect(pairProximity(q, 'magic foo sysrq', idf, 2)).toBeCloseTo(3 / 6);
    expect(pairProximity(q, 'magic foo sysrq', idf, 1)).toBe(0);
    expect(pairProximity(['one'], 'one one', idf)).toBe(0);
  });

  it('lifts a chunk that holds the question phrase over one that only shares its words', () => {
    const cands = [
      { id: 'a-spread', score: 1, text: 'Magic is everywhere in this long sentence. The SysRq label is printed near the key.' },
      { id: 'b-phrase', score: 1, text: 'Use the magic SysRq key. Nothing else is said here today.' },
    ];
    expect(pairProximity(bm25Tokens('the magic SysRq key'), cands[0]!.text, () => 1)).toBe(0);
    expect(pairProximity(bm25Tokens('the magic SysRq key'), cands[1]!.text, () => 1)).toBe(1);
    const out = rerankBySentenceWindows('the magic SysRq key', cands, () => 1, { weight: 0, pairWeight: 0.1 });
    expect(out[0]!.id).toBe('b-phrase');
    // without the proximity term the tie keeps id order
    expect(rerankBySentenceWindows('the magic SysRq key', cands, () => 1, { weight: 0, pairWeight: 0 })[0]!.id).toBe('a-spread');
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
