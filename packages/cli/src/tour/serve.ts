import OpenAI from 'openai';
import { startServer } from '@llm/serve';
import type { TourStep } from './types.js';

/**
 * Level 4: serving. Starts `@llm/serve` on an ephemeral 127.0.0.1 port with the built-in n-gram
 * model (a prefix of Austen) and the hashing embedder, makes one chat completion and one embedding
 * request with the official `openai` client, and stops the server.
 *
 * Wiring (lead): add `@llm/serve` and `openai` (6.x) to @llm/cli's dependencies and put
 * `serveStep` into TOUR_STEPS (replacing the pending level-4 serving stage).
 */
export const serveStep: TourStep = {
  id: 'serve',
  level: 4,
  title: 'serve: an OpenAI-compatible API, called with the openai client',
  async run(ctx) {
    const server = await startServer({
      port: 0,
      logger: false,
      signal: ctx.signal,
      models: [
        { name: 'austen', path: 'ngram:austen?chars=300000&order=5' },
        { name: 'hash-embed', path: 'hashing:256' },
      ],
    });
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-needed-locally', maxRetries: 0 });
      const t0 = performance.now();
      const chat = await client.chat.completions.create(
        { model: 'austen', messages: [{ role: 'user', content: 'Tell me about Emma Woodhouse.' }], max_tokens: 60, seed: 12, temperature: 0.8 },
        { signal: ctx.signal },
      );
      const chatMs = performance.now() - t0;
      const emb = await client.embeddings.create({ model: 'hash-embed', input: ['Emma Woodhouse, handsome, clever, and rich'] }, { signal: ctx.signal });
      const answer = chat.choices[0]?.message.content ?? '';
      ctx.log(`${server.url}: chat → ${JSON.stringify(answer.slice(0, 80))}… (${chat.usage?.completion_tokens} tokens, ${chatMs.toFixed(0)} ms); embedding of ${emb.data[0]?.embedding.length} floats`);
      return {
        summary: `served chat + embeddings at ${server.url}; the openai client got ${chat.usage?.completion_tokens} tokens and a ${emb.data[0]?.embedding.length}-d vector`,
        metrics: {
          chatMs: Math.round(chatMs),
          completionTokens: chat.usage?.completion_tokens ?? 0,
          finishReason: chat.choices[0]?.finish_reason ?? '',
          embeddingDimension: emb.data[0]?.embedding.length ?? 0,
        },
        artifacts: [],
        cached: false,
      };
    } finally {
      await server.close();
    }
  },
};
