import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { collect, datasetFiles, readJsonl } from '@llm/core';
import { evaluateRetrieval, extractiveAnswer, KnowledgeBase } from '@llm/rag';
import type { TourStep } from './types.js';

/**
 * Level 3: RAG. Ingests the Debian FAQ PDF into a knowledge base (reused when cached), measures
 * retrieval hit@1/hit@5 on the 19 hand-written questions, and answers one with a citation.
 */
export const ragStep: TourStep = {
  id: 'rag',
  level: 3,
  title: 'RAG over the Debian FAQ PDF: retrieval quality and a cited answer',
  async run(ctx) {
    const dir = join(ctx.artifactsDir, 'rag', 'kb-debian-faq');
    const cached = !ctx.fresh && existsSync(join(dir, 'store.sqlite'));
    const kb = await KnowledgeBase.open(dir);
    try {
      if (!cached) {
        const r = await kb.ingest([datasetFiles('debian-pdfs', 'debian-faq')[0]!], { signal: ctx.signal });
        ctx.log(`ingested ${r.chunks} chunks in ${r.seconds.toFixed(1)} s`);
      }
      const qs = (await collect(readJsonl<{ id: string; question: string; answers: string[] }>(datasetFiles('debian-faq-questions')[0]!))).map((x) => x.value);
      const ev = await evaluateRetrieval(qs, (q, k) => kb.retrieve(q, { k, signal: ctx.signal }), [1, 5]);
      const q = 'Who created the Debian Project?';
      const a = extractiveAnswer(q, await kb.retrieve(q, { k: 5 }));
      ctx.log(`Q: ${q}\n   A: ${a.answer} (${a.citations.map((c) => `page ${c.page}`).join(', ')})`);
      return {
        summary: `default retriever (BM25 + sentence-window rerank) hit@1 ${ev.hitAt[1]!.toFixed(2)}, hit@5 ${ev.hitAt[5]!.toFixed(2)} on ${ev.n} Debian-FAQ questions; answers cite their page`,
        metrics: { hitAt1: Number(ev.hitAt[1]!.toFixed(4)), hitAt5: Number(ev.hitAt[5]!.toFixed(4)), mrr: Number(ev.mrr.toFixed(4)), chunks: kb.size },
        artifacts: [dir],
        cached,
      };
    } finally {
      kb.close();
    }
  },
};
