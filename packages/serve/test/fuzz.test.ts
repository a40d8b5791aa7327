import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Rng } from '@llm/core';
import { testServer } from './helpers.js';

type Body = { payload: string; contentType: string };

const ROUTES = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/rag/ask'] as const;
const VALID: Record<(typeof ROUTES)[number], Record<string, unknown>> = {
  '/v1/chat/completions': { model: 'austen', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 },
  '/v1/completions': { model: 'austen', prompt: 'hi', max_tokens: 2 },
  '/v1/embeddings': { model: 'hash-embed', input: 'hi' },
  '/v1/rag/ask': { question: 'hi' },
};
// For each route: [field, a value that is always wrong for it].
const WRONG: Record<(typeof ROUTES)[number], Array<[string, unknown]>> = {
  '/v1/chat/completions': [
    ['model', 42], ['model', ''], ['model', null], ['model', ['austen']], ['messages', 'hi'], ['messages', []], ['messages', {}],
    ['messages', [{ role: 'wizard', content: 'x' }]], ['messages', [{ content: 'x' }]], ['messages', [{ role: 'user', content: 5 }]],
    ['messages', [{ role: 'user', content: [{ type: 'image_url', image_url: 'x' }] }]], ['messages', [null]], ['messages', [{ role: 'user', content: 'x', name: 7 }]],
    ['temperature', -0.1], ['temperature', 2.5], ['temperature', '1'], ['top_p', 1.5], ['top_p', true], ['max_tokens', 0], ['max_tokens', 1.5],
    ['max_tokens', -3], ['max_tokens', '10'], ['n', 0], ['n', 9], ['stop', 5], ['stop', ['a', 'b', 'c', 'd', 'e']], ['stop', [1]], ['seed', 1.25],
    ['seed', 'x'], ['stream', 'yes'], ['stream', 1], ['stream_options', 'x'], ['presence_penalty', 3], ['frequency_penalty', -3], ['logprobs', true],
    ['tools', [{ type: 'function' }]], ['response_format', { type: 'json_object' }], ['max_completion_tokens', 0], ['top_k', -1], ['user', 9],
  ],
  '/v1/completions': [
    ['model', 1], ['prompt', 5], ['prompt', [1, 2, 3]], ['prompt', []], ['prompt', { text: 'x' }], ['prompt', null], ['echo', 'yes'], ['best_of', 0],
    ['logprobs', 5], ['suffix', 'x'], ['max_tokens', 0], ['temperature', 9], ['n', -1], ['stop', {}],
  ],
  '/v1/embeddings': [
    ['model', false], ['input', ''], ['input', []], ['input', 5], ['input', [1, 2]], ['input', [[1, 2]]], ['input', ['ok', '']], ['input', null],
    ['encoding_format', 'hex'], ['encoding_format', 1], ['dimensions', 0], ['dimensions', 'x'], ['dimensions', 3],
  ],
  '/v1/rag/ask': [['question', ''], ['question', 1], ['question', null], ['k', 0], ['k', 1000], ['k', '3'], ['model', 3], ['model', 'no-such-model'], ['max_tokens', 0]],
};

function randomString(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(0x2500));
  return s;
}

/** A body that must be refused: each kind below is invalid by construction. */
function malformed(rng: Rng, route: (typeof ROUTES)[number]): Body {
  const json = 'application/json';
  const valid = VALID[route];
  switch (rng.int(9)) {
    case 0: { // truncated JSON
      const s = JSON.stringify(valid);
      return { payload: s.slice(0, rng.int(s.length - 1)), contentType: json };
    }
    case 1: // random characters
      return { payload: `{${randomString(rng, 1 + rng.int(200))}`, contentType: json };
    case 2: { // JSON that is not an object
      const roots = ['[]', '42', 'null', '"x"', 'true', '[{"model":"austen"}]', '1e400'];
      return { payload: roots[rng.int(roots.length)]!, contentType: json };
    }
    case 3: { // a required field missing
      const b: Record<string, unknown> = { ...valid };
      const req = route === '/v1/rag/ask' ? ['question'] : route === '/v1/chat/completions' ? ['model', 'messages'] : route === '/v1/completions' ? ['model', 'prompt'] : ['model', 'input'];
      delete b[req[rng.int(req.length)]!];
      b[`extra_${rng.int(100)}`] = rng.next();
      return { payload: JSON.stringify(b), contentType: json };
    }
    case 4:
    case 5: { // a field of the wrong type or out of range
      const list = WRONG[route];
      const [field, value] = list[rng.int(list.length)]!;
      return { payload: JSON.stringify({ ...valid, [field]: value }), contentType: json };
    }
    case 6: // oversized (the fuzz server's limit is 32 KiB)
      return { payload: JSON.stringify({ ...valid, padding: 'x'.repeat(33 * 1024 + rng.int(64 * 1024)) }), contentType: json };
    case 7: { // wrong or missing content type
      const types = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', ''];
      return { payload: JSON.stringify(valid), contentType: types[rng.int(types.length)]! };
    }
    default: { // prototype pollution, deep nesting, duplicate-key garbage
      const kinds = [
        `{"__proto__": {"admin": true}, ${JSON.stringify(valid).slice(1)}`,
        `${'['.repeat(2000 + rng.int(2000))}${']'.repeat(2000)}`,
        `{"model": "austen", "model": {"constructor": {"prototype": {"x": 1}}}}`,
        `{"model":"austen","messages":[{"role":"user","content":"x"}],"temperature":NaN}`,
        '\u0000\u0001\u0002',
      ];
      return { payload: kinds[rng.int(kinds.length)]!, contentType: json };
    }
  }
}

describe('fuzz: malformed, oversized and wrongly typed bodies', () => {
  it('answers 10,000 bad bodies with 4xx OpenAI errors, stays alive, memory flat', async () => {
    const s = await testServer({ listen: false, withRag: true, bodyLimit: 32 * 1024 });
    try {
      const rng = new Rng('fuzz');
      const N = 10_000;
      const statuses = new Map<number, number>();
      // A real full GC, so the heap comparison is not GC timing noise.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      let heapAt1k = 0;
      for (let i = 0; i < N; i++) {
        const route = ROUTES[rng.int(ROUTES.length)]!;
        const body = malformed(rng, route);
        const headers: Record<string, string> = body.contentType ? { 'content-type': body.contentType } : {};
        const r = await s.app.inject({ method: 'POST', url: route, headers, payload: body.payload });
        statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
        if (r.statusCode < 400 || r.statusCode >= 500) throw new Error(`body #${i} to ${route} got ${r.statusCode}: ${body.payload.slice(0, 200)} → ${r.body.slice(0, 200)}`);
        const e = r.json() as { error?: { message?: unknown; type?: unknown } };
        if (typeof e.error?.message !== 'string' || typeof e.error.type !== 'string') throw new Error(`body #${i}: not an OpenAI error: ${r.body.slice(0, 200)}`);
        if (/\bat .+:\d+:\d+/.test(r.body)) throw new Error(`body #${i}: stack trace in response: ${r.body.slice(0, 300)}`);
        if (i === 1000) {
          gc();
          heapAt1k = process.memoryUsage().heapUsed;
        }
      }
      gc();
      const growthMb = (process.memoryUsage().heapUsed - heapAt1k) / 1e6;
      console.log(`heap growth from body 1,000 to 10,000, after GC: ${growthMb.toFixed(1)} MB`);
      expect(growthMb).toBeLessThan(16);
      expect([...statuses.keys()].every((c) => c >= 400 && c < 500)).toBe(true);
      expect(statuses.get(400)).toBeGreaterThan(N / 2);
      expect(statuses.get(413)).toBeGreaterThan(100);
      expect(statuses.get(415)).toBeGreaterThan(100);
      // still alive and correct
      const ok = await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: VALID['/v1/chat/completions'] });
      expect(ok.statusCode).toBe(200);
      const m = await s.app.inject({ method: 'GET', url: '/metrics' });
      expect(m.body).toMatch(/llm_http_requests_total\{route="\/v1\/chat\/completions",method="POST",status="400"\} \d+/);
    } finally {
      await s.app.close();
    }
  });
});
