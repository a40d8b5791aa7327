import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { CancelledError, LlmError, hashString32, type ChatMessage, type GenerateOptions, type LanguageModel, type StreamChunk } from '@llm/core';
import { HttpError, errorBody } from './errors.js';
import { ServerMetrics } from './metrics.js';
import type { RagAnswerer } from './rag.js';
import { QueueFullError } from './scheduler.js';
import { ModelRegistry, type ServedEmbedder, type ServedLanguageModel } from './registry.js';
import {
  chatCompletionBody,
  completionBody,
  embeddingBody,
  ragAskBody,
  type ChatCompletionRequest,
  type CompletionRequest,
  type EmbeddingRequest,
  type RagAskRequest,
  type WireMessage,
  type WireSampling,
} from './schemas.js';

/** An API key and its rate limit. */
export interface ApiKey {
  key: string;
  /** Requests per minute (a token bucket of this size, refilled continuously). Default: unlimited. */
  requestsPerMinute?: number;
}

/** Options for {@link createServer}. */
export interface ServerOptions {
  /** The models to serve (see {@link ModelRegistry}); create it with `createMetricsHooks` to get queue metrics. */
  registry: ModelRegistry;
  /** Metrics the registry hooks already write to; a new set is made when absent. */
  metrics?: ServerMetrics;
  /** Answers `POST /v1/rag/ask`; without it the route answers 501. */
  rag?: RagAnswerer;
  /** When non-empty, every `/v1/*` request needs `Authorization: Bearer <key>`. */
  apiKeys?: readonly ApiKey[];
  /** Origins allowed by CORS. Default: none (no CORS headers at all). */
  corsOrigins?: readonly string[];
  /** Largest request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Per-request timeout in ms (queue wait + generation), unless the model sets its own. Default 120000. */
  requestTimeoutMs?: number;
  /** Default `max_tokens` of chat completions when the client sends none. Default 256. */
  defaultMaxTokens?: number;
  /** fastify/pino logger options; `false` for none. Default: info-level JSON logs on stderr. */
  logger?: FastifyServerOptions['logger'];
  /** Serve the web chat at `/`. Default true. */
  webChat?: boolean;
}

/** Metrics hooks to pass to a {@link ModelRegistry} so queue depth and batch sizes are recorded. */
export function createMetricsHooks(metrics: ServerMetrics): { onQueueChange: (model: string, waiting: number, running: number) => void; onBatch: (model: string, texts: number) => void } {
  return {
    onQueueChange: (model, waiting, running) => {
      metrics.queueDepth.set({ model }, waiting);
      metrics.active.set({ model }, running);
    },
    onBatch: (model, texts) => metrics.batchSize.observe({ model }, texts),
  };
}

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The folder of the web chat's static files (`public/` beside `src/` and `dist/`). */
export function publicDir(): string {
  return fileURLToPath(new URL('../public/', import.meta.url));
}

function loadStatic(): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  const dir = publicDir();
  for (const f of readdirSync(dir)) {
    const type = STATIC_TYPES[extname(f)];
    if (type) files.set(f, { body: readFileSync(join(dir, f)), type });
  }
  return files;
}

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('base64url')}`;
}

function paramOf(instancePath: string, missing?: string): string | null {
  const parts = instancePath.split('/').filter(Boolean);
  if (missing) parts.push(missing);
  if (parts.length === 0) return null;
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

interface ValidationItem {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

function messageText(m: WireMessage, i: number): string {
  if (m.content === null || m.content === undefined) {
    if (m.role === 'assistant') return '';
    throw new HttpError(400, `messages[${i}].content is required for role '${m.role}'`, { param: `messages[${i}].content` });
  }
  if (typeof m.content === 'string') return m.content;
  return m.content.map((p) => p.text ?? '').join('');
}

function toChatMessages(messages: readonly WireMessage[]): ChatMessage[] {
  return messages.map((m, i) => ({ role: m.role === 'developer' ? 'system' : m.role, content: messageText(m, i) }));
}

function stopList(stop: WireSampling['stop']): string[] {
  if (stop === null || stop === undefined) return [];
  return typeof stop === 'string' ? [stop] : stop;
}

/** The slot, signal and bookkeeping of one running request. */
interface RequestRun {
  signal: AbortSignal;
  /** Why the run was aborted, if it was. */
  abortReason(): 'disconnect' | 'timeout' | undefined;
  release(): void;
}

/**
 * Create the server (not yet listening): OpenAI-compatible routes, RAG, health, metrics and the
 * web chat. Call `await app.listen({ host: '127.0.0.1', port })` to serve, `await app.close()` to stop.
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const registry = options.registry;
  const metrics = options.metrics ?? new ServerMetrics();
  const timeoutMs = options.requestTimeoutMs ?? 120_000;
  const defaultMaxTokens = options.defaultMaxTokens ?? 256;
  const corsOrigins = new Set(options.corsOrigins ?? []);
  const keys = new Map<string, { rpm?: number; tokens: number; last: number }>();
  for (const k of options.apiKeys ?? []) keys.set(k.key, { rpm: k.requestsPerMinute, tokens: k.requestsPerMinute ?? 0, last: Date.now() });
  const staticFiles = options.webChat === false ? new Map<string, { body: Buffer; type: string }>() : loadStatic();

  const app = Fastify({
    logger: options.logger ?? { level: 'info', stream: process.stderr },
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    return503OnClosing: true,
    // close() ends every connection, so running generations see the disconnect and stop.
    forceCloseConnections: true,
  });

  // JSON only: no text/plain bodies (→ 415).
  app.removeContentTypeParser('text/plain');

  // --- errors: every failure is an OpenAI error object, never a stack trace -------------------
  app.setErrorHandler((err: FastifyError | HttpError | Error, request, reply) => {
    if (err instanceof HttpError) {
      void reply.code(err.status).headers(err.headers).send(err.body());
      return;
    }
    const fe = err as FastifyError & { validation?: ValidationItem[] };
    if (fe.validation && fe.validation.length > 0) {
      const v = fe.validation[0]!;
      const missing = v.keyword === 'required' ? String(v.params.missingProperty ?? '') : undefined;
      const param = paramOf(v.instancePath, missing);
      const where = param ?? 'body';
      const msg = missing ? `'${param}' is a required property` : `'${where}' ${v.message ?? 'is invalid'}`;
      void reply.code(400).send(errorBody(`Invalid request: ${msg}`, 'invalid_request_error', param, 'invalid_value'));
      return;
    }
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status >= 400 && status < 500) {
      const code = fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'request_too_large' : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'invalid_request';
      const message = fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `Request body is larger than the limit of ${options.bodyLimit ?? 1024 * 1024} bytes`
        : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Unsupported Content-Type: send application/json'
          : `Invalid request: ${fe.message.replace(/\s+at .*$/s, '')}`;
      void reply.code(status).send(errorBody(message, 'invalid_request_error', null, code));
      return;
    }
    request.log.error({ err }, 'request failed');
    void reply.code(500).send(errorBody('The server had an error while processing your request.', 'server_error', null, null));
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody(`Invalid URL (${request.method} ${request.url.split('?')[0]!.slice(0, 200)})`, 'invalid_request_error', null, 'not_found'));
  });

  // --- metrics of every request (streams included) ---------------------------------------------
  app.addHook('onRequest', async (request, reply) => {
    const t0 = performance.now();
    reply.raw.once('close', () => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.inc({ route, method: request.method, status: String(reply.raw.statusCode) });
      metrics.latency.observe({ route, method: request.method }, (performance.now() - t0) / 1000);
    });
  });

  // --- CORS: off unless origins are configured --------------------------------------------------
  if (corsOrigins.size > 0) {
    app.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (origin && corsOrigins.has(origin)) {
        void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
        if (request.method === 'OPTIONS') {
          await reply
            .code(204)
            .header('access-control-allow-methods', 'GET, POST, OPTIONS')
            .header('access-control-allow-headers', 'authorization, content-type')
            .header('access-control-max-age', '600')
            .send();
        }
      }
    });
    app.options('/*', async (_request, reply) => reply.code(404).send(errorBody('CORS origin not allowed', 'invalid_request_error', null, 'cors')));
  }

  // --- auth and per-key rate limits on /v1/* -----------------------------------------------------
  if (keys.size > 0) {
    app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/v1/')) return;
      const header = request.headers.authorization ?? '';
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const entry = m ? keys.get(m[1]!) : undefined;
      if (!entry) {
        metrics.rejected.inc({ reason: 'auth' });
        throw new HttpError(401, m ? 'Incorrect API key provided.' : "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.", { code: 'invalid_api_key' });
      }
      if (entry.rpm !== undefined) {
        const now = Date.now();
        entry.tokens = Math.min(entry.rpm, entry.tokens + ((now - entry.last) / 60_000) * entry.rpm);
        entry.last = now;
        if (entry.tokens < 1) {
          const wait = Math.max(1, Math.ceil(((1 - entry.tokens) * 60) / entry.rpm));
          metrics.rejected.inc({ reason: 'rate_limit' });
          throw new HttpError(429, `Rate limit reached: ${entry.rpm} requests per minute for this key. Retry in ${wait}s.`, { type: 'requests', code: 'rate_limit_exceeded', headers: { 'retry-after': String(wait) } });
        }
        entry.tokens -= 1;
      }
    });
  }

  /** Take a slot of `served`'s queue, with a timeout and a disconnect watcher. */
  async function begin(request: FastifyRequest, reply: FastifyReply, served: ServedLanguageModel | ServedEmbedder): Promise<RequestRun> {
    const ac = new AbortController();
    let reason: 'disconnect' | 'timeout' | undefined;
    const onClose = () => {
      if (!reply.raw.writableFinished && !ac.signal.aborted) {
        reason = 'disconnect';
        ac.abort(new CancelledError('client disconnected'));
      }
    };
    reply.raw.once('close', onClose);
    const ms = served.timeoutMs ?? timeoutMs;
    const timer = setTimeout(() => {
      if (!ac.signal.aborted) {
        reason = 'timeout';
        ac.abort(new CancelledError(`request timed out after ${ms} ms`));
      }
    }, ms);
    timer.unref();
    let release: (() => void) | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
      release?.();
    };
    try {
      if (served.type === 'chat') release = await served.queue.acquire(ac.signal);
    } catch (err) {
      cleanup();
      throw mapError(err, served.name, reason);
    }
    return { signal: ac.signal, abortReason: () => reason, release: cleanup };
  }

  function mapError(err: unknown, model: string, reason: 'disconnect' | 'timeout' | undefined): unknown {
    if (err instanceof HttpError) return err;
    if (err instanceof QueueFullError) {
      metrics.rejected.inc({ reason: 'queue_full' });
      return new HttpError(429, `Model '${model}' is overloaded: ${err.message}.`, { code: 'queue_full', type: 'requests', headers: { 'retry-after': String(err.retryAfterSeconds) } });
    }
    if (err instanceof CancelledError || reason) {
      metrics.cancelled.inc({ model, reason: reason ?? 'cancelled' });
      if (reason === 'timeout') return new HttpError(504, `The request timed out (model '${model}').`, { type: 'timeout_error', code: 'timeout' });
      return new HttpError(499, 'The client closed the request.', { code: 'cancelled' });
    }
    if (err instanceof LlmError && (err.code === 'E_INPUT' || err.code === 'E_FORMAT')) {
      return new HttpError(400, err.message, { param: err.location.field ?? null, code: err.location.field === 'max_tokens' ? 'context_length_exceeded' : 'invalid_value' });
    }
    return err;
  }

  function requireChat(name: string): ServedLanguageModel {
    const m = registry.get(name);
    if (!m) throw new HttpError(404, `The model '${name}' does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });
    if (m.type !== 'chat') throw new HttpError(400, `The model '${name}' is an embedding model; it cannot generate text.`, { param: 'model', code: 'model_not_supported' });
    return m;
  }

  function requireEmbedder(name: string): ServedEmbedder {
    const m = registry.get(name);
    if (!m) throw new HttpError(404, `The model '${name}' does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });
    if (m.type !== 'embedding') throw new HttpError(400, `The model '${name}' is a language model, not an embedding model.`, { param: 'model', code: 'model_not_supported' });
    return m;
  }

  function genOptions(body: WireSampling, maxTokens: number, seed: number | undefined, signal: AbortSignal): GenerateOptions {
    return {
      maxTokens,
      temperature: body.temperature ?? 1,
      topP: body.top_p ?? 1,
      topK: body.top_k ?? 0,
      stop: stopList(body.stop),
      seed,
      signal,
    };
  }

  function fingerprint(served: ServedLanguageModel): string {
    return `fp_${hashString32(`${served.name}|${served.kind}|${served.path}|${served.created}`).toString(16).padStart(8, '0')}`;
  }

  /** Write one SSE event, waiting for the socket to drain when its buffer is full. */
  async function sse(reply: FastifyReply, data: string): Promise<void> {
    const raw = reply.raw;
    if (raw.destroyed || raw.writableEnded) return;
    if (!raw.write(`data: ${data}\n\n`)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          raw.off('drain', done);
          raw.off('close', done);
          resolve();
        };
        raw.on('drain', done);
        raw.on('close', done);
      });
    }
  }

  function startSse(reply: FastifyReply): void {
    reply.hijack();
    const headers: Record<string, string> = {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    };
    const acao = reply.getHeader('access-control-allow-origin');
    if (typeof acao === 'string') {
      headers['access-control-allow-origin'] = acao;
      headers.vary = 'Origin';
    }
    reply.raw.writeHead(200, headers);
  }

  /**
   * Run one generation: returns an iterator whose first chunk was already pulled (so early errors,
   * such as a too-long prompt, surface before any header is sent) and records TTFT.
   */
  async function startGeneration(model: LanguageModel, prompt: string, opts: GenerateOptions, t0: number, name: string): Promise<{ first: IteratorResult<StreamChunk>; it: AsyncIterator<StreamChunk>; tFirst: number }> {
    const it = model.stream(prompt, opts)[Symbol.asyncIterator]();
    const first = await it.next();
    const tFirst = performance.now();
    if (!first.done) metrics.ttft.observe({ model: name }, (tFirst - t0) / 1000);
    return { first, it, tFirst };
  }

  function recordSpeed(name: string, tokens: number, tFirst: number): void {
    metrics.tokens.inc({ model: name, kind: 'completion' }, tokens);
    const dt = (performance.now() - tFirst) / 1000;
    if (tokens > 1 && dt > 0) metrics.tokensPerSecond.observe({ model: name }, (tokens - 1) / dt);
  }

  function maxTokensFor(served: ServedLanguageModel, requested: number | null | undefined, promptTokens: number, fallback: number): number {
    const room = served.model.contextLength - promptTokens;
    if (room < 1) throw new HttpError(400, `This model's maximum context length is ${served.model.contextLength} tokens; the prompt has ${promptTokens}.`, { param: 'messages', code: 'context_length_exceeded' });
    if (requested !== null && requested !== undefined) {
      if (requested > room) throw new HttpError(400, `This model's maximum context length is ${served.model.contextLength} tokens. You requested ${promptTokens + requested} tokens (${promptTokens} in the prompt, ${requested} for the completion).`, { param: 'max_tokens', code: 'context_length_exceeded' });
      return requested;
    }
    return Math.min(fallback, room);
  }

  // --- routes ---------------------------------------------------------------------------------
  app.get('/health', async () => ({
    status: 'ok',
    models: registry.list().map((m) => ({ name: m.name, type: m.type, aliases: m.aliases, running: m.queue.active, queued: m.queue.depth })),
    rag: options.rag ? options.rag.name : null,
    uptime_s: Math.round(process.uptime()),
  }));

  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });

  const modelObject = (id: string, created: number) => ({ id, object: 'model', created, owned_by: 'llm-serve' });
  app.get('/v1/models', async () => ({
    object: 'list',
    data: registry.list().flatMap((m) => [m.name, ...m.aliases].map((id) => modelObject(id, m.created))),
  }));
  app.get<{ Params: { model: string } }>('/v1/models/:model', async (request) => {
    const m = registry.get(request.params.model);
    if (!m) throw new HttpError(404, `The model '${request.params.model}' does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });
    return { ...modelObject(request.params.model, m.created), type: m.type };
  });

  app.post<{ Body: ChatCompletionRequest }>('/v1/chat/completions', { schema: { body: chatCompletionBody } }, async (request, reply) => {
    const t0 = performance.now();
    const body = request.body;
    const served = requireChat(body.model);
    const model = served.model;
    const prompt = model.applyChatTemplate(toChatMessages(body.messages), { addGenerationPrompt: true });
    const promptTokens = model.tokenize(prompt).length;
    const maxTokens = maxTokensFor(served, body.max_completion_tokens ?? body.max_tokens, promptTokens, defaultMaxTokens);
    const n = body.n ?? 1;
    const id = newId('chatcmpl');
    const created = Math.floor(Date.now() / 1000);
    const base = { id, created, model: served.name, system_fingerprint: fingerprint(served) };
    const run = await begin(request, reply, served);
    metrics.tokens.inc({ model: served.name, kind: 'prompt' }, promptTokens * n);
    let streaming = false;
    const includeUsage = body.stream_options?.include_usage === true;
    const usageField = includeUsage ? { usage: null } : {};
    try {
      let completionTokens = 0;
      const choices: Array<{ index: number; message: { role: 'assistant'; content: string; refusal: null; annotations: [] }; logprobs: null; finish_reason: string }> = [];
      for (let i = 0; i < n; i++) {
        const seed = body.seed === null || body.seed === undefined ? undefined : body.seed + i;
        const g = await startGeneration(model, prompt, genOptions(body, maxTokens, seed, run.signal), t0, served.name);
        if (body.stream && !streaming) {
          startSse(reply);
          streaming = true;
        }
        let text = '';
        let tokens = 0;
        let finish = 'length';
        if (streaming) await sse(reply, JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: i, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], ...usageField }));
        for (let r = g.first; !r.done; r = await g.it.next()) {
          const c = r.value;
          if (c.token >= 0) tokens++;
          if (c.finishReason) finish = c.finishReason === 'stop' ? 'stop' : 'length';
          if (c.text.length === 0) continue;
          if (streaming) await sse(reply, JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: i, delta: { content: c.text }, logprobs: null, finish_reason: null }], ...usageField }));
          else text += c.text;
        }
        recordSpeed(served.name, tokens, g.tFirst);
        completionTokens += tokens;
        if (streaming) await sse(reply, JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: i, delta: {}, logprobs: null, finish_reason: finish }], ...usageField }));
        else choices.push({ index: i, message: { role: 'assistant', content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: finish });
      }
      const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
      if (streaming) {
        if (includeUsage) await sse(reply, JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage }));
        await sse(reply, '[DONE]');
        reply.raw.end();
        return reply;
      }
      return { ...base, object: 'chat.completion', choices, usage };
    } catch (err) {
      throw await failStream(reply, streaming, mapError(err, served.name, run.abortReason()));
    } finally {
      run.release();
    }
  });

  /** After headers are sent, an error becomes an SSE error event (openai-node throws it as APIError). */
  async function failStream(reply: FastifyReply, streaming: boolean, err: unknown): Promise<unknown> {
    if (!streaming) return err;
    if (err instanceof HttpError && err.status === 499) {
      reply.raw.destroy();
      return err;
    }
    const body = err instanceof HttpError ? err.body() : errorBody('The server had an error while processing your request.', 'server_error');
    if (!(err instanceof HttpError)) reply.log.error({ err }, 'stream failed');
    await sse(reply, JSON.stringify(body));
    reply.raw.end();
    return err;
  }

  app.post<{ Body: CompletionRequest }>('/v1/completions', { schema: { body: completionBody } }, async (request, reply) => {
    const t0 = performance.now();
    const body = request.body;
    const served = requireChat(body.model);
    const model = served.model;
    const prompts = typeof body.prompt === 'string' ? [body.prompt] : body.prompt;
    const n = body.n ?? 1;
    if (body.best_of !== null && body.best_of !== undefined && body.best_of !== n) throw new HttpError(400, 'best_of other than n is not supported', { param: 'best_of', code: 'unsupported_value' });
    const promptTokens = prompts.map((p) => model.tokenize(p).length);
    const maxTokens = Math.min(...promptTokens.map((pt) => maxTokensFor(served, body.max_tokens, pt, 16)));
    const id = newId('cmpl');
    const created = Math.floor(Date.now() / 1000);
    const base = { id, created, model: served.name, system_fingerprint: fingerprint(served) };
    const includeUsage = body.stream_options?.include_usage === true;
    const usageField = includeUsage ? { usage: null } : {};
    const run = await begin(request, reply, served);
    const totalPrompt = promptTokens.reduce((a, b) => a + b, 0) * n;
    metrics.tokens.inc({ model: served.name, kind: 'prompt' }, totalPrompt);
    let streaming = false;
    try {
      let completionTokens = 0;
      const choices: Array<{ text: string; index: number; logprobs: null; finish_reason: string }> = [];
      for (let p = 0; p < prompts.length; p++) {
        for (let j = 0; j < n; j++) {
          const index = p * n + j;
          const seed = body.seed === null || body.seed === undefined ? undefined : body.seed + index;
          const g = await startGeneration(model, prompts[p]!, genOptions(body, maxTokens, seed, run.signal), t0, served.name);
          if (body.stream && !streaming) {
            startSse(reply);
            streaming = true;
          }
          let text = body.echo ? prompts[p]! : '';
          if (streaming && body.echo) await sse(reply, JSON.stringify({ ...base, object: 'text_completion', choices: [{ text, index, logprobs: null, finish_reason: null }], ...usageField }));
          let tokens = 0;
          let finish = 'length';
          for (let r = g.first; !r.done; r = await g.it.next()) {
            const c = r.value;
            if (c.token >= 0) tokens++;
            if (c.finishReason) finish = c.finishReason === 'stop' ? 'stop' : 'length';
            if (c.text.length === 0) continue;
            if (streaming) await sse(reply, JSON.stringify({ ...base, object: 'text_completion', choices: [{ text: c.text, index, logprobs: null, finish_reason: null }], ...usageField }));
            else text += c.text;
          }
          recordSpeed(served.name, tokens, g.tFirst);
          completionTokens += tokens;
          if (streaming) await sse(reply, JSON.stringify({ ...base, object: 'text_completion', choices: [{ text: '', index, logprobs: null, finish_reason: finish }], ...usageField }));
          else choices.push({ text, index, logprobs: null, finish_reason: finish });
        }
      }
      const usage = { prompt_tokens: totalPrompt / n, completion_tokens: completionTokens, total_tokens: totalPrompt / n + completionTokens };
      if (streaming) {
        if (includeUsage) await sse(reply, JSON.stringify({ ...base, object: 'text_completion', choices: [], usage }));
        await sse(reply, '[DONE]');
        reply.raw.end();
        return reply;
      }
      return { ...base, object: 'text_completion', choices, usage };
    } catch (err) {
      throw await failStream(reply, streaming, mapError(err, served.name, run.abortReason()));
    } finally {
      run.release();
    }
  });

  app.post<{ Body: EmbeddingRequest }>('/v1/embeddings', { schema: { body: embeddingBody } }, async (request, reply) => {
    const body = request.body;
    const served = requireEmbedder(body.model);
    const emb = served.embedder;
    if (body.dimensions !== undefined && body.dimensions !== emb.dimension) {
      throw new HttpError(400, `This model produces ${emb.dimension}-dimensional embeddings; 'dimensions' = ${body.dimensions} is not supported.`, { param: 'dimensions', code: 'unsupported_value' });
    }
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    const run = await begin(request, reply, served);
    try {
      const vectors = await served.batcher.embed(texts, run.signal);
      const counter = (emb as { countTokens?: (t: string) => number }).countTokens;
      // Without a tokenizer, usage is an estimate: UTF-8 bytes / 4, rounded up.
      const tokens = texts.reduce((s, t) => s + (typeof counter === 'function' ? counter.call(emb, t) : Math.ceil(Buffer.byteLength(t) / 4)), 0);
      metrics.tokens.inc({ model: served.name, kind: 'embedding' }, tokens);
      const base64 = body.encoding_format === 'base64';
      return {
        object: 'list',
        data: vectors.map((v, index) => ({
          object: 'embedding',
          index,
          // base64 of little-endian float32, which openai-node decodes by default.
          embedding: base64 ? float32ToBase64(v) : Array.from(v),
        })),
        model: served.name,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    } catch (err) {
      throw mapError(err, served.name, run.abortReason());
    } finally {
      run.release();
    }
  });

  app.post<{ Body: RagAskRequest }>('/v1/rag/ask', { schema: { body: ragAskBody } }, async (request, reply) => {
    const rag = options.rag;
    if (!rag) throw new HttpError(501, 'RAG is not configured on this server (start it with a RAG answerer, e.g. `llm serve --rag FILE`).', { code: 'rag_not_configured' });
    const body = request.body;
    if (body.model !== undefined) requireChat(body.model);
    const ac = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) ac.abort(new CancelledError('client disconnected'));
    };
    reply.raw.once('close', onClose);
    const timer = setTimeout(() => ac.abort(new CancelledError('timeout')), timeoutMs);
    timer.unref();
    try {
      const r = await rag.ask(body.question, { k: body.k, model: body.model, maxTokens: body.max_tokens, signal: ac.signal });
      return {
        id: newId('rag'),
        object: 'rag.answer',
        created: Math.floor(Date.now() / 1000),
        answerer: rag.name,
        answer: r.answer,
        citations: r.citations,
        ...(r.usage ? { usage: { prompt_tokens: r.usage.promptTokens, completion_tokens: r.usage.completionTokens, total_tokens: r.usage.promptTokens + r.usage.completionTokens } } : {}),
      };
    } catch (err) {
      throw mapError(err, rag.name, ac.signal.aborted ? 'disconnect' : undefined);
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
    }
  });

  // --- web chat -------------------------------------------------------------------------------
  if (staticFiles.size > 0) {
    const send = (name: string, reply: FastifyReply) => {
      const f = staticFiles.get(name);
      if (!f) throw new HttpError(404, 'Not found', { code: 'not_found' });
      return reply
        .header('content-type', f.type)
        .header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'")
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .send(f.body);
    };
    app.get('/', async (_request, reply) => send('index.html', reply));
    app.get<{ Params: { file: string } }>('/static/:file', async (request, reply) => send(request.params.file, reply));
  }

  return app;
}

/** Little-endian float32 bytes of `v`, base64-encoded (OpenAI's `encoding_format: "base64"`). */
export function float32ToBase64(v: Float32Array): string {
  const buf = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i]!, i * 4);
  return buf.toString('base64');
}
