import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { datasetFiles, initBackend } from '@llm/core';
import { evaluateSquad } from '@llm/eval';
import type { TourStep } from './types.js';

/** The part of @llm/transformer's task API this step uses (imported at run time, so @llm/cli builds before the package is wired in). */
interface QaExampleLike { id: string; question: string; context: string }
interface QaLike { model: { dispose(): void } }
interface QaApi {
  parseSquad(json: unknown, file?: string): QaExampleLike[];
  loadBertQa(dir: string): Promise<QaLike>;
  trainBertQa(train: QaExampleLike[], dev: QaExampleLike[], o: Record<string, unknown>): Promise<QaLike>;
  saveBertQa(dir: string, qa: QaLike): Promise<void>;
  predictSquad(qa: QaLike, ex: readonly QaExampleLike[], signal?: AbortSignal): Promise<Record<string, string>>;
  slidingWindowAnswer(question: string, context: string): string;
}
const TRANSFORMER_PACKAGE = '@llm/transformer';

/**
 * Level 2: BERT for extractive QA (MLM pre-training on novels, span head on the FAQ set). Reuses
 * `artifacts/bert-qa` (from `examples/level-2/bert-qa`) when present, otherwise trains a tiny one;
 * official SQuAD EM/F1 on the dev set against the lexical sliding-window baseline.
 */
export const bertQaStep: TourStep = {
  id: 'bert-qa',
  level: 2,
  title: 'BERT question answering on the FAQ set vs a sliding-window baseline (SQuAD EM/F1)',
  async run(ctx) {
    await initBackend();
    const api = (await import(TRANSFORMER_PACKAGE)) as QaApi;
    const files = datasetFiles('faq-squad');
    const read = async (f: string): Promise<unknown> => JSON.parse(gunzipSync(await readFile(f)).toString('utf8')) as unknown;
    const trainJson = await read(files.find((f) => f.includes('train'))!);
    const devJson = await read(files.find((f) => f.includes('dev'))!);
    const dev = api.parseSquad(devJson);
    const dir = join(ctx.artifactsDir, 'bert-qa');
    let cached = false;
    let qa: QaLike;
    if (!ctx.fresh && existsSync(join(dir, 'model.safetensors'))) {
      qa = await api.loadBertQa(dir);
      cached = true;
    } else {
      ctx.log('no cached QA model: training a tiny one (the example trains the real one)');
      qa = await api.trainBertQa(api.parseSquad(trainJson), dev, { hiddenSize: 64, layers: 1, heads: 2, vocabSize: 2000, maxChars: 300_000, mlmSteps: ctx.fast ? 4 : 20, qaSteps: ctx.fast ? 6 : 30, batchSize: 8, signal: ctx.signal, log: ctx.log });
      await api.saveBertQa(dir, qa);
    }
    try {
      const subset = dev.slice(0, ctx.fast ? 10 : dev.length);
      const pred = await api.predictSquad(qa, subset, ctx.signal);
      const base = Object.fromEntries(subset.map((e) => [e.id, api.slidingWindowAnswer(e.question, e.context)]));
      const ids = new Set(subset.map((e) => e.id));
      const data = devJson as { data: Array<{ paragraphs: Array<{ qas: Array<{ id: string }> }> }> };
      const filtered = { ...data, data: data.data.map((a) => ({ ...a, paragraphs: a.paragraphs.map((p) => ({ ...p, qas: p.qas.filter((q) => ids.has(q.id)) })) })) };
      const s = evaluateSquad(filtered, pred);
      const b = evaluateSquad(filtered, base);
      return { summary: `FAQ dev (${subset.length} q): BERT EM ${s.exact_match.toFixed(1)} F1 ${s.f1.toFixed(1)}; sliding window EM ${b.exact_match.toFixed(1)} F1 ${b.f1.toFixed(1)}`, metrics: { em: s.exact_match, f1: s.f1, baselineEm: b.exact_match, baselineF1: b.f1 }, artifacts: [dir], cached };
    } finally {
      qa.model.dispose();
    }
  },
};
