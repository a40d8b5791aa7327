import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SlowModel, smallModel, testServer } from './helpers.js';

/** Start a streaming chat over a real socket; resolve after `events` SSE events, then destroy the connection. */
function streamThenDisconnect(url: string, body: object, events: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let seen = 0;
      res.on('data', (buf: Buffer) => {
        seen += buf.toString().split('\n\n').length - 1;
        if (seen >= events) {
          req.destroy();
          resolve(seen);
        }
      });
      res.on('end', () => reject(new Error(`stream ended after ${seen} events (status ${res.statusCode})`)));
      res.on('error', () => undefined);
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    req.end(JSON.stringify(body));
  });
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('cancellation on client disconnect', () => {
  it('stops the generation and frees the slot for the next request (streaming and not)', async () => {
    const slow = new SlowModel(await smallModel(), 5);
    const s = await testServer({ chat: [{ spec: { name: 'slow', path: 'x', maxConcurrency: 1, maxQueue: 4 }, model: slow }] });
    try {
      const body = { model: 'slow', messages: [{ role: 'user', content: 'x' }], max_tokens: 50_000, temperature: 0, stream: true };
      await streamThenDisconnect(s.url, body, 5);
      await until(() => slow.aborted === 1);
      const producedAtAbort = slow.produced;
      await new Promise((r) => setTimeout(r, 100));
      expect(slow.produced).toBe(producedAtAbort); // generation really stopped
      expect(producedAtAbort).toBeLessThan(1000);
      await until(() => s.registry.get('slow')!.queue.active === 0);

      // The freed slot serves the next request at once.
      const r = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'x' }], max_tokens: 3 }) });
      expect(r.status).toBe(200);
      expect(slow.finished).toBe(1);

      // Non-streaming: abort the fetch while it is generating.
      const ac = new AbortController();
      const p = fetch(`${s.url}/v1/chat/completions`, { method: 'POST', signal: ac.signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'x' }], max_tokens: 50_000, temperature: 0 }) });
      await until(() => slow.produced > producedAtAbort + 10);
      ac.abort();
      await expect(p).rejects.toThrow();
      await until(() => slow.aborted === 2);
      await until(() => s.registry.get('slow')!.queue.active === 0);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/llm_cancelled_requests_total\{model="slow",reason="disconnect"\} 2/);
    } finally {
      await s.app.close();
    }
  });

  it('a request waiting in the queue leaves it when its client disconnects', async () => {
    const slow = new SlowModel(await smallModel(), 5);
    const s = await testServer({ chat: [{ spec: { name: 'slow', path: 'x', maxConcurrency: 1, maxQueue: 4 }, model: slow }] });
    try {
      const holder = new AbortController();
      const held = fetch(`${s.url}/v1/chat/completions`, { method: 'POST', signal: holder.signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'x' }], max_tokens: 50_000, temperature: 0 }) }).catch(() => undefined);
      await until(() => slow.produced > 0);
      const waiter = new AbortController();
      const waiting = fetch(`${s.url}/v1/chat/completions`, { method: 'POST', signal: waiter.signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }) }).catch(() => undefined);
      await until(() => s.registry.get('slow')!.queue.depth === 1);
      waiter.abort();
      await until(() => s.registry.get('slow')!.queue.depth === 0);
      holder.abort();
      await Promise.all([held, waiting]);
      await until(() => s.registry.get('slow')!.queue.active === 0);
      expect(slow.finished).toBe(0);
    } finally {
      await s.app.close();
    }
  });
});
