import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FIXTURES, reference, runCli } from './helpers.js';

const run = runCli;

afterEach(() => { process.exitCode = undefined; });

describe('llm transformer CLI', () => {
  it('generate --ids reproduces the torch greedy continuation', async () => {
    const ref = reference('gpt2');
    const prompt = (ref.input_ids as number[][])[0]!;
    const { json, code } = await run(['generate', '--model', join(FIXTURES, 'gpt2'), '--ids', prompt.join(','), '--max-tokens', '10', '--temperature', '0']);
    expect(code).toBe(0);
    expect(json.tokens).toEqual((ref.greedy_ids as number[]).slice(prompt.length));
  });

  it('logits --ids gives ids, logits and top10', async () => {
    const { json } = await run(['logits', '--model', join(FIXTURES, 'llama'), '--ids', '1,20,33']);
    expect(json.ids).toEqual([1, 20, 33]);
    expect((json.logits as number[]).length).toBe(64);
    const top = json.top10 as Array<[number, number]>;
    expect(top.length).toBe(10);
    expect(top[0]![1]).toBe(Math.max(...(json.logits as number[])));
  });

  it('export-onnx writes onnx/model.onnx and config.json, generate --backend onnx runs it; T5 is refused with E_CONFIG', async () => {
    const { mkdtempSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const out = mkdtempSync(join(tmpdir(), 'tr-cli-onnx-'));
    const { json, code } = await run(['export-onnx', '--model', join(FIXTURES, 'gpt2'), '--out', out]);
    expect(code).toBe(0);
    expect(existsSync(join(out, 'onnx', 'model.onnx'))).toBe(true);
    expect((json.files as string[]).length).toBe(2);
    const ref = reference('gpt2');
    const prompt = (ref.input_ids as number[][])[0]!;
    const gen = await run(['generate', '--model', out, '--backend', 'onnx', '--ids', prompt.join(','), '--max-tokens', '10', '--temperature', '0']);
    expect(gen.code).toBe(0);
    expect(gen.json.tokens).toEqual((ref.greedy_ids as number[]).slice(prompt.length));
    const bad = await run(['export-onnx', '--model', join(FIXTURES, 't5'), '--out', out]);
    expect(bad.code).toBe(2);
    expect((bad.json.error as { code: string }).code).toBe('E_CONFIG');
  });

  it('info, and bad input exits 2 with a typed error', async () => {
    const { json } = await run(['info', '--model', join(FIXTURES, 't5')]);
    expect(json.modelType).toBe('t5');
    expect(json.parameters).toBeGreaterThan(0);
    const bad = await run(['logits', '--model', join(FIXTURES, 'gpt2'), '--ids', '1,x']);
    expect(bad.code).toBe(2);
    expect((bad.json.error as { code: string }).code).toBe('E_INPUT');
    const noTok = await run(['generate', '--model', join(FIXTURES, 'gpt2'), '--prompt', 'hi']);
    expect(noTok.code).toBe(2);
    expect((noTok.json.error as { code: string }).code).toBe('E_CONFIG');
  });
});
