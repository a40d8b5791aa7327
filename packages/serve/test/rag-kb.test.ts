import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetFiles } from '@llm/core';
import { KnowledgeBase } from '@llm/rag';
import { KnowledgeBaseAnswerer, startServer } from '../src/index.js';

describe('/v1/rag/ask over an @llm/rag knowledge base', () => {
  it('answers with cited pages, extractively, or with a served model whose sentences are checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-serve-kb-'));
    const kb = await KnowledgeBase.open(dir);
    await kb.ingest([datasetFiles('debian-pdfs', 'debian-faq')[0]!]);
    kb.close();
    const rag = await KnowledgeBaseAnswerer.open(dir);
    const s = await startServer({ port: 0, logger: false, rag, models: [{ name: 'tiny', path: 'ngram:austen?chars=20000&order=3' }] });
    rag.resolveModel = (name) => { const m = s.registry.get(name); return m && m.type === 'chat' ? m.model : undefined; };
    try {
      const res = await fetch(`${s.url}/v1/rag/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'Who created the Debian Project?' }) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { answer: string; citations: Array<{ index: number; page?: number; source: string }> };
      expect(body.answer).toContain('Ian Murdock');
      expect(body.citations[0]!.page).toBe(10);
      const gen = await fetch(`${s.url}/v1/rag/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'Who created the Debian Project?', model: 'tiny', max_tokens: 30 }) });
      expect(gen.status).toBe(200);
      const g = (await gen.json()) as { answer: string };
      expect(typeof g.answer).toBe('string');
      expect(g.answer.length).toBeGreaterThan(0);
    } finally {
      await s.close();
      rag.close();
    }
  });
});
