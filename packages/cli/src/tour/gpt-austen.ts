import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@llm/core';
import type { TourStep } from './types.js';

/** The part of @llm/transformer's task API this step uses (imported at run time, so @llm/cli builds before the package is wired in). */
interface GptLike { model: { dispose(): void } }
interface LmApi {
  loadAustenGpt(dir: string): Promise<GptLike>;
  trainAustenGpt(o: Record<string, unknown>): Promise<GptLike & { meta: { valPerplexity: number } }>;
  saveAustenGpt(dir: string, g: GptLike): Promise<void>;
  evaluateAustenGpt(g: GptLike, o?: { windows?: number; signal?: AbortSignal }): Promise<{ perplexity: number; bitsPerChar: number }>;
  sampleText(g: GptLike, prompt: string, o?: { maxTokens?: number; seed?: number; signal?: AbortSignal }): Promise<string>;
}
const TRANSFORMER_PACKAGE = '@llm/transformer';

/**
 * Level 2: a character-level GPT (LLaMA architecture) on Jane Austen. Reuses
 * `artifacts/gpt-austen` (from `examples/level-2/gpt-austen`) when present, otherwise trains a tiny
 * one; reports validation perplexity / bits per character on the held-out tail and one sample.
 */
export const gptAustenStep: TourStep = {
  id: 'gpt-austen',
  level: 2,
  title: 'a GPT (LLaMA) on Jane Austen: validation perplexity and a sample',
  async run(ctx) {
    await initBackend();
    const api = (await import(TRANSFORMER_PACKAGE)) as LmApi;
    const dir = join(ctx.artifactsDir, 'gpt-austen');
    let cached = false;
    let g: GptLike;
    if (!ctx.fresh && existsSync(join(dir, 'model.safetensors'))) {
      g = await api.loadAustenGpt(dir);
      cached = true;
    } else {
      ctx.log('no cached Austen GPT: training a tiny one (the example trains the real one)');
      g = await api.trainAustenGpt({ tokenizer: 'char', context: 64, hiddenSize: 64, layers: 2, heads: 2, steps: ctx.fast ? 10 : 40, batchSize: 8, evalWindows: 8, signal: ctx.signal, log: ctx.log });
      await api.saveAustenGpt(dir, g);
    }
    try {
      const r = await api.evaluateAustenGpt(g, { windows: ctx.fast ? 4 : 16, signal: ctx.signal });
      const sample = await api.sampleText(g, 'Mr. Darcy', { maxTokens: ctx.fast ? 40 : 120, signal: ctx.signal });
      ctx.log(`Mr. Darcy${sample}`);
      return { summary: `validation perplexity ${r.perplexity.toFixed(2)}/char-token, ${r.bitsPerChar.toFixed(2)} bits/char`, metrics: { perplexity: r.perplexity, bitsPerChar: r.bitsPerChar }, artifacts: [dir], cached };
    } finally {
      g.model.dispose();
    }
  },
};
