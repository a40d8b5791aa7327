#!/usr/bin/env node
// Level 4 — deploying an LLM as an API. Starts @llm/serve on an ephemeral 127.0.0.1 port with the
// built-in models, then talks to it the way any OpenAI client does: a chat completion, a streamed
// chat (SSE), embeddings (base64 little-endian float32, decoded here), a RAG question with
// citations, and a look at /metrics. Bounded; stops the server at the end.
//
//   pnpm --filter @llm/serve build && node examples/level-4/serve-api/serve-api.mjs
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { startServer } = await import(new URL('../../../packages/serve/dist/index.js', import.meta.url).href);

// A tiny knowledge base for the built-in extractive RAG answerer (paragraphs of a text file).
const dir = mkdtempSync(join(tmpdir(), 'serve-api-'));
const kb = join(dir, 'kb.txt');
writeFileSync(kb, [
  'Debian is a free operating system built by volunteers. It uses the Linux kernel.',
  'Packages are installed with apt. The command apt-get install NAME fetches a package and its dependencies.',
  'Each stable release is supported with security updates for about three years.',
].join('\n\n'));

const server = await startServer({
  port: 0,
  logLevel: 'warn',
  ragFile: kb,
  models: [
    { name: 'austen', path: 'ngram:austen?chars=500000&order=5', aliases: ['gpt-4o-mini'] },
    { name: 'hash-embed', path: 'hashing:256' },
  ],
});
const base = server.url;
const post = async (path, body) => {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return r;
};

try {
  console.log(`server at ${base} — web chat at ${base}/`);
  const models = await (await fetch(`${base}/v1/models`)).json();
  console.log('models:', models.data.map((m) => m.id).join(', '));

  // 1. Chat completion (the same JSON any OpenAI SDK sends).
  const chat = await (await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Who is Mr. Knightley?' }], max_tokens: 60, seed: 3 })).json();
  console.log(`\nchat (${chat.choices[0].finish_reason}, ${chat.usage.completion_tokens} tokens):`, JSON.stringify(chat.choices[0].message.content));

  // 2. Streaming: Server-Sent Events, one chat.completion.chunk per line, ending with [DONE].
  const res = await post('/v1/chat/completions', { model: 'austen', messages: [{ role: 'user', content: 'Describe a ball.' }], max_tokens: 60, seed: 5, stream: true });
  let text = '';
  let events = 0;
  const decoder = new TextDecoder();
  let buf = '';
  for await (const part of res.body) {
    buf += decoder.decode(part, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const data = buf.slice(6, i);
      buf = buf.slice(i + 2);
      events++;
      if (data !== '[DONE]') text += JSON.parse(data).choices[0]?.delta?.content ?? '';
    }
  }
  console.log(`stream: ${events} SSE events →`, JSON.stringify(text));

  // 3. Embeddings in base64: little-endian float32, what the openai SDK asks for by default.
  const emb = await (await post('/v1/embeddings', { model: 'hash-embed', input: ['Emma', 'Persuasion'], encoding_format: 'base64' })).json();
  const b = Buffer.from(emb.data[0].embedding, 'base64');
  const v = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  console.log(`\nembedding: ${emb.data[0].embedding.length} base64 chars → ${v.length} floats, |v| = ${Math.hypot(...v).toFixed(3)}`);

  // 4. RAG with citations.
  const rag = await (await post('/v1/rag/ask', { question: 'How do I install a package?' })).json();
  console.log(`\nrag: ${rag.answer}`);
  for (const c of rag.citations) console.log(`  [${c.index}] ${c.id} (score ${c.score.toFixed(2)})`);

  // 5. Errors are OpenAI error objects; a bad body is a 400, never a stack trace.
  const bad = await post('/v1/chat/completions', { model: 'austen', messages: [{ role: 'user', content: 'x' }], temperature: 7 });
  console.log(`\nbad request → ${bad.status}`, JSON.stringify(await bad.json()));

  // 6. Prometheus metrics.
  const metrics = await (await fetch(`${base}/metrics`)).text();
  console.log('\nmetrics excerpt:');
  for (const line of metrics.split('\n')) if (/^llm_(tokens_total|time_to_first_token_seconds_count|queue_depth)/.test(line)) console.log(' ', line);
} finally {
  await server.close();
}
