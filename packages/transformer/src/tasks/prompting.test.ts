import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '@llm/core';
import { CHATML_TEMPLATE, OpenAiCompatibleClient, fewShotMessages, fewShotPrompt, renderChatTemplate, zeroShotPrompt } from '../index.js';

let server: Server;
let base = '';
const seen: Array<{ url: string; body: Record<string, unknown>; auth?: string }> = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => { data += c.toString(); });
    req.on('end', () => {
      const body = JSON.parse(data) as Record<string, unknown>;
      seen.push({ url: req.url ?? '', body, auth: req.headers.authorization });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/chat/completions') res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: `echo:${(body.messages as Array<{ content: string }>).at(-1)!.content}` } }] }));
      else if (req.url === '/v1/completions') res.end(JSON.stringify({ choices: [{ text: ' the light' }] }));
      else { res.statusCode = 500; res.end('{"error":"boom"}'); }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => { await new Promise((r) => server.close(r)); });

describe('prompting', () => {
  it('builds zero- and few-shot prompts', () => {
    expect(zeroShotPrompt('sol', { instruction: 'Translate Spanish to English.' })).toBe('Translate Spanish to English.\n\nInput: sol\nOutput:');
    expect(fewShotPrompt([{ input: 'luna', output: 'moon' }], 'sol')).toBe('Input: luna\nOutput: moon\n\nInput: sol\nOutput:');
    const m = fewShotMessages([{ input: 'luna', output: 'moon' }], 'sol', 'Translate.');
    expect(m.map((x) => x.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(renderChatTemplate({ source: CHATML_TEMPLATE, variables: {} }, m, { addGenerationPrompt: true })).toContain('<|im_start|>assistant\nmoon<|im_end|>');
  });

  it('talks to an OpenAI-compatible endpoint (a local one), with the key as a bearer token', async () => {
    const c = new OpenAiCompatibleClient({ baseUrl: base, model: 'm', apiKey: 'k' });
    expect(await c.chat(fewShotMessages([], 'hola'))).toBe('echo:hola');
    expect(await c.complete('Let there be', { maxTokens: 3, stop: ['\n'] })).toBe(' the light');
    expect(seen[0]!.auth).toBe('Bearer k');
    expect(seen[1]!.body).toMatchObject({ model: 'm', prompt: 'Let there be', max_tokens: 3, stop: ['\n'] });
    await expect(new OpenAiCompatibleClient({ baseUrl: `${base}/bad`, model: 'm' }).chat([{ role: 'user', content: 'x' }])).rejects.toBeInstanceOf(FormatError);
  });
});
