import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { loadFineFoods } from '../src/index.js';
import { register } from '../src/cli.js';

let tmp: string;
beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'seq-cli-')); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ out: string[]; code: number | undefined }> {
  const program = new Command('llm').exitOverride();
  register(program);
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { if (process.env.SEQ_DEBUG) out.push(String(s)); return true; });
  process.exitCode = undefined;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
    errSpy.mockRestore();
  }
  const code = process.exitCode;
  process.exitCode = undefined;
  return { out: out.join('').trim().split('\n'), code: code as number | undefined };
}

describe('llm seq', () => {
  it('train → predict → eval on a small TSV, per the CLI contract', async () => {
    const s = await loadFineFoods();
    const tsv = join(tmp, 'reviews.tsv');
    writeFileSync(tsv, `review\tscore\n${[...s.train.slice(0, 100), ...s.dev.slice(0, 25), ...s.test.slice(0, 25)].map((r) => `${r.text}\t${r.label}`).join('\n')}\n`);
    const out = join(tmp, 'model');
    const t = await run(['seq', 'train-classifier', '--data', tsv, '--out', out, '--cell', 'gru', '--bi', '--epochs', '1', '--hidden', '8', '--embedding-dim', '8', '--max-length', '12', '--json']);
    expect(t.code, t.out.join('\n')).toBe(0);
    const summary = JSON.parse(t.out.at(-1)!) as { labels: string[]; dev: { accuracy: number } };
    expect(summary.labels).toEqual(['great', 'other']);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);

    const p = await run(['seq', 'predict', '--model', out, '--in', tsv, '--json']);
    expect(p.code).toBe(0);
    expect(p.out.length).toBe(151);
    const first = JSON.parse(p.out[0]!) as { label: string; probability: number; probabilities: Record<string, number> };
    expect(['great', 'other']).toContain(first.label);
    expect(first.probability).toBe(first.probabilities[first.label]);
    const last = JSON.parse(p.out.at(-1)!) as { n: number; labels: Record<string, number> };
    expect(last.n).toBe(150);
    expect(Object.values(last.labels).reduce((a, b) => a + b, 0)).toBe(150);

    const e = await run(['seq', 'eval', '--model', out, '--data', tsv, '--split', 'dev', '--json']);
    expect(e.code).toBe(0);
    const ev = JSON.parse(e.out.at(-1)!) as { accuracy: number; majority: { accuracy: number } };
    expect(ev.accuracy).toBeGreaterThanOrEqual(0);
    expect(ev.majority.accuracy).toBeGreaterThan(0.3);
  });

  it('bad options exit 2 with a typed error', async () => {
    const r = await run(['seq', 'train', '--dataset', 'fine-foods', '--out', join(tmp, 'x'), '--cell', 'transformer', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out.at(-1)!).error.code).toBe('E_CONFIG');
    const m = await run(['seq', 'predict', '--model', join(tmp, 'missing'), '--in', 'x.tsv', '--json']);
    expect(m.code).toBe(2);
    const d = await run(['seq', 'eval', '--dataset', 'imdb', '--model', join(tmp, 'x'), '--json']);
    expect(d.code).toBe(2);
    expect(JSON.parse(d.out.at(-1)!).error.message).toContain("'spam-assassin'");
  });
});
