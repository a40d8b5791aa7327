import { cosine, InputError, throwIfAborted, type Embedder } from '@llm/core';

/** One passage the answer rests on. */
export interface RagCitation {
  /** 1-based number as cited in the answer, e.g. `[1]`. */
  index: number;
  /** Passage id in the store. */
  id: string;
  /** Where it came from (file name, URL). */
  source: string;
  /** Page number, when the source has pages. */
  page?: number;
  /** The passage text (or the cited part of it). */
  text: string;
  /** Retrieval score (higher is better). */
  score: number;
}

/** The answer of {@link RagAnswerer.ask}. */
export interface RagAnswer {
  answer: string;
  citations: RagCitation[];
  /** Token counts, if the answerer knows them. */
  usage?: { promptTokens: number; completionTokens: number };
}

/** Options for {@link RagAnswerer.ask}. */
export interface RagAskOptions {
  /** Passages to retrieve. */
  k?: number;
  /** Served language model to answer with, when the answerer generates. */
  model?: string;
  /** Maximum new tokens of a generated answer. */
  maxTokens?: number;
  signal?: AbortSignal;
}

/**
 * What `POST /v1/rag/ask` calls. `@llm/rag` provides the full pipeline (hybrid retrieval, a chat
 * prompt with numbered passages, a support check); the server only needs this interface.
 */
export interface RagAnswerer {
  /** Short name shown by the web chat. */
  readonly name: string;
  ask(question: string, options?: RagAskOptions): Promise<RagAnswer>;
}

/** A passage for {@link ExtractiveRagAnswerer}. */
export interface Passage {
  id: string;
  source: string;
  page?: number;
  text: string;
}

/**
 * The built-in small answerer of `@llm/serve`: exact cosine search over passages embedded with any
 * {@link Embedder}, and an extractive answer — from each of the top passages, the sentence that
 * shares the most words with the question, followed by its citation mark `[n]`. No language model;
 * good for the web chat's RAG mode and the tests until `@llm/rag` is wired.
 */
export class ExtractiveRagAnswerer implements RagAnswerer {
  readonly name: string;
  private readonly embedder: Embedder;
  private readonly passages: Passage[] = [];
  private vectors: Float32Array[] = [];

  private constructor(name: string, embedder: Embedder) {
    this.name = name;
    this.embedder = embedder;
  }

  /** Embed the passages and return an answerer over them. */
  static async create(passages: readonly Passage[], embedder: Embedder, options: { name?: string; signal?: AbortSignal } = {}): Promise<ExtractiveRagAnswerer> {
    if (passages.length === 0) throw new InputError('no passages to answer from');
    const a = new ExtractiveRagAnswerer(options.name ?? 'extractive', embedder);
    a.passages.push(...passages);
    a.vectors = await embedder.embed(passages.map((p) => p.text), { kind: 'passage', signal: options.signal });
    return a;
  }

  async ask(question: string, options: RagAskOptions = {}): Promise<RagAnswer> {
    throwIfAborted(options.signal);
    const k = Math.min(options.k ?? 3, this.passages.length);
    const [q] = await this.embedder.embed([question], { kind: 'query', signal: options.signal });
    const scored = this.vectors.map((v, i) => ({ i, score: cosine(q!, v) })).sort((a, b) => b.score - a.score || a.i - b.i).slice(0, k);
    const qWords = new Set(tokens(question));
    const citations: RagCitation[] = [];
    const parts: string[] = [];
    for (const { i, score } of scored) {
      if (score <= 0) continue;
      const p = this.passages[i]!;
      const sentences = p.text.match(/[^.!?]+[.!?]*/g) ?? [p.text];
      let best = sentences[0]!;
      let bestOverlap = -1;
      for (const s of sentences) {
        const overlap = tokens(s).filter((w) => qWords.has(w)).length;
        if (overlap > bestOverlap) {
          best = s;
          bestOverlap = overlap;
        }
      }
      const index = citations.length + 1;
      citations.push({ index, id: p.id, source: p.source, ...(p.page !== undefined ? { page: p.page } : {}), text: p.text, score });
      parts.push(`${best.trim()} [${index}]`);
    }
    const answer = parts.length > 0 ? parts.join(' ') : 'No passage matches the question.';
    return { answer, citations };
  }
}

function tokens(s: string): string[] {
  return s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

