import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { ChatOpenAI } from '@langchain/openai';
import { HashingEmbedder } from '../src/index.js';
import { smallModel, testServer, type TestServer } from './helpers.js';

// The official clients, pointed at the server on 127.0.0.1.
describe('official openai client (6.x) and LangChain ChatOpenAI', () => {
  let s: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    s = await testServer();
    client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(() => s.app.close());

  it('chat.completions.create without streaming', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'developer', content: 'Answer in one line.' }, { role: 'user', content: 'What did Emma do?' }], max_tokens: 30, seed: 11, temperature: 0.9, stop: ['\n'] });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0]!.message.role).toBe('assistant');
    expect(typeof r.choices[0]!.message.content).toBe('string');
    expect(r.choices[0]!.message.content).not.toContain('\n');
    expect(r.usage!.completion_tokens).toBeGreaterThan(0);
    expect(r.usage!.completion_tokens).toBeLessThanOrEqual(30);
  });

  it('chat.completions.create with stream: true, and the stream helper', async () => {
    const stream = await client.chat.completions.create({ model: 'austen', messages: [{ role: 'user', content: 'Tell me a story.' }], stream: true, stream_options: { include_usage: true }, max_tokens: 40, seed: 2 });
    let text = '';
    let role: string | undefined;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.role) role = chunk.choices[0].delta.role;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(role).toBe('assistant');
    expect(['stop', 'length']).toContain(finish);
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);
    const model = await smallModel();
    const direct = await model.generate(model.applyChatTemplate([{ role: 'user', content: 'Tell me a story.' }]), { seed: 2, maxTokens: 40 });
    expect(text).toBe(direct.text);
    // The SDK's accumulating helper parses the same chunks.
    const runner = client.chat.completions.stream({ model: 'austen', messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 40, seed: 2 });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe(direct.text);
  });

  it('completions.create with a prompt array, and streaming', async () => {
    const r = await client.completions.create({ model: 'austen', prompt: ['It is a truth universally', 'Elizabeth'], max_tokens: 8, seed: 4 });
    expect(r.object).toBe('text_completion');
    expect(r.choices).toHaveLength(2);
    const stream = await client.completions.create({ model: 'austen', prompt: 'It is a truth universally', max_tokens: 8, seed: 4, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.text ?? '';
    expect(text).toBe(r.choices[0]!.text);
  });

  it('embeddings.create: the default (base64, decoded by the SDK) and float give the same vectors', async () => {
    const input = ['Mr. Knightley walked in.', 'The weather was fine.'];
    const dflt = await client.embeddings.create({ model: 'hash-embed', input });
    const flt = await client.embeddings.create({ model: 'hash-embed', input, encoding_format: 'float' });
    const ref = await new HashingEmbedder().embed(input);
    expect(dflt.data).toHaveLength(2);
    expect(dflt.data[0]!.embedding).toHaveLength(256);
    expect(dflt.data[0]!.embedding).toEqual(Array.from(ref[0]!));
    expect(flt.data[1]!.embedding).toEqual(Array.from(ref[1]!));
    expect(dflt.data[1]!.embedding.some((x) => x !== 0)).toBe(true);
  });

  it('errors surface as the SDK\'s typed errors', async () => {
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.chat.completions.create({ model: 'austen', messages: [{ role: 'user', content: 'x' }], temperature: 5 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('LangChain ChatOpenAI invoke and stream', async () => {
    // Seeded like the SDK tests above: an unseeded sample of the n-gram model may end at once (empty content).
    const llm = new ChatOpenAI({ model: 'austen', apiKey: 'unused', configuration: { baseURL: `${s.url}/v1` }, maxTokens: 30, temperature: 0.5, maxRetries: 0, modelKwargs: { seed: 5 } });
    const msg = await llm.invoke([['system', 'You are Jane Austen.'], ['human', 'Describe Bath.']]);
    expect(typeof msg.content).toBe('string');
    expect((msg.content as string).length).toBeGreaterThan(0);
    expect(msg.usage_metadata?.output_tokens).toBeGreaterThan(0);
    let streamed = '';
    let chunks = 0;
    for await (const chunk of await llm.stream('Describe Bath.')) {
      streamed += chunk.content as string;
      chunks++;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(streamed.length).toBeGreaterThan(0);
  });
});
