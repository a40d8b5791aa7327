import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, initBackend, tf } from '@llm/core';
import { AdamW, crossEntropy, loadCausalLM, type Gpt2, type Llama } from '@llm/transformer';
import { PrefixTuning, loadAdapter } from '../src/index.js';
import { loadExpected, maxDiff } from './helpers.js';

// tools/golden/lora/make_fixtures.py: PEFT's PREFIX_TUNING layout (GQA geometry, view/permute of
// prompt_embeddings into per-layer past keys/values) applied in plain torch to the PEFT fixture's LLaMA.
const fixture = fileURLToPath(new URL('../fixtures/llama-prefix/', import.meta.url));
const llama = fileURLToPath(new URL('../../../fixtures/reference/peft/llama-base/', import.meta.url));
const gpt2 = fileURLToPath(new URL('../../transformer/fixtures/gpt2/', import.meta.url));
let expected: Map<string, Float32Array>;
let ids: number[][];
let mask: number[][];


beforeAll(async () => {
  await initBackend();
  ({ expected, ids, mask } = await loadExpected(fixture));
});

describe('prefix tuning (PEFT PREFIX_TUNING)', () => {
  it('a PEFT prefix adapter on a GQA LLaMA gives the reference logits; saving writes the same files', async () => {
    const model = (await loadCausalLM(llama)) as Llama;
    const prefix = await PrefixTuning.load(model, join(fixture, 'adapter'));
    expect(prefix.embeddings.shape).toEqual([3, 2 * 2 * 16]); // 2 layers × (k, v) × 2 KV heads × head_dim 8
    const got = tf.tidy(() => prefix.forward(ids, { attentionMask: mask }).dataSync() as Float32Array);
    prefix.releaseCaches();
    const keep = (x: ArrayLike<number>) => Array.from(x).filter((_, i) => mask[Math.floor(i / (8 * 96))]![Math.floor(i / 96) % 8] === 1);
    expect(maxDiff(keep(got), keep(expected.get('prefix_logits')!))).toBeLessThan(1e-4);
    expect(maxDiff(keep(got), keep(expected.get('base_logits')!))).toBeGreaterThan(0.1);
    const dir = mkdtempSync(join(tmpdir(), 'llm-prefix-'));
    await prefix.save(dir);
    expect(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(fixture, 'adapter', 'adapter_config.json'), 'utf8')));
    const a = await loadAdapter(dir);
    expect(Array.from(a.promptEmbeddings!.data)).toEqual(Array.from(prefix.embeddings.dataSync()));
    prefix.dispose();
    model.dispose();
  });

  it('trains only the prefix (the base is frozen) and frees its caches', async () => {
    const model = (await loadCausalLM(llama)) as Llama;
    const prefix = PrefixTuning.create(model, { numVirtualTokens: 4, std: 0.1, seed: 3 });
    const before = model.weights.get('model.layers.0.self_attn.k_proj.weight')!.dataSync().slice();
    const batch = [[5, 17, 42, 3, 88, 9, 23, 61], [7, 11, 2, 95, 4, 3, 5, 8]];
    const opt = new AdamW({ lr: 0.05, weightDecay: 0 });
    const losses: number[] = [];
    let tensors = 0;
    for (let s = 0; s < 20; s++) {
      // (trainStep itself keeps one scalar per step in this version of @llm/transformer, so the
      // step is spelled out here to count this package's tensors only.)
      const { value, grads } = tf.variableGrads(() => {
        const logits = prefix.forward(batch.map((r) => r.slice(0, -1)));
        return crossEntropy(tf.reshape(logits, [14, 96]), batch.flatMap((r) => r.slice(1))) as tf.Scalar;
      }, [prefix.embeddings]);
      prefix.releaseCaches();
      losses.push(value.dataSync()[0]!);
      opt.apply(prefix.variables(), new Map([['prompt_embeddings', grads[prefix.embeddings.name]!]]));
      tf.dispose([value, ...Object.values(grads)]);
      if (s === 2) tensors = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(losses[19]!).toBeLessThan(losses[0]! * 0.9);
    expect(Array.from(model.weights.get('model.layers.0.self_attn.k_proj.weight')!.dataSync())).toEqual(Array.from(before));
    prefix.dispose();
    model.dispose();
  });

  it('works on GPT-2 (token_dim = n_embd) and refuses a prefix made for another geometry', async () => {
    const model = (await loadCausalLM(gpt2)) as Gpt2;
    const prefix = PrefixTuning.create(model, { numVirtualTokens: 2, seed: 1 });
    expect(prefix.config).toMatchObject({ num_layers: 2, token_dim: 32, num_attention_heads: 4, num_virtual_tokens: 2 });
    const out = tf.tidy(() => prefix.forward([[5, 17, 42]]).shape);
    expect(out).toEqual([1, 3, 96]);
    prefix.dispose();
    await expect(PrefixTuning.load(model, join(fixture, 'adapter'))).rejects.toThrow(ConfigError);
    model.dispose();
  });
});
