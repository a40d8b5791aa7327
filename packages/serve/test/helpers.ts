import type { FastifyInstance } from 'fastify';
import type { Embedder, GenerateOptions, LanguageModel, StreamChunk } from '@llm/core';
import { ExtractiveRagAnswerer, HashingEmbedder, ModelRegistry, NgramLanguageModel, ServerMetrics, createMetricsHooks, createServer, type ModelSpec, type RagAnswerer, type ServerOptions } from '../src/index.js';

let cached: NgramLanguageModel | undefined;

/** A small n-gram model on the first 200 kB of Austen (trained once per test file). */
export async function smallModel(): Promise<NgramLanguageModel> {
  cached ??= await NgramLanguageModel.trainOnAusten({ id: 'austen', order: 4, maxChars: 200_000 });
  return cached;
}

/** Wraps a model and counts generated tokens; optional delay per token (to hold a slot open). */
export class SlowModel implements LanguageModel {
  readonly id: string;
  readonly vocabSize: number;
  readonly contextLength: number;
  produced = 0;
  aborted = 0;
  finished = 0;
  constructor(private readonly inner: LanguageModel, private readonly delayMs: number) {
    this.id = inner.id;
    this.vocabSize = inner.vocabSize;
    this.contextLength = inner.contextLength;
  }
  nextTokenLogits(ids: readonly number[]) { return this.inner.nextTokenLogits(ids); }
  tokenize(text: string) { return this.inner.tokenize(text); }
  applyChatTemplate(...args: Parameters<LanguageModel['applyChatTemplate']>) { return this.inner.applyChatTemplate(...args); }
  generate(prompt: string, options?: GenerateOptions) { return this.inner.generate(prompt, options); }
  async *stream(prompt: string, options: GenerateOptions = {}): AsyncGenerator<StreamChunk> {
    try {
      for await (const c of this.inner.stream(prompt, options)) {
        this.produced++;
        yield c;
        await new Promise((r) => setTimeout(r, this.delayMs));
      }
      this.finished++;
    } catch (err) {
      this.aborted++;
      throw err;
    }
  }
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  registry: ModelRegistry;
  metrics: ServerMetrics;
}

/** A server on 127.0.0.1 with an ephemeral port, the small model, an embedder and an extractive RAG. */
export async function testServer(opts: Partial<ServerOptions> & { chat?: Array<{ spec: ModelSpec; model: LanguageModel }>; embedders?: Array<{ spec: ModelSpec; embedder: Embedder }>; withRag?: boolean; listen?: boolean } = {}): Promise<TestServer> {
  const metrics = new ServerMetrics({ defaultMetrics: false });
  const registry = new ModelRegistry([], createMetricsHooks(metrics));
  const chat = opts.chat ?? [{ spec: { name: 'austen', path: 'ngram:austen', aliases: ['gpt-4o-mini'], maxConcurrency: 4, maxQueue: 64 }, model: await smallModel() }];
  for (const c of chat) registry.add(c.spec, c.model, 'ngram');
  const embedders = opts.embedders ?? [{ spec: { name: 'hash-embed', path: 'hashing:256', maxWaitMs: 5 }, embedder: new HashingEmbedder({ id: 'hash-embed' }) }];
  for (const e of embedders) registry.add(e.spec, e.embedder, 'hashing');
  let rag: RagAnswerer | undefined = opts.rag;
  if (opts.withRag) {
    rag = await ExtractiveRagAnswerer.create(
      [
        { id: 'faq-1', source: 'debian-faq.txt', page: 3, text: 'Debian is a free operating system. It uses the Linux kernel and many GNU tools.' },
        { id: 'faq-2', source: 'debian-faq.txt', page: 7, text: 'Packages are installed with apt. The apt-get install command fetches a package and its dependencies.' },
        { id: 'faq-3', source: 'debian-faq.txt', page: 9, text: 'The stable release is supported with security updates for about three years.' },
      ],
      new HashingEmbedder(),
      { name: 'test-faq' },
    );
  }
  const app = await createServer({ logger: false, ...opts, registry, metrics, rag });
  let url = '';
  if (opts.listen !== false) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  } else await app.ready();
  return { app, url, registry, metrics };
}
