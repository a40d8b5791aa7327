import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, initBackend, readSafetensors, tf } from '@llm/core';
import { AdamW, causalLmLoss, loadCausalLM, trainStep, type Gpt2 } from '@llm/transformer';
import { defaultTargetModules, LoraAdapters, linearModules, loraConfig } from '../src/index.js';
import { loadExpected, maxDiff } from './helpers.js';

// tools/golden/lora/make_fixtures.py: LoRA on GPT-2's Conv1D projections with PEFT's fan_in_fan_out
// semantics, and QLoRA over the transposed (nn.Linear-layout) NF4 weights, in plain torch.
const fixture = fileURLToPath(new URL('../fixtures/gpt2-lora/', import.meta.url));
const gpt2 = fileURLToPath(new URL('../../transformer/fixtures/gpt2/', import.meta.url));
let expected: Map<string, Float32Array>;
let ids: number[][];


const logits = (m: Gpt2) => tf.tidy(() => m.forward(ids).dataSync() as Float32Array);

beforeAll(async () => {
  await initBackend();
  ({ expected, ids } = await loadExpected(fixture));
});

describe('LoRA and QLoRA on GPT-2 Conv1D weights (fan_in_fan_out)', () => {
  it('sees Conv1D [in, out] weights as in → out projections; PEFT defaults (c_attn) and bias none', async () => {
    const model = (await loadCausalLM(gpt2)) as Gpt2;
    const attn = linearModules(model).find((m) => m.module === 'transformer.h.0.attn.c_attn')!;
    expect(attn).toMatchObject({ inFeatures: 32, outFeatures: 96, conv1d: true });
    expect(defaultTargetModules('gpt2')).toEqual(['c_attn']);
    expect(defaultTargetModules('llama')).toEqual(['q_proj', 'v_proj']);
    expect(() => defaultTargetModules('bert')).toThrow(ConfigError);
    const adapters = new LoraAdapters(model);
    expect(() => adapters.add('b', loraConfig({ r: 2, lora_alpha: 4, target_modules: defaultTargetModules('gpt2'), bias: 'all' }))).toThrow(/bias/);
    adapters.add('a', loraConfig({ r: 2, lora_alpha: 4, target_modules: defaultTargetModules('gpt2') }));
    expect(adapters.variables('a').size).toBe(4); // c_attn × 2 layers × (A, B)
    adapters.dispose();
    model.dispose();
  });

  it('a PEFT-layout adapter on c_attn/c_proj gives the reference logits; merge adds (BA)ᵀ to the [in, out] weight; unmerge is exact', async () => {
    const model = (await loadCausalLM(gpt2)) as Gpt2;
    expect(maxDiff(logits(model), expected.get('base_logits')!)).toBeLessThan(1e-4);
    const adapters = new LoraAdapters(model);
    await adapters.load(join(fixture, 'adapter'));
    const lora = logits(model);
    expect(maxDiff(lora, expected.get('lora_logits')!)).toBeLessThan(1e-4);
    expect(maxDiff(lora, expected.get('base_logits')!)).toBeGreaterThan(0.1);
    const w = () => model.weights.get('transformer.h.0.attn.c_attn.weight')!;
    expect(w().shape).toEqual([32, 96]);
    const before = w().dataSync().slice();
    adapters.merge();
    expect(maxDiff(w().dataSync(), expected.get('merged_c_attn_0')!)).toBeLessThan(1e-5);
    expect(maxDiff(logits(model), expected.get('merged_logits')!)).toBeLessThan(1e-4);
    adapters.unmerge();
    expect(Array.from(w().dataSync())).toEqual(Array.from(before));

    // Saved as PEFT saves a GPT-2 adapter: fan_in_fan_out true, lora_A [r, in], lora_B [out, r].
    const dir = mkdtempSync(join(tmpdir(), 'llm-lora-gpt2-'));
    await adapters.save(dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as { fan_in_fan_out: boolean; target_modules: string[] };
    expect(cfg.fan_in_fan_out).toBe(true);
    const ours = (await readSafetensors(join(dir, 'adapter_model.safetensors'))).tensors;
    const theirs = (await readSafetensors(join(fixture, 'adapter', 'adapter_model.safetensors'))).tensors;
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [name, t] of theirs) {
      expect(ours.get(name)!.shape).toEqual(t.shape);
      expect(Array.from(ours.get(name)!.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
    }
    expect(theirs.get('base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight')!.shape).toEqual([4, 128]);
    adapters.dispose();
    model.dispose();
  });

  it('QLoRA: Conv1D weights quantized transposed to NF4 give the reference logits; the adapter trains and is PEFT-shaped', async () => {
    const model = (await loadCausalLM(gpt2)) as Gpt2;
    const adapters = new LoraAdapters(model);
    const mem = adapters.quantizeBase({ doubleQuant: false });
    expect(mem.modules).toBe(8); // c_attn, attn.c_proj, c_fc, mlp.c_proj × 2 layers
    expect(model.weights.has('transformer.h.0.attn.c_attn.weight')).toBe(false);
    await adapters.load(join(fixture, 'adapter'));
    const q = logits(model);
    expect(maxDiff(q, expected.get('qlora_logits')!)).toBeLessThan(1e-3);
    expect(maxDiff(q, expected.get('lora_logits')!)).toBeGreaterThan(0.1); // NF4 error is real, and the test sees it
    adapters.dispose();
    model.dispose();

    // Default (double-quantized scales): train a fresh adapter on the NF4 base, save it, and load it
    // onto the float32 base: the file is a plain PEFT LoRA adapter, independent of the quantization.
    const m2 = (await loadCausalLM(gpt2)) as Gpt2;
    const a2 = new LoraAdapters(m2);
    const mem2 = a2.quantizeBase();
    expect(mem2.f32Bytes / mem2.quantizedBytes).toBeGreaterThan(6);
    a2.add('default', loraConfig({ r: 2, lora_alpha: 4, target_modules: ['c_attn'] }), { seed: 2 });
    const opt = new AdamW({ lr: 0.02, weightDecay: 0 });
    const batch = [[5, 17, 42, 8, 77, 3, 60, 9]];
    const losses: number[] = [];
    for (let s = 0; s < 15; s++) losses.push(trainStep(a2.variables(), opt, 1, () => causalLmLoss(m2, batch)).loss);
    expect(losses[14]!).toBeLessThan(losses[0]!);
    const dir = mkdtempSync(join(tmpdir(), 'llm-qlora-gpt2-'));
    await a2.save(dir);
    const t = (await readSafetensors(join(dir, 'adapter_model.safetensors'))).tensors;
    expect(t.get('base_model.model.transformer.h.1.attn.c_attn.lora_A.weight')!.shape).toEqual([2, 32]);
    expect(t.get('base_model.model.transformer.h.1.attn.c_attn.lora_B.weight')!.shape).toEqual([96, 2]);
    const f = (await loadCausalLM(gpt2)) as Gpt2;
    const a3 = new LoraAdapters(f);
    await a3.load(dir);
    expect(maxDiff(logits(f), expected.get('base_logits')!)).toBeGreaterThan(1e-4); // the trained B is non-zero
    a2.dispose();
    a3.dispose();
    m2.dispose();
    f.dispose();
  });
});
