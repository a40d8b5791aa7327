import { CancelledError, ConfigError, datasetFiles, loadText } from '@llm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { learnMerges, linesOfFiles, trainBpe, trainWordPiece } from '../src/index.js';

/** Reference: recount every pair after every merge (slow, obviously right), same tie-breaking. */
function naiveMerges(counts: Map<string, number>, specials: string[], vocabSize: number, minFrequency: number): Array<[string, string]> {
  const alphabet = [...new Set([...counts.keys()].flatMap((w) => Array.from(w)))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const toks = [...specials, ...alphabet];
  const id = new Map(toks.map((t, i) => [t, i]));
  let words = [...counts.keys()].map((w) => Array.from(w, (ch) => id.get(ch)!));
  const freq = [...counts.values()];
  const merges: Array<[string, string]> = [];
  while (toks.length < vocabSize) {
    const pc = new Map<string, number>();
    words.forEach((w, wi) => { for (let i = 0; i + 1 < w.length; i++) { const k = `${w[i]},${w[i + 1]}`; pc.set(k, (pc.get(k) ?? 0) + freq[wi]!); } });
    let best: [number, number, number] | undefined;
    for (const [k, c] of pc) {
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (!best || c > best[0] || (c === best[0] && (a < best[1] || (a === best[1] && b < best[2])))) best = [c, a, b];
    }
    if (!best || best[0] < minFrequency) break;
    const [, a, b] = best;
    merges.push([toks[a]!, toks[b]!]);
    const nid = toks.length;
    toks.push(toks[a]! + toks[b]!);
    words = words.map((w) => { const o: number[] = []; for (let i = 0; i < w.length; i++) { if (i + 1 < w.length && w[i] === a && w[i + 1] === b) { o.push(nid); i++; } else o.push(w[i]!); } return o; });
  }
  return merges;
}

let lines: string[] = [];
beforeAll(async () => { lines = (await loadText('austen')).split('\n').filter((_, i) => i % 3 === 0); }, 60_000);

describe('trainers', () => {
  it('incremental pair counts give exactly the merges of a full recount per merge', () => {
    const counts = new Map<string, number>();
    for (const l of lines.slice(0, 600)) for (const w of l.split(/(?=\s)/u)) counts.set(w, (counts.get(w) ?? 0) + 1);
    counts.set('aaaaaaa', 9); // repeated symbols: overlapping pairs
    counts.set('abababab', 7);
    const { merges } = learnMerges(counts, { specials: ['<s>'], vocabSize: 700, minFrequency: 2, initialAlphabet: [], symbolize: (w) => Array.from(w), join: (a, b) => a + b, label: 't', showProgress: false });
    expect(merges).toEqual(naiveMerges(counts, ['<s>'], 700, 2));
    expect(merges.length).toBeGreaterThan(300);
  });

  it('BPE: vocabulary size, special tokens first, byte alphabet, deterministic', async () => {
    const progress: number[] = [];
    const a = await trainBpe(lines, { vocabSize: 1200, specialTokens: ['<|endoftext|>', '<pad>'], showProgress: false, onProgress: (d) => progress.push(d) });
    const b = await trainBpe(lines, { vocabSize: 1200, specialTokens: ['<|endoftext|>', '<pad>'], showProgress: false });
    expect(a.tokenizer.vocabSize).toBe(1200);
    expect(a.tokenizer.tokenToId('<|endoftext|>')).toBe(0);
    expect(a.tokenizer.tokenToId('<pad>')).toBe(1);
    expect(a.tokenizer.tokenToId('Ġ')).toBeDefined();
    expect(a.stats.merges).toBe(1200 - 2 - 256);
    expect(progress[progress.length - 1]).toBe(a.stats.merges);
    expect(JSON.stringify(a.tokenizer.toJSON())).toBe(JSON.stringify(b.tokenizer.toJSON()));
    // Frequent words become single tokens; any text round-trips (byte-level: no unknowns).
    expect(a.tokenizer.encode(' the').ids).toHaveLength(1);
    const s = 'Emma Woodhouse, handsome, clever, and rich — ñandú 😀';
    expect(a.tokenizer.decode(a.tokenizer.encode(s).ids)).toBe(s);
  });

  it('BPE: min frequency stops early; too small a vocabulary is a ConfigError', async () => {
    const r = await trainBpe(lines.slice(0, 200), { vocabSize: 50_000, minFrequency: 50, showProgress: false });
    expect(r.tokenizer.vocabSize).toBeLessThan(50_000);
    await expect(trainBpe(lines.slice(0, 10), { vocabSize: 100, showProgress: false })).rejects.toThrow(ConfigError);
  });

  it('BPE: trains from gzip files and stops on abort', async () => {
    const files = datasetFiles('austen').slice(0, 1);
    const r = await trainBpe(linesOfFiles(files), { vocabSize: 400, showProgress: false });
    expect(r.stats.uniqueWords).toBeGreaterThan(1000);
    const ac = new AbortController();
    const p = trainBpe(lines, { vocabSize: 5000, showProgress: false, signal: ac.signal, onProgress: (d) => { if (d === 10) ac.abort(); } });
    await expect(p).rejects.toThrow(CancelledError);
  });

  it('WordPiece: BERT specials, ## continuations, deterministic, pairs', async () => {
    const a = await trainWordPiece(lines, { vocabSize: 1500, showProgress: false });
    const b = await trainWordPiece(lines, { vocabSize: 1500, showProgress: false });
    expect(JSON.stringify(a.tokenizer.toJSON())).toBe(JSON.stringify(b.tokenizer.toJSON()));
    const t = a.tokenizer;
    expect(t.vocabSize).toBe(1500);
    expect(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((x) => t.tokenToId(x))).toEqual([0, 1, 2, 3, 4]);
    const e = t.encode('Unaccountable behaviour', 'Second part');
    expect(e.tokens[0]).toBe('[CLS]');
    expect(e.tokens.some((x) => x.startsWith('##'))).toBe(true);
    expect(e.typeIds[e.typeIds.length - 1]).toBe(1);
    expect(t.decode(e.ids, { skipSpecialTokens: true })).toBe('unaccountable behaviour second part');
  });
});
