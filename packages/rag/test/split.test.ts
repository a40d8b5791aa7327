import { describe, expect, it } from 'vitest';
import { loadText, ConfigError } from '@llm/core';
import { splitDocument, splitSentences, splitText } from '../src/index.js';

describe('splitting', () => {
  it('keeps every character of the input in some sentence', () => {
    const t = 'Mail request@bugs.debian.org now. Mr. Darcy arrived! Version 2.4.1 is out? Yes.\nNext line';
    const s = splitSentences(t);
    expect(s).toEqual(['Mail request@bugs.debian.org now.', 'Mr. Darcy arrived!', 'Version 2.4.1 is out?', 'Yes.', 'Next line']);
    expect(s.join(' ').replace(/\s/g, '')).toBe(t.replace(/\s/g, ''));
  });

  it('chunks stay under the size, overlap their neighbours, and cover the text', async () => {
    const text = (await loadText('austen', 'persuasion')).slice(0, 20000);
    for (const sentenceAware of [false, true]) {
      const chunks = splitText(text, { chunkSize: 500, chunkOverlap: 100, sentenceAware });
      expect(chunks.length).toBeGreaterThan(40);
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(500);
      // Every word of the text appears in the chunks, in order.
      const words = text.split(/\s+/).filter(Boolean);
      const joined = chunks.join(' ');
      let pos = 0;
      for (const w of words.slice(0, 400)) { pos = joined.indexOf(w, pos); expect(pos).toBeGreaterThanOrEqual(0); }
      // Neighbours share text (the overlap).
      let shared = 0;
      for (let i = 1; i < chunks.length; i++) if (chunks[i]!.slice(0, 30).split(' ').slice(0, 3).join(' ') && chunks[i - 1]!.includes(chunks[i]!.slice(0, 20))) shared++;
      expect(shared / (chunks.length - 1)).toBeGreaterThan(0.5);
    }
  });

  it('is token-aware through a length function', () => {
    const words = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
    const count = (s: string) => s.split(/\s+/).filter(Boolean).length;
    const chunks = splitText(words, { chunkSize: 50, chunkOverlap: 10, length: count });
    for (const c of chunks) expect(count(c)).toBeLessThanOrEqual(50);
    expect(chunks.length).toBeGreaterThanOrEqual(7);
  });

  it('never lets a chunk span two pages, and numbers chunks', () => {
    const chunks = splitDocument({ source: 'a.pdf', title: 'A', pages: [{ page: 1, text: 'One. '.repeat(50) }, { page: 2, text: 'Two. '.repeat(50) }], metadata: {} }, { chunkSize: 100, chunkOverlap: 0 });
    expect(chunks.every((c) => (c.page === 1 ? !c.text.includes('Two') : !c.text.includes('One')))).toBe(true);
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
    expect(chunks[0]!.id).toBe('a.pdf#0');
  });

  it('rejects bad options', () => {
    expect(() => splitText('x', { chunkSize: 10, chunkOverlap: 10 })).toThrow(ConfigError);
    expect(splitText('   ')).toEqual([]);
  });
});
