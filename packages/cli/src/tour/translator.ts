import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@llm/core';
import { corpusBleu, corpusChrf } from '@llm/eval';
import type { TourStep } from './types.js';

/** The part of @llm/transformer's task API this step uses (imported at run time, so @llm/cli builds before the package is wired in). */
interface ParallelPairLike { ref: string; book: string; src: string; tgt: string }
interface TranslatorLike { model: { dispose(): void }; meta: { heldOutBooks: string[] } }
interface TransformerTasksApi {
  loadTranslator(dir: string): Promise<TranslatorLike>;
  saveTranslator(dir: string, t: TranslatorLike): Promise<void>;
  trainTranslator(o: Record<string, unknown>): Promise<TranslatorLike & { test: ParallelPairLike[]; seconds: number }>;
  loadBiblePairs(o?: { signal?: AbortSignal }): Promise<ParallelPairLike[]>;
  splitByBooks(pairs: readonly ParallelPairLike[], books: readonly string[]): { train: ParallelPairLike[]; test: ParallelPairLike[] };
  translateMany(t: TranslatorLike, texts: readonly string[], o?: { beam?: number; signal?: AbortSignal }): Promise<string[]>;
}
const TRANSFORMER_PACKAGE = '@llm/transformer';

/**
 * Level 1: a Spanish→English Transformer from scratch. Reuses `artifacts/translator-es-en`
 * (written by `examples/level-1/translator`) when present; otherwise trains a tiny one (about a
 * minute; `--fast` even smaller). Scores a slice of the held-out books with sacreBLEU-exact BLEU/chrF.
 */
export const translatorStep: TourStep = {
  id: 'translator',
  level: 1,
  title: 'a Spanish→English Transformer on the Bible (held-out books, beam search, BLEU/chrF)',
  async run(ctx) {
    await initBackend();
    const api = (await import(TRANSFORMER_PACKAGE)) as TransformerTasksApi;
    const dir = join(ctx.artifactsDir, 'translator-es-en');
    let cached = false;
    let t: TranslatorLike;
    let trainSeconds = 0;
    if (!ctx.fresh && existsSync(join(dir, 'model.safetensors'))) {
      t = await api.loadTranslator(dir);
      cached = true;
    } else {
      // --fast: a tiny smoke model. Otherwise the example's architecture for 300 steps (about 4 minutes
      // on 2 cores with the native kernels; the example's 1500-step default takes about five times that).
      ctx.log(ctx.fast ? 'no cached translator: training a tiny one (the example trains the real one)' : 'no cached translator: training the example\'s model for 300 steps (the example runs 1500)');
      const r = await api.trainTranslator(ctx.fast
        ? { steps: 10, dModel: 64, heads: 2, layers: 1, dFf: 128, vocabSize: 1000, maxTrainPairs: 3000, evalPairs: 16, signal: ctx.signal, log: ctx.log }
        : { steps: 300, dModel: 128, heads: 4, layers: 2, dFf: 512, vocabSize: 2000, batchSize: 32, evalPairs: 16, signal: ctx.signal, log: ctx.log });
      trainSeconds = r.seconds;
      await api.saveTranslator(dir, r);
      t = r;
    }
    try {
      const { test } = api.splitByBooks(await api.loadBiblePairs({ signal: ctx.signal }), t.meta.heldOutBooks);
      const slice = test.slice(0, ctx.fast ? 4 : 12);
      const hyps = await api.translateMany(t, slice.map((p) => p.src), { beam: ctx.fast ? 2 : 4, signal: ctx.signal });
      const refs = [slice.map((p) => p.tgt)];
      const bleu = corpusBleu(hyps, refs).score;
      const chrf = corpusChrf(hyps, refs).score;
      ctx.log(`${slice[0]!.ref}: ${slice[0]!.src}\n  → ${hyps[0]}`);
      return {
        summary: `held-out ${t.meta.heldOutBooks.join(', ')} (${slice.length} verses): BLEU ${bleu.toFixed(1)}, chrF ${chrf.toFixed(1)}`,
        metrics: { bleu, chrf, verses: slice.length, trainSeconds },
        artifacts: [dir],
        cached,
      };
    } finally {
      t.model.dispose();
    }
  },
};
