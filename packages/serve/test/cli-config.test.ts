import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '@llm/core';
import { register } from '../src/cli.js';
import { ModelRegistry, builtinFactories, findModels, guessKind, loadConfig, parseModelFlag, startServer, validateConfig, type BackendFactory } from '../src/index.js';

describe('config and registry', () => {
  it('validates config files with the field at fault', () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-cfg-'));
    const f = join(dir, 'serve.json');
    writeFileSync(f, JSON.stringify({ port: 9000, models: [{ name: 'a', path: 'ngram:austen', aliases: ['b'], maxConcurrency: 2 }, { name: 'm', path: 'rel/model' }], apiKeys: [{ key: 'k', requestsPerMinute: 10 }] }));
    const c = loadConfig(f);
    expect(c.port).toBe(9000);
    expect(c.models![1]!.path).toBe(join(dir, 'rel/model'));
    expect(() => validateConfig({ models: [{ name: 'a' }] }, 'x.json')).toThrow(/models\[0\]\.path/);
    expect(() => validateConfig({ port: 'http' })).toThrow(ConfigError);
    expect(() => validateConfig({ prot: 1 })).toThrow(/unknown field 'prot'/);
    writeFileSync(f, '{"port": 1,,}');
    try {
      loadConfig(f);
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).location.file).toBe(f);
    }
    expect(parseModelFlag('x=ngram:austen')).toEqual({ name: 'x', path: 'ngram:austen' });
    expect(() => parseModelFlag('noequals')).toThrow(ConfigError);
  });

  it('guesses backend kinds and explains a missing backend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-kind-'));
    mkdirSync(join(dir, 'hf'));
    writeFileSync(join(dir, 'hf', 'config.json'), '{}');
    mkdirSync(join(dir, 'ox', 'onnx'), { recursive: true });
    writeFileSync(join(dir, 'ox', 'onnx', 'model.onnx'), '');
    expect(guessKind(join(dir, 'hf'))).toBe('native');
    expect(guessKind(join(dir, 'ox'))).toBe('onnx');
    expect(guessKind('/x/model.Q4_K_M.gguf')).toBe('gguf');
    expect(guessKind('ngram:austen')).toBe('ngram');
    // A registry with only the small built-ins explains which backend is missing.
    const reg = new ModelRegistry(builtinFactories.filter((f) => f.kind === 'ngram' || f.kind === 'hashing'));
    expect(new Set(builtinFactories.map((f) => f.kind))).toEqual(new Set(['native', 'onnx', 'gguf', 'ngram', 'hashing']));
    await expect(reg.load({ name: 'g', path: '/x/model.gguf' })).rejects.toThrow(/no backend for kind 'gguf'/);
    await expect(reg.load({ name: 'h', path: join(dir, 'hf') })).rejects.toThrow(/native/);
    // An injected factory serves its kind.
    const seen: string[] = [];
    const fake: BackendFactory = { kind: 'gguf', load: async (path) => { seen.push(path); return (await import('../src/index.js')).NgramLanguageModel.train(['abc abc'], { order: 2 }); } };
    reg.registerFactory(fake);
    const served = await reg.load({ name: 'g', path: '/x/model.gguf', aliases: ['gg'] });
    expect(served.type).toBe('chat');
    expect(reg.get('gg')).toBe(served);
    expect(seen).toEqual(['/x/model.gguf']);
    await expect(reg.load({ name: 'gg', path: 'hashing:8' })).rejects.toThrow(/used twice/);
  });

  it('startServer loads built-ins from specs and answers', async () => {
    const s = await startServer({ port: 0, logger: false, models: [{ name: 'tiny', path: 'ngram:austen?chars=20000&order=3' }, { name: 'emb', path: 'hashing:32' }] });
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const r = await fetch(`${s.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'emb', input: 'hello world', encoding_format: 'float' }) });
      expect(((await r.json()) as { data: Array<{ embedding: number[] }> }).data[0]!.embedding).toHaveLength(32);
    } finally {
      await s.close();
    }
  });
});

describe('llm serve (CLI)', () => {
  it('with no --model, serves the model the tour produced through a registered backend, plus the built-ins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-tour-'));
    mkdirSync(join(dir, 'transformer', 'gpt-austen'), { recursive: true });
    writeFileSync(join(dir, 'transformer', 'gpt-austen', 'config.json'), '{"model_type": "gpt2"}');
    // A classifier folder is not a language model: not served.
    mkdirSync(join(dir, 'seq', 'lstm'), { recursive: true });
    writeFileSync(join(dir, 'seq', 'lstm', 'config.json'), '{"model_type": "recurrent-classifier"}');
    writeFileSync(join(dir, 'seq', 'lstm', 'model.safetensors'), '');
    writeFileSync(join(dir, 'transformer', 'gpt-austen', 'model.safetensors'), '');
    expect(findModels(dir).map((m) => [m.path.slice(dir.length), m.kind])).toEqual([['/transformer/gpt-austen', 'native']]);
    const loaded: string[] = [];
    const native: BackendFactory = { kind: 'native', load: async (path) => { loaded.push(path); return (await import('../src/index.js')).NgramLanguageModel.train(['a native stand-in for the test'], { order: 2 }); } };
    const program = new Command().exitOverride();
    register(program, { factories: [native] });
    const out: string[] = [];
    const err: string[] = [];
    const so = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
    const se = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
    try {
      const done = program.parseAsync(['node', 'llm', 'serve', '--port', '0', '--artifacts', dir, '--log-level', 'silent', '--json']);
      let url: string | undefined;
      for (let i = 0; i < 800 && !url; i++) {
        await new Promise((r) => setTimeout(r, 25));
        url = /at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(err.join(''))?.[1];
      }
      expect(url).toBeDefined();
      process.emit('SIGINT');
      await done;
    } finally {
      so.mockRestore();
      se.mockRestore();
    }
    expect(loaded).toEqual([join(dir, 'transformer', 'gpt-austen')]);
    const last = JSON.parse(out.join('').trim().split('\n').at(-1)!) as { models: string[] };
    expect(last.models).toEqual(['gpt-austen', 'tour', 'ngram-austen', 'default', 'hash-embed', 'default-embedding']);
  });

  it('starts, serves, stops on SIGINT and prints the JSON result line', async () => {
    const program = new Command().exitOverride();
    register(program);
    const out: string[] = [];
    const err: string[] = [];
    const so = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
    const se = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
    try {
      const done = program.parseAsync(['node', 'llm', 'serve', '--port', '0', '--model', 'tiny=ngram:austen?chars=20000&order=3', '--model', 'emb=hashing:16', '--api-key', 'secret', '--log-level', 'silent', '--json']);
      let url: string | undefined;
      for (let i = 0; i < 200 && !url; i++) {
        await new Promise((r) => setTimeout(r, 25));
        url = /at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(err.join(''))?.[1];
      }
      expect(url).toBeDefined();
      expect((await fetch(`${url}/v1/models`)).status).toBe(401);
      const models = (await (await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer secret' } })).json()) as { data: Array<{ id: string }> };
      expect(models.data.map((m) => m.id)).toEqual(['tiny', 'emb']);
      process.emit('SIGINT');
      await done;
    } finally {
      so.mockRestore();
      se.mockRestore();
    }
    const last = JSON.parse(out.join('').trim().split('\n').at(-1)!) as { models: string[] };
    expect(last.models).toEqual(['tiny', 'emb']);
  });
});
