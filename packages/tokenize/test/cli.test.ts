import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { runInProcess } from '@llm/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../src/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tok-cli-'));

async function run(args: string[]): Promise<{ out: string; last: Record<string, unknown>; code: number | undefined }> {
  const program = new Command().exitOverride();
  register(program);
  const r = await runInProcess(program, ['tokenize', ...args, '--json']);
  return { out: r.stdout, last: r.json ?? {}, code: r.code };
}

afterEach(() => { process.exitCode = undefined; });

describe('llm tokenize CLI', () => {
  it('train → encode → decode round trip', async () => {
    const corpus = join(dir, 'c.txt');
    writeFileSync(corpus, 'the cat sat on the mat\nthe dog sat on the log\n'.repeat(200));
    const out = join(dir, 'tok.json');
    const t = await run(['train', '--algo', 'bpe', '--vocab', '300', '--in', corpus, '--out', out]);
    expect(t.code).toBe(0);
    expect(t.last.vocabSize).toBeLessThanOrEqual(300);
    expect(JSON.parse(readFileSync(out, 'utf8')).model.type).toBe('BPE');
    const e = await run(['encode', '--tokenizer', out, '--text', 'the cat sat']);
    expect(e.last.count).toBe((e.last.ids as number[]).length);
    const d = await run(['decode', '--tokenizer', out, '--ids', (e.last.ids as number[]).join(',')]);
    expect(d.last.text).toBe('the cat sat');
    const w = await run(['train', '--algo', 'wordpiece', '--vocab', '200', '--in', corpus, '--out', join(dir, 'wp.json')]);
    expect(w.code).toBe(0);
  });

  it('encodes with a public encoding and reports bad input with exit code 2', async () => {
    const e = await run(['encode', '--tokenizer', 'cl100k_base', '--text', 'Hello world']);
    expect(e.last).toEqual({ ids: [9906, 1917], count: 2 });
    const f = join(dir, 'in.txt');
    writeFileSync(f, 'Hello world');
    expect((await run(['encode', '--tokenizer', 'o200k_base', '--in', f])).last.count).toBe(2);
    const bad = await run(['encode', '--tokenizer', 'cl100k_base', '--text', 'x <|endoftext|>']);
    expect(bad.code).toBe(2);
    expect(JSON.stringify(bad.last)).toContain('E_INPUT');
    expect((await run(['encode', '--tokenizer', 'cl100k_base', '--text', 'x <|endoftext|>', '--allow-special'])).last.ids).toContain(100257);
    expect((await run(['encode', '--tokenizer', 'nope.json', '--text', 'x'])).code).toBe(2);
    expect((await run(['decode', '--tokenizer', 'cl100k_base', '--ids', '1,x'])).code).toBe(2);
    expect((await run(['train', '--vocab', '-3', '--in', f, '--out', join(dir, 'x.json')])).code).toBe(2);
  });
});
