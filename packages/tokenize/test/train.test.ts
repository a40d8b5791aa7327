import { CancelledError, ConfigError, datasetFiles, loadText } from '@llm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { linesOfFiles, trainBpe, trainWordPiece } from '../src/index.js';

let lines: string[] = [];
beforeAll(async () => { lines = (await loadText('austen')).split('\n').filter((_, i) => i % 3 === 0); }, 60_000);

describe('trainers', () => {
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
