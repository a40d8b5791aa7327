import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { runInProcess } from '@llm/core';
import { register } from '../src/cli.js';

const peft = fileURLToPath(new URL('../../../fixtures/reference/peft/', import.meta.url));

async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  const program = new Command('llm').exitOverride().option('--json').option('--debug');
  register(program);
  const r = await runInProcess(program, args);
  return { out: r.stdout, err: r.stderr, code: r.code };
}

describe('llm lora', () => {
  it('info reads a PEFT folder; merge writes an HF folder; bad input exits 2', async () => {
    const info = await run(['lora', 'info', '--adapter', join(peft, 'adapter'), '--json']);
    expect(info.code).toBe(0);
    const j = JSON.parse(info.out.trim().split('\n').pop()!) as { trainableParameters: number; modules: unknown[] };
    expect(j.trainableParameters).toBe(2 * (4 * (32 + 32) + 4 * (32 + 16)));
    expect(j.modules).toHaveLength(4);
    const names = (j as unknown as { tensors: Array<{ name: string; shape: number[] }> }).tensors;
    expect(names).toContainEqual({ name: 'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight', shape: [16, 4] });
    expect(names).toHaveLength(8);
    const out = mkdtempSync(join(tmpdir(), 'llm-lora-merge-'));
    const merged = await run(['--debug', 'lora', 'merge', '--base', join(peft, 'llama-base'), '--adapter', join(peft, 'adapter'), '--out', out]);
    expect(merged.err).toBe('');
    expect(merged.code).toBe(0);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    const bad = await run(['lora', 'train', '--base', join(peft, 'llama-base'), '--data', join(peft, 'nope.jsonl'), '--out', out, '--method', 'magic']);
    expect(bad.code).toBe(2);
  });

  it('info reads a prefix-tuning folder and a GPT-2 (fan_in_fan_out) LoRA folder', async () => {
    const prefix = await run(['lora', 'info', '--adapter', fileURLToPath(new URL('../fixtures/llama-prefix/adapter', import.meta.url)), '--json']);
    expect(prefix.code).toBe(0);
    const p = JSON.parse(prefix.out.trim().split('\n').pop()!) as { config: { peft_type: string }; trainableParameters: number };
    expect(p.config.peft_type).toBe('PREFIX_TUNING');
    expect(p.trainableParameters).toBe(3 * 2 * 2 * 16);
    const gpt2 = await run(['lora', 'info', '--adapter', fileURLToPath(new URL('../fixtures/gpt2-lora/adapter', import.meta.url)), '--json']);
    const g = JSON.parse(gpt2.out.trim().split('\n').pop()!) as { modules: Array<{ module: string; in: number; out: number }> };
    expect(g.modules.find((m) => m.module === 'transformer.h.0.attn.c_attn')).toMatchObject({ in: 32, out: 96 });
  });
});
