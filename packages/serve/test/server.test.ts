import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashingEmbedder, ModelQueue, QueueFullError, EmbeddingBatcher } from '../src/index.js';
import type { LanguageModel, StreamChunk } from '@llm/core';
import { SlowModel, smallModel, testServer, type TestServer } from './helpers.js';

function sseEvents(body: string): string[] {
  return body.split('\n\n').filter(Boolean).map((e) => {
    expect(e.startsWith('data: ')).toBe(true);
    return e.slice(6);
  });
}

describe('routes (in process)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await testServer({ listen: false, withRag: true });
  });
  afterAll(() => s.app.close());

  it('lists models and aliases, and retrieves one', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/v1/models' });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { object: string; data: Array<{ id: string; object: string; owned_by: string; created: number }> };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(['austen', 'gpt-4o-mini', 'hash-embed']);
    expect(body.data[0]).toMatchObject({ object: 'model', owned_by: 'llm-serve' });
    expect((await s.app.inject({ method: 'GET', url: '/v1/models/gpt-4o-mini' })).json()).toMatchObject({ id: 'gpt-4o-mini', type: 'chat' });
    expect((await s.app.inject({ method: 'GET', url: '/v1/models/nope' })).statusCode).toBe(404);
  });

  it('answers a chat completion in the OpenAI shape, deterministically by seed', async () => {
    const payload = { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Who is Emma?' }], seed: 3, max_tokens: 40, temperature: 0.7, n: 2 };
    const a = (await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload })).json();
    const b = (await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload })).json();
    expect(a.object).toBe('chat.completion');
    expect(a.id).toMatch(/^chatcmpl-/);
    expect(a.model).toBe('austen');
    expect(a.choices).toHaveLength(2);
    expect(a.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant' }, logprobs: null });
    expect(['stop', 'length']).toContain(a.choices[0].finish_reason);
    expect(a.choices.map((c: { message: { content: string } }) => c.message.content)).toEqual(b.choices.map((c: { message: { content: string } }) => c.message.content));
    const model = await smallModel();
    const prompt = model.applyChatTemplate([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Who is Emma?' }]);
    expect(a.usage.prompt_tokens).toBe(model.tokenize(prompt).length);
    expect(a.usage.total_tokens).toBe(a.usage.prompt_tokens + a.usage.completion_tokens);
    // The same text as calling the model in process with the same seed.
    const direct = await model.generate(prompt, { seed: 3, maxTokens: 40, temperature: 0.7 });
    expect(a.choices[0].message.content).toBe(direct.text);
  });

  it('streams chat as SSE: role delta first, content deltas, finish chunk, usage, [DONE]', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'austen', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }], stream: true, stream_options: { include_usage: true }, max_tokens: 30, seed: 9 } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = sseEvents(r.body);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id)).toBe(true);
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    const finish = chunks.at(-2);
    expect(finish.choices[0].delta).toEqual({});
    expect(['stop', 'length']).toContain(finish.choices[0].finish_reason);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    const text = chunks.slice(1, -2).map((c) => c.choices[0].delta.content).join('');
    const model = await smallModel();
    const direct = await model.generate(model.applyChatTemplate([{ role: 'user', content: 'Hello' }]), { seed: 9, maxTokens: 30 });
    expect(text).toBe(direct.text);
    expect(usageChunk.usage.completion_tokens).toBe(direct.tokens.length);
  });

  it('completions: array prompts give one choice per prompt×n, with echo and stop', async () => {
    const r = (await s.app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'austen', prompt: ['It is a truth', 'Mr. Darcy'], n: 2, max_tokens: 12, seed: 1, echo: true } })).json();
    expect(r.object).toBe('text_completion');
    expect(r.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2, 3]);
    expect(r.choices[2].text.startsWith('Mr. Darcy')).toBe(true);
    const st = (await s.app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'austen', prompt: 'She was', temperature: 0, max_tokens: 200, stop: [' '] } })).json();
    expect(st.choices[0].text).not.toContain(' ');
    expect(st.choices[0].finish_reason).toBe('stop');
    const def = (await s.app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'austen', prompt: 'She was', temperature: 0 } })).json();
    expect(def.usage.completion_tokens).toBeLessThanOrEqual(16);
  });

  it('embeddings: float and little-endian float32 base64 agree', async () => {
    const f = (await s.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'hash-embed', input: ['a cat', 'a dog'], encoding_format: 'float' } })).json();
    const b = (await s.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'hash-embed', input: ['a cat', 'a dog'], encoding_format: 'base64' } })).json();
    expect(f.object).toBe('list');
    expect(f.data[1]).toMatchObject({ object: 'embedding', index: 1 });
    expect(f.data[0].embedding).toHaveLength(256);
    const buf = Buffer.from(b.data[0].embedding, 'base64');
    expect(buf.length).toBe(256 * 4);
    const decoded = Array.from({ length: 256 }, (_, i) => buf.readFloatLE(i * 4));
    expect(decoded).toEqual(f.data[0].embedding);
    expect(f.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    const bad = await s.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'hash-embed', input: 'x', dimensions: 3 } });
    expect(bad.statusCode).toBe(400);
  });

  it('batches concurrent embedding requests dynamically (one embed call for many requests)', async () => {
    const before = await s.metrics.batchSize.get();
    const count0 = before.values.find((v) => v.metricName === 'llm_embedding_batch_size_count')?.value ?? 0;
    const sum0 = before.values.find((v) => v.metricName === 'llm_embedding_batch_size_sum')?.value ?? 0;
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => s.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'hash-embed', input: [`text ${i}`, 'shared'], encoding_format: 'float' } })));
    expect(rs.every((r) => r.statusCode === 200)).toBe(true);
    // each request got its own rows back
    const emb = new HashingEmbedder();
    rs.forEach((r, i) => expect(r.json().data[0].embedding).toEqual(Array.from(emb.embedOne(`text ${i}`))));
    const after = await s.metrics.batchSize.get();
    const batches = (after.values.find((v) => v.metricName === 'llm_embedding_batch_size_count')?.value ?? 0) - count0;
    const texts = (after.values.find((v) => v.metricName === 'llm_embedding_batch_size_sum')?.value ?? 0) - sum0;
    expect(texts).toBe(24);
    expect(batches).toBeLessThan(12);
  });

  it('OpenAI-style errors: validation 400 with param, 404 model, wrong model type, 404 route, 413, 415', async () => {
    const v = await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'austen', messages: [{ role: 'user', content: 'x' }], temperature: '1' } });
    expect(v.statusCode).toBe(400);
    expect(v.json()).toEqual({ error: { message: expect.stringContaining('temperature'), type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } });
    const miss = (await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'austen', messages: [{ content: 'x' }] } })).json();
    expect(miss.error.param).toBe('messages[0].role');
    const nm = await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'gpt-5', messages: [{ role: 'user', content: 'x' }] } });
    expect(nm.statusCode).toBe(404);
    expect(nm.json().error.code).toBe('model_not_found');
    expect((await s.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'austen', input: 'x' } })).statusCode).toBe(400);
    expect((await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'hash-embed', messages: [{ role: 'user', content: 'x' }] } })).statusCode).toBe(400);
    const nf = await s.app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json().error.type).toBe('invalid_request_error');
    const big = await s.app.inject({ method: 'POST', url: '/v1/embeddings', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ model: 'hash-embed', input: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('request_too_large');
    const media = await s.app.inject({ method: 'POST', url: '/v1/embeddings', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(media.statusCode).toBe(415);
    const ctx = await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'austen', messages: [{ role: 'user', content: 'x' }], max_tokens: 1_000_000 } });
    expect(ctx.statusCode).toBe(400);
    expect(ctx.json().error.code).toBe('context_length_exceeded');
    const json = await s.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, payload: '{"model": ' });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.message).not.toMatch(/\bat\s+\S+\s+\(/);
  });

  it('RAG ask returns an answer with citations; health and metrics report', async () => {
    const r = (await s.app.inject({ method: 'POST', url: '/v1/rag/ask', payload: { question: 'How do I install a package with apt?', k: 2 } })).json();
    expect(r.object).toBe('rag.answer');
    expect(r.answer).toContain('[1]');
    expect(r.citations[0]).toMatchObject({ index: 1, id: 'faq-2', source: 'debian-faq.txt', page: 7 });
    const h = (await s.app.inject({ method: 'GET', url: '/health' })).json();
    expect(h.status).toBe('ok');
    expect(h.rag).toBe('test-faq');
    const m = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(m.headers['content-type']).toMatch(/^text\/plain/);
    for (const name of ['llm_http_requests_total', 'llm_http_request_duration_seconds_bucket', 'llm_time_to_first_token_seconds_bucket', 'llm_generation_tokens_per_second_bucket', 'llm_queue_depth', 'llm_embedding_batch_size_bucket', 'llm_tokens_total']) {
      expect(m.body).toContain(name);
    }
    expect(m.body).toMatch(/llm_http_requests_total\{route="\/v1\/chat\/completions",method="POST",status="200"\} \d+/);
  });

  it('serves the web chat with a CSP and no CORS headers by default', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/', headers: { origin: 'http://evil.example' } });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('<select id="model"');
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect((await s.app.inject({ method: 'GET', url: '/static/app.js' })).headers['content-type']).toMatch(/javascript/);
    expect((await s.app.inject({ method: 'GET', url: '/static/..%2Fpackage.json' })).statusCode).toBe(404);
  });
});

describe('security options', () => {
  it('requires the Bearer key and rate-limits per key with Retry-After', async () => {
    const s = await testServer({ listen: false, apiKeys: [{ key: 'k1', requestsPerMinute: 2 }, { key: 'k2' }] });
    try {
      const none = await s.app.inject({ method: 'GET', url: '/v1/models' });
      expect(none.statusCode).toBe(401);
      expect(none.json().error.code).toBe('invalid_api_key');
      expect((await s.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
      expect((await s.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      const h = { authorization: 'Bearer k1' };
      expect((await s.app.inject({ method: 'GET', url: '/v1/models', headers: h })).statusCode).toBe(200);
      expect((await s.app.inject({ method: 'GET', url: '/v1/models', headers: h })).statusCode).toBe(200);
      const limited = await s.app.inject({ method: 'GET', url: '/v1/models', headers: h });
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(limited.json().error.code).toBe('rate_limit_exceeded');
      // another key has its own budget
      for (let i = 0; i < 5; i++) expect((await s.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer k2' } })).statusCode).toBe(200);
    } finally {
      await s.app.close();
    }
  });

  it('CORS only for configured origins; RAG 501 when none; a crashing model gives 500 without a stack', async () => {
    const crashing: LanguageModel = {
      ...(await smallModel()),
      id: 'crash',
      vocabSize: 259,
      contextLength: 1000,
      tokenize: (t: string) => Array.from(Buffer.from(t)),
      applyChatTemplate: () => 'x',
      nextTokenLogits: async () => ({ logits: new Float32Array(1) }),
      generate: async () => { throw new Error('secret internal detail'); },
      // eslint-disable-next-line require-yield
      stream: async function* (): AsyncGenerator<StreamChunk> { throw new Error('secret internal detail'); },
    };
    const s = await testServer({ listen: false, corsOrigins: ['http://ok.example'], chat: [{ spec: { name: 'crash', path: 'x' }, model: crashing }] });
    try {
      const ok = await s.app.inject({ method: 'OPTIONS', url: '/v1/chat/completions', headers: { origin: 'http://ok.example', 'access-control-request-method': 'POST' } });
      expect(ok.statusCode).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('http://ok.example');
      const no = await s.app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'http://evil.example' } });
      expect(no.headers['access-control-allow-origin']).toBeUndefined();
      const rag = await s.app.inject({ method: 'POST', url: '/v1/rag/ask', payload: { question: 'q' } });
      expect(rag.statusCode).toBe(501);
      expect(rag.json().error.code).toBe('rag_not_configured');
      const crash = await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'crash', messages: [{ role: 'user', content: 'x' }] } });
      expect(crash.statusCode).toBe(500);
      expect(crash.body).not.toContain('secret');
      expect(crash.body).not.toMatch(/\.ts:\d+/);
      expect(crash.json().error.type).toBe('server_error');
    } finally {
      await s.app.close();
    }
  });
});

describe('scheduling', () => {
  it('backpressure: a full queue answers 429 with Retry-After; a timeout answers 504', async () => {
    const slow = new SlowModel(await smallModel(), 20);
    const s = await testServer({ listen: false, requestTimeoutMs: 400, chat: [{ spec: { name: 'slow', path: 'x', maxConcurrency: 1, maxQueue: 1 }, model: slow }] });
    try {
      const req = () => s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'slow', messages: [{ role: 'user', content: 'x' }], max_tokens: 5, temperature: 0 } });
      const [a, b, c] = await Promise.all([req(), req(), req()]);
      const codes = [a, b, c].map((r) => r.statusCode).sort();
      expect(codes).toEqual([200, 200, 429]);
      const rejected = [a, b, c].find((r) => r.statusCode === 429)!;
      expect(Number(rejected.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(rejected.json().error.code).toBe('queue_full');
      const t = await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'slow', messages: [{ role: 'user', content: 'x' }], max_tokens: 1000, temperature: 0 } });
      expect(t.statusCode).toBe(504);
      expect(t.json().error.code).toBe('timeout');
      expect(slow.aborted).toBe(1);
      expect(s.registry.get('slow')!.queue.active).toBe(0);
    } finally {
      await s.app.close();
    }
  });

  it('ModelQueue: FIFO, bounded, aborting a waiter frees its place', async () => {
    const q = new ModelQueue({ maxConcurrency: 1, maxQueue: 2 });
    const r1 = await q.acquire();
    const order: number[] = [];
    const ac = new AbortController();
    const p2 = q.acquire().then((r) => { order.push(2); return r; });
    const p3 = q.acquire(ac.signal);
    await expect(q.acquire()).rejects.toBeInstanceOf(QueueFullError);
    ac.abort();
    await expect(p3).rejects.toThrow(/cancelled/);
    expect(q.depth).toBe(1);
    r1();
    r1();
    (await p2)();
    expect(order).toEqual([2]);
    expect(q.active).toBe(0);
  });

  it('EmbeddingBatcher merges concurrent requests into one embed call, up to maxBatch', async () => {
    const inner = new HashingEmbedder();
    const calls: number[] = [];
    const counting = { ...inner, id: inner.id, dimension: inner.dimension, maxBatchSize: 8, normalized: true, embed: async (t: readonly string[]) => { calls.push(t.length); return inner.embed(t); } };
    const b = new EmbeddingBatcher(counting, { maxBatch: 8, maxWaitMs: 20 });
    const results = await Promise.all([b.embed(['a']), b.embed(['b', 'c']), b.embed(['d'])]);
    expect(calls).toEqual([4]);
    expect(results.map((r) => r.length)).toEqual([1, 2, 1]);
    expect(results[1]![1]).toEqual(inner.embedOne('c'));
    calls.length = 0;
    await Promise.all([b.embed(['1', '2', '3', '4', '5']), b.embed(['6', '7', '8', '9'])]);
    expect(calls).toEqual([5, 4]);
  });
});
