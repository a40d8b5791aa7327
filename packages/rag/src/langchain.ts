/**
 * LangChain integration (`@llm/rag/langchain`): the workspace's pieces as LangChain classes, and
 * any LangChain vector store as a `VectorIndex`, so Qdrant, Weaviate, Pinecone or pgvector serve
 * once one machine is not enough.
 */
import { Embeddings } from '@langchain/core/embeddings';
import { VectorStore } from '@langchain/core/vectorstores';
import { BaseRetriever } from '@langchain/core/retrievers';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { ConfigError, type ChatMessage, type Embedder, type LanguageModel, type Metadata, type SearchHit, type SearchOptions, type VectorIndex } from '@llm/core';
import type { KnowledgeBase, RetrieveOptions } from './knowledge-base.js';

/** An `@llm/core` `Embedder` as LangChain `Embeddings`. */
export class LlmEmbeddings extends Embeddings {
  constructor(readonly embedder: Embedder) {
    super({});
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    return (await this.embedder.embed(documents, { kind: 'passage' })).map((v) => Array.from(v));
  }

  async embedQuery(document: string): Promise<number[]> {
    return Array.from((await this.embedder.embed([document], { kind: 'query' }))[0]!);
  }
}

function toMetadata(m: Record<string, unknown>): Metadata {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else out[k] = JSON.stringify(v);
  }
  return out;
}

/** Any `VectorIndex` of this workspace (HNSW, flat) as a LangChain `VectorStore`. */
export class LlmVectorStore extends VectorStore {
  declare FilterType: (metadata: Metadata, id: string) => boolean;
  private texts = new Map<string, string>();
  private next = 0;

  constructor(embeddings: Embeddings, readonly index: VectorIndex) {
    super(embeddings, {});
  }

  _vectorstoreType(): string {
    return 'llm-vector-index';
  }

  async addVectors(vectors: number[][], documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    const ids = options?.ids ?? documents.map((d) => d.id ?? `doc-${this.next++}`);
    await this.index.add(vectors.map((vector, i) => ({ id: ids[i]!, vector, metadata: toMetadata(documents[i]!.metadata) })));
    documents.forEach((d, i) => this.texts.set(ids[i]!, d.pageContent));
    return ids;
  }

  async addDocuments(documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    return this.addVectors(await this.embeddings.embedDocuments(documents.map((d) => d.pageContent)), documents, options);
  }

  async similaritySearchVectorWithScore(query: number[], k: number, filter?: this['FilterType']): Promise<[DocumentInterface, number][]> {
    const hits = await this.index.search(query, k, filter ? { filter } : {});
    return hits.map((h) => [new Document({ id: h.id, pageContent: this.texts.get(h.id) ?? '', metadata: h.metadata }), h.score]);
  }

  override async delete(params?: { ids?: string[] }): Promise<void> {
    if (params?.ids) {
      await this.index.delete(params.ids);
      for (const id of params.ids) this.texts.delete(id);
    }
  }
}

/** The parts of a LangChain vector store used by {@link LangChainVectorIndex}. */
export interface LangChainStoreLike {
  addVectors(vectors: number[][], documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[] | void>;
  similaritySearchVectorWithScore(query: number[], k: number, filter?: never): Promise<[DocumentInterface, number][]>;
  delete(params?: { ids?: string[] }): Promise<void>;
}

/**
 * Any LangChain vector store as this workspace's `VectorIndex` (ids and metadata kept in the
 * document metadata under `llm_id`). Saving is the remote store's business: `save` is a no-op
 * that exists only to satisfy the interface when the store persists by itself.
 */
export class LangChainVectorIndex implements VectorIndex {
  private count = 0;

  constructor(readonly store: LangChainStoreLike, readonly dimension: number, readonly metric: 'cosine' | 'l2' | 'ip' = 'cosine') {}

  get size(): number {
    return this.count;
  }

  async add(items: ReadonlyArray<{ id: string; vector: ArrayLike<number>; metadata?: Metadata }>): Promise<void> {
    for (const it of items) if (it.vector.length !== this.dimension) throw new ConfigError(`vector for '${it.id}' has ${it.vector.length} dimensions, index has ${this.dimension}`);
    await this.store.addVectors(items.map((i) => Array.from(i.vector)), items.map((i) => new Document({ id: i.id, pageContent: '', metadata: { ...(i.metadata ?? {}), llm_id: i.id } })), { ids: items.map((i) => i.id) });
    this.count += items.length;
  }

  async delete(ids: readonly string[]): Promise<number> {
    await this.store.delete({ ids: [...ids] });
    this.count = Math.max(0, this.count - ids.length);
    return ids.length;
  }

  async search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): Promise<SearchHit[]> {
    const res = await this.store.similaritySearchVectorWithScore(Array.from(query), options.filter ? k * 4 : k);
    const hits = res.map(([doc, score]) => {
      const { llm_id: llmId, ...rest } = doc.metadata as Record<string, unknown>;
      return { id: String(llmId ?? doc.id), score, metadata: toMetadata(rest) };
    });
    return (options.filter ? hits.filter((h) => options.filter!(h.metadata, h.id)) : hits).slice(0, k);
  }

  async save(): Promise<void> {
    /* the remote store persists by itself */
  }
}

/** A {@link KnowledgeBase} as a LangChain retriever. */
export class KnowledgeBaseRetriever extends BaseRetriever {
  lc_namespace = ['llm', 'rag'];

  constructor(readonly kb: KnowledgeBase, readonly options: RetrieveOptions = {}) {
    super({});
  }

  override async _getRelevantDocuments(query: string): Promise<DocumentInterface[]> {
    const chunks = await this.kb.retrieve(query, this.options);
    return chunks.map((c) => new Document({ id: c.id, pageContent: c.text, metadata: { source: c.source, page: c.page ?? null, score: c.score, rank: c.rank } }));
  }
}

function toChat(messages: BaseMessage[]): ChatMessage[] {
  return messages.map((m) => {
    const t = m.getType();
    const role: ChatMessage['role'] = t === 'system' ? 'system' : t === 'ai' ? 'assistant' : t === 'tool' ? 'tool' : 'user';
    return { role, content: typeof m.content === 'string' ? m.content : m.content.map((p) => ('text' in p && typeof p.text === 'string' ? p.text : '')).join('') };
  });
}

/** Any `LanguageModel` of this workspace as a LangChain chat model (streaming included). */
export class LlmChatModel extends BaseChatModel {
  constructor(readonly model: LanguageModel, readonly generation: { maxTokens?: number; temperature?: number; seed?: number } = {}) {
    super({});
  }

  // Called by the base constructor, before `model` is assigned: a constant.
  _llmType(): string {
    return 'llm-language-model';
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    const prompt = this.model.applyChatTemplate(toChat(messages), { addGenerationPrompt: true });
    const r = await this.model.generate(prompt, { ...this.generation, stop: options.stop, signal: options.signal });
    return { generations: [{ text: r.text, message: new AIMessage(r.text), generationInfo: { finish_reason: r.finishReason } }], llmOutput: { tokenUsage: r.usage } };
  }

  override async *_streamResponseChunks(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const prompt = this.model.applyChatTemplate(toChat(messages), { addGenerationPrompt: true });
    for await (const piece of this.model.stream(prompt, { ...this.generation, stop: options.stop, signal: options.signal })) {
      const chunk = new ChatGenerationChunk({ text: piece.text, message: new AIMessageChunk({ content: piece.text }) });
      yield chunk;
      await runManager?.handleLLMNewToken(piece.text);
    }
  }
}
