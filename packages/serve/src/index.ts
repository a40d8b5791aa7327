/**
 * `@llm/serve`: an OpenAI-compatible LLM server on fastify — chat completions, completions,
 * embeddings (float and base64), RAG, health and Prometheus metrics — with per-model queues,
 * dynamic embedding batching, backpressure, timeouts, cancellation on disconnect, validation,
 * API keys with rate limits, and a web chat at `/`.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './scheduler.js';
export * from './batcher.js';
export * from './metrics.js';
export * from './registry.js';
export * from './builtin.js';
export * from './config.js';
export * from './rag.js';
export * from './schemas.js';
export * from './server.js';
export * from './serve.js';
export * from './models/ngram.js';
export * from './models/hashing-embedder.js';
export * from './models/sampling.js';
export * from './models/stop.js';
export { KnowledgeBaseAnswerer } from './rag-kb.js';
