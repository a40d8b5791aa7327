import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { runInProcess } from '@llm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { register } from '../src/cli.js';

async function run(args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  const program = new Command().exitOverride();
  register(program);
  const r = await runInProcess(program, [...args, '--json']);
  if (!r.json) throw new Error(`no JSON line on stdout: ${r.stdout.slice(-300)}`);
  return { code: r.code, json: r.json };
}

describe('llm quant CLI', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'quant-cli-')); });

  it('tiny → convert q8_0 → inspect → run → ppl → tensor', async () => {
    expect((await run(['quant', 'tiny', '--out', join(dir, 'tiny')])).code).toBe(0);
    const c = await run(['quant', 'convert', '--model', join(dir, 'tiny'), '--type', 'q8_0', '--out', join(dir, 't.gguf')]);
    expect(c.code).toBe(0);
    expect(c.json.bitsPerWeight as number).toBeGreaterThan(8.4);
    const i = await run(['quant', 'inspect', join(dir, 't.gguf')]);
    expect(i.json.problem).toBeNull();
    expect((i.json.tensors as unknown[]).length).toBe(21);
    expect((i.json.metadata as Record<string, unknown>)['general.architecture']).toBe('llama');
    const r = await run(['quant', 'run', '--model', join(dir, 't.gguf'), '--prompt', 'the cat', '--max-tokens', '4', '--threads', '1']);
    expect(r.code).toBe(0);
    expect((r.json.tokens as number[]).length).toBeGreaterThan(0);
    writeFileSync(join(dir, 'text.txt'), 'the cat was on the mat and she said that he was in the house');
    const p = await run(['quant', 'ppl', '--model', join(dir, 't.gguf'), '--text', join(dir, 'text.txt'), '--threads', '1']);
    expect(p.json.ppl as number).toBeGreaterThan(1);
    expect(p.json.tokens as number).toBeGreaterThan(5);
    // The HF folder's float perplexity (our forward pass) sits next to the Q8_0 file's (llama.cpp).
    const pf = await run(['quant', 'ppl', '--model', join(dir, 'tiny'), '--text', join(dir, 'text.txt'), '--threads', '1']);
    expect(pf.json.tokens).toBe(p.json.tokens);
    expect(Math.abs(Math.log(pf.json.ppl as number) - Math.log(p.json.ppl as number))).toBeLessThan(0.02);
    const t = await run(['quant', 'tensor', '--model', join(dir, 'tiny'), '--tensor', 'model.layers.0.mlp.up_proj.weight', '--type', 'nf4']);
    expect((t.json.stats as { bitsPerElement: number }).bitsPerElement).toBeLessThan(4.2);
  });

  it('gpt2 folders convert too', async () => {
    expect((await run(['quant', 'tiny', '--arch', 'gpt2', '--out', join(dir, 'g')])).code).toBe(0);
    const template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}";
    writeFileSync(join(dir, 'g', 'tokenizer_config.json'), JSON.stringify({ chat_template: template }));
    const c = await run(['quant', 'gguf', '--model', join(dir, 'g'), '--type', 'q4_0', '--out', join(dir, 'g.gguf')]);
    expect(c.json.architecture).toBe('gpt2');
    const i = await run(['quant', 'inspect', join(dir, 'g.gguf')]);
    expect(i.json.problem).toBeNull();
    expect((i.json.llamaCpp as { tokenizerModel: string }).tokenizerModel).toBe('gpt2');
    // The chat template of tokenizer_config.json is embedded (both converters share the folder reader).
    expect((i.json.metadata as Record<string, unknown>)['tokenizer.chat_template']).toBe(template);
  });

  it('ppl --types: the per-type table in windows; F32 in llama.cpp equals our forward pass (llama and gpt2)', async () => {
    writeFileSync(join(dir, 'long.txt'), 'the cat was on the mat and she said that he was in the house. '.repeat(6));
    if (!existsSync(join(dir, 'g'))) await run(['quant', 'tiny', '--arch', 'gpt2', '--out', join(dir, 'g')]);
    for (const model of ['tiny', 'g']) {
      const r = await run(['quant', 'ppl', '--model', join(dir, model), '--text', join(dir, 'long.txt'), '--types', 'q8_0,q4_0', '--window', '16', '--max-tokens', '60', '--threads', '1']);
      expect(r.code, model).toBe(0);
      const rows = r.json.rows as { type: string; ppl: number; deltaPpl: number; meanKl: number; bitsPerWeight: number; fileBytes: number }[];
      expect(rows.map((x) => x.type)).toEqual(['F32', 'Q8_0', 'Q4_0']);
      expect(r.json.windows as number).toBeGreaterThanOrEqual(4);
      expect(r.json.tokens as number).toBeGreaterThan(50);
      expect(r.json.ppl).toBe(rows[0]!.ppl);
      // LLaMA: measured ~2e-7. GPT-2: ggml looks GELU up in an F16 table built with float32 tanhf;
      // our float64 emulation can land on the other side of an F16 rounding (measured 1.2e-4 here).
      expect(r.json.f32MaxAbsDiff as number, model).toBeLessThan(model === 'tiny' ? 1e-5 : 1e-3);
      expect(Math.abs(Math.log(r.json.floatPpl as number) - Math.log(rows[0]!.ppl))).toBeLessThan(1e-3);
      expect(rows[1]!.meanKl).toBeGreaterThan(0);
      expect(rows[1]!.meanKl).toBeLessThan(rows[2]!.meanKl);
      expect(rows[2]!.fileBytes).toBeLessThan(rows[1]!.fileBytes);
    }
    const bad = await run(['quant', 'ppl', '--model', join(dir, 'tiny'), '--text', join(dir, 'long.txt'), '--types', 'q9_9']);
    expect(bad.code).toBe(2);
  });

  it('bad input exits 2 with a typed error', async () => {
    const r = await run(['quant', 'convert', '--model', join(dir, 'nope'), '--type', 'q4_0', '--out', join(dir, 'x.gguf')]);
    expect(r.code).toBe(2);
    const b = await run(['quant', 'convert', '--model', join(dir, 'tiny'), '--type', 'q3_z', '--out', join(dir, 'x.gguf')]);
    expect(b.code).toBe(2);
    writeFileSync(join(dir, 'junk.gguf'), 'GGUF but not really');
    const j = await run(['quant', 'inspect', join(dir, 'junk.gguf')]);
    expect(j.code).toBe(2);
  });
});
