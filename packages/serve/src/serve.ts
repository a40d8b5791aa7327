import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { readText, type Embedder } from '@llm/core';
import { builtinFactories } from './builtin.js';
import type { ServeConfig } from './config.js';
import { ServerMetrics } from './metrics.js';
import { paragraphs } from './models/ngram.js';
import { ExtractiveRagAnswerer, type RagAnswerer } from './rag.js';
import { ModelRegistry, type BackendFactory, type ModelSpec } from './registry.js';
import { createMetricsHooks, createServer } from './server.js';

/** The models served when none is configured: the built-in n-gram model (on the first 2 M characters of Austen, ~3 s to train) and hashing embedder. */
export const DEFAULT_MODELS: readonly ModelSpec[] = [
  { name: 'ngram-austen', path: 'ngram:austen?chars=2000000', aliases: ['default'], maxConcurrency: 4, maxQueue: 256 },
  { name: 'hash-embed', path: 'hashing:256', aliases: ['default-embedding'], maxConcurrency: 2, maxQueue: 256 },
];

/** Options for {@link startServer}. */
export interface StartOptions extends ServeConfig {
  /** Backend factories for more kinds (native, ONNX, GGUF...), added to the built-ins (same kind: these win). */
  factories?: readonly BackendFactory[];
  /** A RAG answerer (overrides `ragFile`). */
  rag?: RagAnswerer;
  /** fastify/pino logger options (overrides `logLevel`). */
  logger?: FastifyServerOptions['logger'];
  signal?: AbortSignal;
}

/** A running server. */
export interface RunningServer {
  app: FastifyInstance;
  registry: ModelRegistry;
  metrics: ServerMetrics;
  /** `http://host:port`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Load the configured models (or {@link DEFAULT_MODELS}), build the RAG answerer, create the
 * server and listen (on 127.0.0.1:8080 unless told otherwise; port 0 picks a free one).
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const metrics = new ServerMetrics();
  const registry = new ModelRegistry([...builtinFactories, ...(options.factories ?? [])], createMetricsHooks(metrics));
  const specs = options.models && options.models.length > 0 ? options.models : DEFAULT_MODELS;
  for (const spec of specs) await registry.load(spec, options.signal);
  let rag = options.rag;
  if (!rag && options.ragFile) {
    const embName = options.ragEmbedding ?? registry.list().find((m) => m.type === 'embedding')?.name;
    const served = embName ? registry.get(embName) : undefined;
    const embedder: Embedder | undefined = served?.type === 'embedding' ? served.embedder : undefined;
    if (!embedder) throw new Error('ragFile needs an embedding model to be served');
    const text = await readText(options.ragFile);
    const passages = paragraphs(text).map((t, i) => ({ id: `p${i + 1}`, source: options.ragFile!, text: t }));
    rag = await ExtractiveRagAnswerer.create(passages, embedder, { name: `extractive:${options.ragFile.split('/').pop()}` , signal: options.signal });
  }
  const app = await createServer({
    registry,
    metrics,
    rag,
    apiKeys: options.apiKeys,
    corsOrigins: options.corsOrigins,
    bodyLimit: options.bodyLimit,
    requestTimeoutMs: options.requestTimeoutMs,
    defaultMaxTokens: options.defaultMaxTokens,
    logger: options.logger ?? { level: options.logLevel ?? 'info', stream: process.stderr },
  });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 8080 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port ?? 8080;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { app, registry, metrics, url, close: () => app.close() };
}
