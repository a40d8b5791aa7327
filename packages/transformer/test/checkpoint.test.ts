import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, FormatError, InputError, NotFoundError, initBackend, readSafetensors, tf, writeSafetensors } from '@llm/core';
import { Bert, Gpt2, Llama, T5, TransformerLanguageModel, loadPretrained, type AnyModel } from '../src/index.js';
import { FIXTURES } from './helpers.js';
import { CharTokenizer } from './toy-tokenizer.js';

beforeAll(async () => { await initBackend(); });

const tmp = () => mkdtempSync(join(tmpdir(), 'tr-hf-'));

async function sameWeights(a: AnyModel, b: AnyModel): Promise<void> {
  expect([...b.weights.keys()]).toEqual([...a.weights.keys()]);
  for (const [k, v] of a.weights) expect(Array.from(b.w(k).dataSync())).toEqual(Array.from(v.dataSync()));
}

describe('HF folders round-trip with HF parameter names', () => {
  for (const name of ['gpt2', 'bert-mlm', 'bert-cls', 'bert-qa', 't5', 'llama']) {
    it(`${name}: save → load gives identical weights and the same tensor names as the torch file`, async () => {
      const a = await loadPretrained(join(FIXTURES, name));
      const dir = tmp();
      await a.save(dir);
      const b = await loadPretrained(dir);
      await sameWeights(a, b);
      // Our file holds exactly the tensors the torch-written checkpoint holds (tied copies omitted alike).
      const orig = readdirSync(join(FIXTURES, name)).filter((f) => f.endsWith('.safetensors'));
      const origNames = new Set<string>();
      for (const f of orig) for (const k of (await readSafetensors(join(FIXTURES, name, f))).tensors.keys()) origNames.add(k);
      const ours = [...(await readSafetensors(join(dir, 'model.safetensors'))).tensors.keys()].sort();
      expect(ours).toEqual([...origNames].sort());
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(cfg.model_type).toBe(JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8')).model_type);
      expect(cfg.architectures).toEqual(JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8')).architectures);
      a.dispose(); b.dispose();
    });
  }

  it('sharded save writes model.safetensors.index.json and loads back', async () => {
    const a = (await loadPretrained(join(FIXTURES, 'gpt2'))) as Gpt2;
    const dir = tmp();
    const files = await a.save(dir, { maxShardBytes: 20_000 });
    expect(files).toContain('model.safetensors.index.json');
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(2);
    const idx = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    expect(Object.keys(idx.weight_map)).toContain('transformer.h.0.attn.c_attn.weight');
    const b = await loadPretrained(dir);
    await sameWeights(a, b);
    a.dispose(); b.dispose();
  });

  it('GPT-2 files without the transformer. prefix (GPT2Model layout) load too', async () => {
    const dir = tmp();
    cpSync(join(FIXTURES, 'gpt2', 'config.json'), join(dir, 'config.json'));
    const { tensors } = await readSafetensors(join(FIXTURES, 'gpt2', 'model.safetensors'));
    const renamed = new Map([...tensors].map(([k, v]) => [k.replace(/^transformer\./, ''), v]));
    renamed.set('h.0.attn.bias', { dtype: 'F32', shape: [1, 1, 2, 2], data: new Float32Array(4) }); // old causal-mask buffer: ignored
    await writeSafetensors(join(dir, 'model.safetensors'), renamed);
    const m = (await loadPretrained(dir)) as Gpt2;
    const ref = (await loadPretrained(join(FIXTURES, 'gpt2'))) as Gpt2;
    await sameWeights(ref, m);
    m.dispose(); ref.dispose();
  });

  it('F16 and BF16 checkpoints load (converted to float32)', async () => {
    const dir = tmp();
    cpSync(join(FIXTURES, 'llama', 'config.json'), join(dir, 'config.json'));
    const { tensors } = await readSafetensors(join(FIXTURES, 'llama', 'model-00001-of-00002.safetensors'));
    const { tensors: t2 } = await readSafetensors(join(FIXTURES, 'llama', 'model-00002-of-00002.safetensors'));
    const { fromFloat32 } = await import('@llm/core');
    const half = new Map([...tensors, ...t2].map(([k, v]) => [k, { dtype: 'BF16' as const, shape: v.shape, data: fromFloat32('BF16', v.data as Float32Array) }]));
    await writeSafetensors(join(dir, 'model.safetensors'), half);
    const m = (await loadPretrained(dir)) as Llama;
    const ref = (await loadPretrained(join(FIXTURES, 'llama'))) as Llama;
    const d = Math.max(...Array.from(m.w('lm_head.weight').dataSync(), (v, i) => Math.abs(v - ref.w('lm_head.weight').dataSync()[i]!)));
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(0.01);
    m.dispose(); ref.dispose();
  });
});

describe('bad input gives typed errors naming the key or tensor', () => {
  const withConfig = (name: string, edit: (c: Record<string, unknown>) => void): string => {
    const dir = tmp();
    cpSync(join(FIXTURES, name), dir, { recursive: true });
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    edit(c);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
    return dir;
  };

  it('missing config key', async () => {
    const err = await loadPretrained(withConfig('gpt2', (c) => { delete c.n_embd; })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).location.field).toBe('n_embd');
  });

  it('inconsistent config (heads do not divide hidden size; kv heads do not divide heads)', async () => {
    const e1 = await loadPretrained(withConfig('bert-mlm', (c) => { c.num_attention_heads = 5; })).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ConfigError);
    expect((e1 as ConfigError).location.field).toBe('hidden_size');
    const e2 = await loadPretrained(withConfig('llama', (c) => { c.num_key_value_heads = 3; })).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ConfigError);
    expect((e2 as ConfigError).location.field).toBe('num_key_value_heads');
  });

  it('wrong tensor shape (config vocab_size disagrees with the file)', async () => {
    const err = await loadPretrained(withConfig('t5', (c) => { c.vocab_size = 81; })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).location.field).toBe('shared.weight');
    expect((err as Error).message).toContain('[80,32]');
  });

  it('missing tensor', async () => {
    const err = await loadPretrained(withConfig('llama', (c) => { c.num_hidden_layers = 3; })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).location.field).toBe('model.layers.2.input_layernorm.weight');
  });

  it('unknown model_type, missing folder files', async () => {
    const e1 = await loadPretrained(withConfig('gpt2', (c) => { c.model_type = 'falcon'; })).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ConfigError);
    expect((e1 as ConfigError).location.field).toBe('model_type');
    const e2 = await loadPretrained(tmp()).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(NotFoundError);
  });

  it('tokenizer larger than the model vocabulary', async () => {
    const m = (await loadPretrained(join(FIXTURES, 'gpt2'))) as Gpt2;
    expect(() => new TransformerLanguageModel(m, new CharTokenizer(97))).toThrow(InputError);
    m.dispose();
  });

  it('a BERT without the asked-for head says so', async () => {
    const m = (await loadPretrained(join(FIXTURES, 'bert-qa'))) as Bert;
    expect(() => m.mlmLogits({ inputIds: [[1, 2]] })).toThrow(ConfigError);
    m.dispose();
    expect(T5).toBeDefined();
    tf.disposeVariables();
  });
});
