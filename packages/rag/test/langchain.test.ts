import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { RunnableSequence, RunnablePassthrough } from '@langchain/core/runnables';
import type { DocumentInterface } from '@langchain/core/documents';
import { hashString32, type ChatMessage, type GenerateOptions, type GenerateResult, type LanguageModel, type StreamChunk, type Embedder } from '@llm/core';
import { bm25Tokens, FlatIndex, KnowledgeBase } from '../src/index.js';
import { KnowledgeBaseRetriever, LangChainVectorIndex, LlmChatModel, LlmEmbeddings, LlmVectorStore } from '../src/langchain.js';

const embedder: Embedder = {
  id: 'test-hash', dimension: 32, maxBatchSize: 16, normalized: true,
  async embed(texts) {
    return texts.map((t) => { const v = new Float32Array(32); for (const w of bm25Tokens(t)) v[hashString32(w) % 32]! += 1; const n = Math.hypot(...v) || 1; return v.map((x) => x / n); });
  },
};

/** Test double: answers with the first sentence after "Context:" in its prompt, word by word. */
class QuoteModel implements LanguageModel {
  readonly id = 'quote';
  readonly vocabSize = 1;
  readonly contextLength = 4096;
  prompts: string[] = [];
  async nextTokenLogits() { return { logits: new Float32Array(1) }; }
  tokenize(text: string) { return text.split(/\s+/).map((_, i) => i); }
  applyChatTemplate(messages: readonly ChatMessage[]) { return messages.map((m) => `<${m.role}>${m.content}`).join('\n') + '\n<assistant>'; }
  private answer(prompt: string) { this.prompts.push(prompt); return (/Context:\s*([^.]*\.)/.exec(prompt)?.[1] ?? 'nothing').trim(); }
  async generate(prompt: string, _o?: GenerateOptions): Promise<GenerateResult> {
    const text = this.answer(prompt);
    return { text, tokens: [], finishReason: 'stop', usage: { promptTokens: 0, completionTokens: 0 } };
  }
  async *stream(prompt: string): AsyncIterable<StreamChunk> {
    const words = this.answer(prompt).split(' ');
    for (let i = 0; i < words.length; i++) yield { text: (i ? ' ' : '') + words[i], token: i, ...(i === words.length - 1 ? { finishReason: 'stop' as const } : {}) };
  }
}

describe('LangChain integration', () => {
  it('runs an LCEL chain: our retriever → prompt → our chat model → parser, streaming too', async () => {
    const docs = mkdtempSync(join(tmpdir(), 'llm-lc-docs-'));
    writeFileSync(join(docs, 'a.txt'), 'The Debian Project was created by Ian Murdock in 1993. It is a volunteer project.');
    writeFileSync(join(docs, 'b.txt'), 'Bananas are yellow fruit rich in potassium.');
    const kb = await KnowledgeBase.open(mkdtempSync(join(tmpdir(), 'llm-lc-kb-')));
    await kb.ingest([docs]);
    const model = new QuoteModel();
    const chain = RunnableSequence.from([
      { context: new KnowledgeBaseRetriever(kb, { k: 1 }).pipe((ds: DocumentInterface[]) => ds.map((d) => d.pageContent).join('\n')), question: new RunnablePassthrough() },
      ChatPromptTemplate.fromMessages([['system', 'Answer from the context.'], ['human', 'Context: {context}\nQuestion: {question}']]),
      new LlmChatModel(model),
      new StringOutputParser(),
    ]);
    expect(await chain.invoke('Who created Debian?')).toBe('The Debian Project was created by Ian Murdock in 1993.');
    expect(model.prompts[0]).toContain('<system>Answer from the context.');
    let streamed = '';
    for await (const piece of await chain.stream('What colour are bananas?')) streamed += piece;
    expect(streamed).toBe('Bananas are yellow fruit rich in potassium.');
    kb.close();
  });

  it('our index as a LangChain VectorStore, and a LangChain store as our VectorIndex', async () => {
    const store = new LlmVectorStore(new LlmEmbeddings(embedder), new FlatIndex(32));
    await store.addDocuments([{ pageContent: 'cats purr', metadata: { k: 1 } }, { pageContent: 'dogs bark loudly', metadata: { k: 2 } }], { ids: ['c', 'd'] });
    const [top] = await store.similaritySearch('a dog that barks', 1);
    expect(top!.pageContent).toBe('dogs bark loudly');
    expect(top!.metadata).toEqual({ k: 2 });
    const index = new LangChainVectorIndex(store, 32);
    const [v] = await embedder.embed(['cats purr softly']);
    await index.add([{ id: 'x', vector: v!, metadata: { tag: 'new' } }]);
    const hits = await index.search(v!, 2);
    expect(hits[0]).toMatchObject({ id: 'x', metadata: { tag: 'new' } });
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    await index.delete(['x']);
    expect((await index.search(v!, 1))[0]!.id).not.toBe('x');
  });
});
