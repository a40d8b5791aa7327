import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertHf, writeTinyLlama } from '@llm/quant';
import { startServer } from '../src/index.js';

describe('neural backends', () => {
  it('serves an HF folder natively on tfjs (@llm/transformer, tokenizer.json through @llm/tokenize)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-serve-native-'));
    await writeTinyLlama(join(dir, 'hf'), { seed: 4 });
    const s = await startServer({ port: 0, logger: false, models: [{ name: 'tiny-native', path: join(dir, 'hf') }] });
    try {
      expect(s.registry.get('tiny-native')!.kind).toBe('native');
      const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tiny-native', messages: [{ role: 'user', content: 'the' }], max_tokens: 4, temperature: 0 }) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: Array<{ message: { role: string; content: string }; finish_reason: string }>; usage: { completion_tokens: number; prompt_tokens: number } };
      expect(body.choices[0]!.message.role).toBe('assistant');
      expect(body.usage.prompt_tokens).toBeGreaterThan(0);
      expect(body.usage.completion_tokens).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });

  it('serves a GGUF file through node-llama-cpp (@llm/quant), detected by its extension', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-serve-gguf-'));
    await writeTinyLlama(join(dir, 'hf'), { seed: 3 });
    await convertHf(join(dir, 'hf'), join(dir, 'tiny.gguf'), { type: 'Q8_0' });
    const s = await startServer({ port: 0, logger: false, models: [{ name: 'tiny-gguf', path: join(dir, 'tiny.gguf') }] });
    try {
      const models = (await (await fetch(`${s.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
      expect(models.data.map((m) => m.id)).toContain('tiny-gguf');
      expect(s.registry.get('tiny-gguf')!.kind).toBe('gguf');
      const res = await fetch(`${s.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tiny-gguf', prompt: 'the', max_tokens: 5, temperature: 0 }) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: Array<{ text: string; finish_reason: string }>; usage: { completion_tokens: number } };
      expect(body.usage.completion_tokens).toBeGreaterThan(0);
      expect(['length', 'stop']).toContain(body.choices[0]!.finish_reason);
    } finally {
      await s.close();
    }
  });
});
