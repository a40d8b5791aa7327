#!/usr/bin/env node
// Load, soak and overhead benchmark of @llm/serve (loopback only, bounded).
//
//   pnpm --filter @llm/serve build && node benchmarks/serve/load.mjs [--clients 64] [--tokens 200] [--soak-rounds 20]
//
// The server runs in a child process (as in production); this process is the client (node:http,
// one connection per stream; embeddings and bad bodies use fetch). Reported: 64 concurrent streaming chats (errors, p50/p99 time to first
// token, tokens/s), the server's overhead per streamed token against calling the same model in
// process with the same seed (same tokens), and a soak of mixed traffic (streams, disconnects,
// embeddings, malformed bodies) with the server's heap measured after a full GC each round.
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const serveDist = new URL('../../packages/serve/dist/index.js', import.meta.url);
const MODEL_SPEC = 'ngram:austen?chars=1000000&order=5';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => pct(xs, 50);

/** One streaming chat over node:http (a fresh connection); returns TTFT (ms), tokens, decode tokens/s, total ms. */
function streamChat(url, body, { abortAfterChunks } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const payload = JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } });
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      if (res.statusCode !== 200) {
        let t = '';
        res.on('data', (d) => { t += d; });
        res.on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${t}`)));
        return;
      }
      res.setEncoding('utf8');
      let buf = '';
      let ttft;
      let tFirst;
      let chunks = 0;
      let usage;
      let finished = false;
      res.on('data', (text) => {
        if (finished) return;
        buf += text;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const data = buf.slice(6, i);
          buf = buf.slice(i + 2);
          if (data === '[DONE]') {
            finished = true;
            const t1 = performance.now();
            const tokens = usage?.completion_tokens ?? 0;
            resolve({ ttft, tokens, tps: tokens > 1 ? (tokens - 1) / ((t1 - tFirst) / 1000) : 0, ms: t1 - t0 });
            return;
          }
          const c = JSON.parse(data);
          if (c.error) { finished = true; reject(new Error(c.error.message)); return; }
          if (c.usage) usage = c.usage;
          if (c.choices[0]?.delta?.content) {
            chunks++;
            if (ttft === undefined) { tFirst = performance.now(); ttft = tFirst - t0; }
            if (abortAfterChunks && chunks >= abortAfterChunks) {
              finished = true;
              req.destroy();
              resolve({ aborted: true });
              return;
            }
          }
        }
      });
      res.on('end', () => { if (!finished) reject(new Error('stream ended without [DONE]')); });
      res.on('error', (e) => { if (!finished) reject(e); });
    });
    req.on('error', (e) => { if (!abortAfterChunks) reject(e); });
    req.end(payload);
  });
}

/** The server's heap after a full GC (asked over IPC; the server runs with --expose-gc). */
function heapOf(child) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send('gc');
  });
}

async function main() {
  const clients = arg('clients', 64);
  const maxTokens = arg('tokens', 200);
  const soakRounds = arg('soak-rounds', 20);
  const child = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { url } = await new Promise((resolve, reject) => { child.once('message', resolve); child.once('exit', (c) => reject(new Error(`server exited ${c}`))); });
  console.log(`server ${url} (child process), model ${MODEL_SPEC}`);
  try {
    const msg = (i) => ({ model: 'austen', messages: [{ role: 'user', content: `Tell me about the ball, part ${i}.` }], max_tokens: maxTokens, seed: i, temperature: 1 });
    // warm-up
    await Promise.all(Array.from({ length: 4 }, (_, i) => streamChat(url, msg(i))));

    // 1. 64 concurrent streaming chats
    const ttftServer = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const sum = Number(/^llm_time_to_first_token_seconds_sum\{model="austen"\} (\S+)$/m.exec(text)?.[1] ?? 0);
      const count = Number(/^llm_time_to_first_token_seconds_count\{model="austen"\} (\S+)$/m.exec(text)?.[1] ?? 0);
      return { sum, count };
    };
    const before = await ttftServer();
    const t0 = performance.now();
    const settled = await Promise.allSettled(Array.from({ length: clients }, (_, i) => streamChat(url, msg(1000 + i))));
    const wall = (performance.now() - t0) / 1000;
    const all = settled.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const ok = all.filter((r) => r.ttft !== undefined);
    if (ok.length < all.length) console.log(`(${all.length - ok.length} answers were empty: the model ended the turn at once)`);
    const errors = settled.filter((r) => r.status === 'rejected');
    const totalTokens = ok.reduce((s, r) => s + r.tokens, 0);
    console.log(`\n## ${clients} concurrent streaming chats (max_tokens ${maxTokens})`);
    console.log(`errors: ${errors.length}${errors.length ? ` (${errors[0].reason})` : ''}`);
    console.log(`TTFT ms: p50 ${median(ok.map((r) => r.ttft)).toFixed(1)}, p99 ${pct(ok.map((r) => r.ttft), 99).toFixed(1)}`);
    const after = await ttftServer();
    console.log(`server-side TTFT (request arrival → first token), mean: ${(((after.sum - before.sum) / (after.count - before.count)) * 1000).toFixed(1)} ms`);
    console.log(`per-stream tokens/s: p50 ${median(ok.map((r) => r.tps)).toFixed(0)}, p1 ${pct(ok.map((r) => r.tps), 1).toFixed(0)}`);
    console.log(`aggregate: ${totalTokens} tokens in ${wall.toFixed(2)} s = ${(totalTokens / wall).toFixed(0)} tokens/s`);

    // 2. overhead per streamed token: same model, same seed, same tokens, in process vs over HTTP
    const { NgramLanguageModel } = await import(serveDist);
    const model = await NgramLanguageModel.trainOnAusten({ id: 'austen', order: 5, maxChars: 1_000_000 });
    const long = { model: 'austen', messages: [{ role: 'user', content: 'Write at length.' }], max_tokens: 2000, temperature: 1 };
    const prompt = model.applyChatTemplate(long.messages);
    const inproc = [];
    const http = [];
    for (let rep = 0; rep < 7; rep++) {
      const seed = 77 + rep;
      let a = performance.now();
      let n = 0;
      for await (const c of model.stream(prompt, { maxTokens: 2000, seed, temperature: 1 })) if (c.token >= 0) n++;
      const inMs = performance.now() - a;
      a = performance.now();
      const r = await streamChat(url, { ...long, seed });
      const httpMs = performance.now() - a;
      if (r.tokens !== n) throw new Error(`token count differs: in process ${n}, HTTP ${r.tokens}`);
      if (n < 50) continue;
      inproc.push(inMs / n);
      http.push(httpMs / n);
    }
    const oIn = median(inproc);
    const oHttp = median(http);
    console.log(`\n## overhead per streamed token (sequential stream, median of ${http.length} runs)`);
    console.log(`in process: ${(oIn * 1000).toFixed(1)} µs/token; over HTTP+SSE: ${(oHttp * 1000).toFixed(1)} µs/token; overhead ${((oHttp - oIn) * 1000).toFixed(1)} µs/token (goal ≤ 1000); ratio ${(oHttp / oIn).toFixed(2)}`);

    // 3. soak: bounded rounds of mixed traffic; heap after each round
    console.log(`\n## soak: ${soakRounds} rounds of 32 streams (8 disconnect early) + 64 embedding requests + 200 malformed bodies`);
    const heaps = [];
    let bad4xx = 0;
    let badOther = 0;
    for (let round = 0; round < soakRounds; round++) {
      const work = [];
      for (let i = 0; i < 32; i++) work.push(streamChat(url, { ...msg(round * 100 + i), max_tokens: 100 }, { abortAfterChunks: i < 8 ? 3 : undefined }));
      for (let i = 0; i < 64; i++) work.push(fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'emb', input: [`text ${round} ${i}`, 'another'] }) }).then((r) => r.arrayBuffer()));
      for (let i = 0; i < 200; i++) {
        const bodies = ['{"model":', '[]', JSON.stringify({ model: 'austen', messages: 'x' }), JSON.stringify({ model: 'emb', input: 'x'.repeat(70_000) }), JSON.stringify({ model: 'austen', messages: [{ role: 'user', content: 'x' }], temperature: 9 })];
        work.push(fetch(`${url}/v1/${i % 2 ? 'chat/completions' : 'embeddings'}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i % bodies.length] }).then(async (r) => { await r.arrayBuffer(); if (r.status >= 400 && r.status < 500) bad4xx++; else badOther++; }));
      }
      await Promise.all(work);
      await new Promise((r) => setTimeout(r, 200));
      heaps.push(await heapOf(child));
    }
    const h = heaps.map((x) => x.heapMb);
    const firstHalf = median(h.slice(0, Math.floor(h.length / 2)));
    const secondHalf = median(h.slice(Math.floor(h.length / 2)));
    console.log(`server heap MB per round: ${h.map((x) => x.toFixed(0)).join(' ')}`);
    console.log(`median heap first half ${firstHalf.toFixed(1)} MB, second half ${secondHalf.toFixed(1)} MB (ratio ${(secondHalf / firstHalf).toFixed(2)}); RSS last ${heaps.at(-1).rssMb.toFixed(0)} MB`);
    console.log(`malformed bodies: ${bad4xx} answered 4xx, ${badOther} otherwise`);
    const health = await (await fetch(`${url}/health`)).json();
    console.log(`after soak: ${JSON.stringify(health.models.map((m) => ({ name: m.name, running: m.running, queued: m.queued })))}`);
  } finally {
    child.send('stop');
  }
}

if (process.argv[2] === '--child') {
  const { startServer } = await import(serveDist);
  const s = await startServer({
    port: 0,
    logger: false,
    bodyLimit: 64 * 1024,
    models: [
      { name: 'austen', path: MODEL_SPEC, maxConcurrency: 64, maxQueue: 512 },
      { name: 'emb', path: 'hashing:256', maxConcurrency: 2, maxQueue: 512, maxBatch: 64, maxWaitMs: 2 },
    ],
  });
  process.send({ url: s.url });
  process.on('message', async (m) => {
    if (m === 'gc') {
      globalThis.gc();
      const u = process.memoryUsage();
      process.send({ heapMb: u.heapUsed / 1e6, rssMb: u.rss / 1e6 });
    }
    if (m === 'stop') {
      await s.close();
      process.exit(0);
    }
  });
} else {
  await main();
}

