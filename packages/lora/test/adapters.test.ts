import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, tf } from '@llm/core';
import { causalLmLoss, AdamW, trainStep, loadCausalLM, type Llama } from '@llm/transformer';
import { QuantizedLinear } from '@llm/quant';
import { LoraAdapters, loadAdapter, loraConfig } from '../src/index.js';
import { loadExpected, maxDiff } from './helpers.js';

const peft = fileURLToPath(new URL('../../../fixtures/reference/peft/', import.meta.url));
let expected: Map<string, Float32Array>;
let ids: number[][];
let mask: number[][];


beforeAll(async () => {
  await initBackend();
  ({ expected, ids, mask } = await loadExpected(peft));
});

describe('LoRA on a LLaMA base, against PEFT 0.21', () => {
  it('base, adapted and merged logits equal PEFT\'s; unmerge restores the base exactly', async () => {
    const model = (await loadCausalLM(join(peft, 'llama-base'))) as Llama;
    const logits = (m: Llama) => tf.tidy(() => m.forward(ids, { attentionMask: mask }).dataSync() as Float32Array);
    const masked = (x: Float32Array) => x.filter((_, i) => Math.floor(i / (8 * 96)) === 0 || (Math.floor(i / 96) % 8) < 5); // padded positions are not compared
    expect(maxDiff(masked(logits(model)), masked(expected.get('base_logits')!))).toBeLessThan(1e-4);
    const adapters = new LoraAdapters(model);
    await adapters.load(join(peft, 'adapter'));
    const lora = logits(model);
    expect(maxDiff(masked(lora), masked(expected.get('lora_logits')!))).toBeLessThan(1e-4);
    expect(maxDiff(masked(lora), masked(expected.get('base_logits')!))).toBeGreaterThan(1e-2);
    const before = model.weights.get('model.layers.0.self_attn.q_proj.weight')!.dataSync().slice();
    adapters.merge();
    expect(maxDiff(model.weights.get('model.layers.0.self_attn.q_proj.weight')!.dataSync(), expected.get('merged_q_proj_0')!)).toBeLessThan(1e-5);
    expect(maxDiff(logits(model), lora)).toBeLessThan(1e-5);
    adapters.unmerge();
    expect(Array.from(model.weights.get('model.layers.0.self_attn.q_proj.weight')!.dataSync())).toEqual(Array.from(before));
    adapters.setActive(undefined);
    expect(maxDiff(masked(logits(model)), masked(expected.get('base_logits')!))).toBeLessThan(1e-4);
    adapters.dispose();
    model.dispose();
  });

  it('trains only the adapter (base frozen), saves a PEFT folder that reloads to the same outputs, switches adapters', async () => {
    const model = (await loadCausalLM(join(peft, 'llama-base'))) as Llama;
    const adapters = new LoraAdapters(model);
    adapters.add('a', loraConfig({ r: 2, lora_alpha: 4, target_modules: ['q_proj', 'v_proj', 'down_proj'], lora_dropout: 0.1 }), { seed: 3 });
    const vars = adapters.variables('a');
    expect(vars.size).toBe(12);
    expect(adapters.parameterCount('a')).toBe(2 * (2 * (32 + 32) + 2 * (32 + 16) + 2 * (64 + 32)));
    const baseBefore = model.weights.get('model.layers.1.mlp.down_proj.weight')!.dataSync().slice();
    const opt = new AdamW({ lr: 0.02, weightDecay: 0 });
    const batch = [[5, 17, 42, 3, 88, 9, 23, 61], [7, 11, 2, 95, 4, 3, 5, 8]];
    adapters.training = true;
    const losses: number[] = [];
    for (let s = 0; s < 25; s++) losses.push(trainStep(vars, opt, 1, () => causalLmLoss(model, batch)).loss);
    adapters.training = false;
    expect(losses[24]!).toBeLessThan(losses[0]! * 0.8);
    expect(Array.from(model.weights.get('model.layers.1.mlp.down_proj.weight')!.dataSync())).toEqual(Array.from(baseBefore));
    const dir = mkdtempSync(join(tmpdir(), 'llm-lora-'));
    await adapters.save(dir, 'a');
    const saved = await loadAdapter(dir);
    expect(saved.lora.size).toBe(6);
    const out = tf.tidy(() => model.forward(batch).dataSync().slice());
    const other = (await loadCausalLM(join(peft, 'llama-base'))) as Llama;
    const again = new LoraAdapters(other);
    await again.load(dir, 'a');
    await again.load(join(peft, 'adapter'), 'peft');
    again.setActive('a');
    expect(maxDiff(tf.tidy(() => other.forward(batch).dataSync()), out)).toBeLessThan(1e-5);
    again.setActive('peft');
    expect(maxDiff(tf.tidy(() => other.forward(batch).dataSync()), out)).toBeGreaterThan(1e-3);
    adapters.dispose();
    again.dispose();
    model.dispose();
    other.dispose();
  });

  it('QLoRA: the NF4 base (double-quantized scales) is dequantized per forward, exactly, at ~7x less weight memory', async () => {
    const model = (await loadCausalLM(join(peft, 'llama-base'))) as Llama;
    const batch = [[5, 17, 42, 3, 88, 9, 23, 61]];
    const f32 = tf.tidy(() => model.forward(batch).dataSync().slice());
    const adapters = new LoraAdapters(model);
    const mem = adapters.quantizeBase();
    expect(mem.modules).toBe(14);
    expect(mem.f32Bytes / mem.quantizedBytes).toBeGreaterThan(6);
    expect(model.weights.has('model.layers.0.self_attn.q_proj.weight')).toBe(false);
    const q = tf.tidy(() => model.forward(batch).dataSync().slice());
    // Reference: the same model with its weights replaced by their NF4 round trip, run in f32.
    const ref = (await loadCausalLM(join(peft, 'llama-base'))) as Llama;
    for (const [name, v] of ref.weights) {
      if (!/layers\.\d+\.(self_attn|mlp)\.\w+_proj\.weight$/.test(name)) continue;
      const [out, inn] = v.shape as [number, number];
      const rt = QuantizedLinear.fromWeight(v.dataSync() as Float32Array, out, inn, { type: 'nf4', blockSize: 64, doubleQuant: true });
      v.assign(rt.dequantizedWeight());
    }
    expect(maxDiff(q, tf.tidy(() => ref.forward(batch).dataSync()))).toBeLessThan(1e-4);
    ref.dispose();
    let num = 0;
    let den = 0;
    for (let i = 0; i < q.length; i++) { num += (q[i]! - f32[i]!) ** 2; den += f32[i]! ** 2; }
    expect(Math.sqrt(num / den)).toBeGreaterThan(0);
    adapters.add('qlora', loraConfig({ r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] }), { seed: 1 });
    const opt = new AdamW({ lr: 0.02, weightDecay: 0 });
    const losses: number[] = [];
    for (let s = 0; s < 20; s++) losses.push(trainStep(adapters.variables(), opt, 1, () => causalLmLoss(model, batch)).loss);
    expect(losses[19]!).toBeLessThan(losses[0]!);
    expect(() => adapters.merge()).toThrow(/quantized/);
    adapters.dispose();
    model.dispose();
  });
});
