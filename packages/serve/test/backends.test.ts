import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertHf, writeTinyLlama } from '@llm/quant';
import { startServer } from '../src/index.js';

describe('neural backends', () => {
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
