import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetRows, loadText, throwIfAborted } from '@llm/core';
import type { TourStep } from './types.js';

/** The part of @llm/tokenize this step uses (imported at run time, so @llm/cli builds before the package is wired in). */
interface TokenizeApi {
  getEncoding(name: 'r50k_base' | 'cl100k_base' | 'o200k_base'): { encodeOrdinary(text: string): number[] };
  trainBpe(lines: string[], options: { vocabSize: number; specialTokens?: string[]; signal?: AbortSignal }): Promise<{ tokenizer: HfLike }>;
  HfTokenizer: { load(path: string): HfLike };
}
interface HfLike {
  readonly vocabSize: number;
  encode(text: string, pair?: string, options?: { addSpecialTokens?: boolean }): { ids: number[] };
  save(path: string): Promise<void>;
}
const TOKENIZE_PACKAGE = '@llm/tokenize';

/**
 * Level 1: tokenisation. Trains a ~4k byte-level BPE on the Austen novels (seconds), then
 * compares tokens per word against GPT-2 (r50k), GPT-4 (cl100k) and GPT-4o (o200k) on held-out
 * English (KJV) and Spanish (Reina-Valera) Bible verses.
 */
export const tokenizeStep: TourStep = {
  id: 'tokenize',
  level: 1,
  title: 'tokenisation: train a BPE, compare with GPT encodings',
  async run(ctx) {
    const { getEncoding, trainBpe, HfTokenizer } = (await import(TOKENIZE_PACKAGE)) as TokenizeApi;
    const dir = join(ctx.artifactsDir, 'tokenize');
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'bpe-4k.tokenizer.json');
    let cached = false;
    let trainSeconds = 0;
    let bpe: HfLike;
    if (!ctx.fresh && existsSync(path)) {
      bpe = HfTokenizer.load(path);
      cached = true;
    } else {
      const t0 = performance.now();
      const lines = (await loadText('austen')).split('\n');
      bpe = (await trainBpe(lines, { vocabSize: 4096, specialTokens: ['<|endoftext|>'], signal: ctx.signal })).tokenizer;
      trainSeconds = (performance.now() - t0) / 1000;
      await bpe.save(path);
      ctx.log(`trained a ${bpe.vocabSize}-token byte-level BPE on Austen in ${trainSeconds.toFixed(1)} s`);
    }
    const en: string[] = [];
    const es: string[] = [];
    let i = 0;
    for await (const row of datasetRows('bible-es-en', { signal: ctx.signal })) {
      if (i++ % 10 !== 0) continue;
      en.push(row.values.en_kjv ?? '');
      es.push(row.values.es_rv1909 ?? '');
    }
    throwIfAborted(ctx.signal);
    const words = (xs: string[]) => xs.reduce((a, s) => a + (s.match(/\S+/gu)?.length ?? 0), 0);
    const perWord = (count: (s: string) => number, xs: string[]) => xs.reduce((a, s) => a + count(s), 0) / words(xs);
    const metrics: Record<string, number | string> = {};
    const rows: string[] = [];
    const counters: Array<[string, (s: string) => number]> = [
      ['austen-bpe-4k', (s) => bpe.encode(s, undefined, { addSpecialTokens: false }).ids.length],
      ['r50k_base', (s) => getEncoding('r50k_base').encodeOrdinary(s).length],
      ['cl100k_base', (s) => getEncoding('cl100k_base').encodeOrdinary(s).length],
      ['o200k_base', (s) => getEncoding('o200k_base').encodeOrdinary(s).length],
    ];
    for (const [name, count] of counters) {
      const a = perWord(count, en);
      const b = perWord(count, es);
      metrics[`${name}.en_tokens_per_word`] = Number(a.toFixed(3));
      metrics[`${name}.es_tokens_per_word`] = Number(b.toFixed(3));
      rows.push(`${name}: ${a.toFixed(2)} en / ${b.toFixed(2)} es tokens per word`);
    }
    for (const r of rows) ctx.log(r);
    if (trainSeconds) metrics.train_seconds = Number(trainSeconds.toFixed(2));
    return {
      summary: `BPE-4k ${Number(metrics['austen-bpe-4k.en_tokens_per_word']).toFixed(2)}/${Number(metrics['austen-bpe-4k.es_tokens_per_word']).toFixed(2)} tok/word (en/es) vs o200k ${Number(metrics['o200k_base.en_tokens_per_word']).toFixed(2)}/${Number(metrics['o200k_base.es_tokens_per_word']).toFixed(2)}`,
      metrics,
      artifacts: [path],
      cached,
    };
  },
};
