import type { Embedder, LanguageModel } from '@llm/core';
import type { KnowledgeBase } from '@llm/rag';
import type { RagAnswer, RagAnswerer, RagAskOptions } from './rag.js';

/**
 * `POST /v1/rag/ask` over an `@llm/rag` knowledge base (`llm rag ingest` builds one): hybrid or
 * BM25 retrieval, then a generated answer from the requested served model with every sentence's
 * support checked (`@llm/eval`), or, with no model, the extractive answer that quotes the best
 * supporting sentence. Citations carry source and page.
 */
export class KnowledgeBaseAnswerer implements RagAnswerer {
  readonly name: string;
  /** Finds a served language model by name (set by the server once its registry exists). */
  resolveModel: ((name: string) => LanguageModel | undefined) | undefined;

  private constructor(private readonly kb: KnowledgeBase, dir: string) {
    this.name = `rag:${dir.split('/').filter(Boolean).pop() ?? dir}`;
  }

  /** Open the knowledge base in `dir` (with the embedder it was built with, if any). */
  static async open(dir: string, options: { embedder?: Embedder } = {}): Promise<KnowledgeBaseAnswerer> {
    const { KnowledgeBase } = await import('@llm/rag');
    return new KnowledgeBaseAnswerer(await KnowledgeBase.open(dir, { embedder: options.embedder }), dir);
  }

  async ask(question: string, options: RagAskOptions = {}): Promise<RagAnswer> {
    const { extractiveAnswer, generateAnswer } = await import('@llm/rag');
    const chunks = await this.kb.retrieve(question, { k: options.k ?? 5, signal: options.signal });
    const model = options.model ? this.resolveModel?.(options.model) : undefined;
    const a = model
      ? await generateAnswer(question, chunks, model, { maxTokens: options.maxTokens ?? 256, signal: options.signal })
      : extractiveAnswer(question, chunks);
    return {
      answer: a.answer,
      citations: a.citations.map((c) => {
        const chunk = chunks[c.n - 1]!;
        return { index: c.n, id: c.chunkId, source: c.source, ...(c.page !== undefined ? { page: c.page } : {}), text: c.quote, score: chunk.score };
      }),
    };
  }

  close(): void {
    this.kb.close();
  }
}
