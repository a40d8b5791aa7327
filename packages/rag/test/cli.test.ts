import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { datasetFiles, runInProcess } from '@llm/core';
import { register } from '../src/cli.js';

async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  const program = new Command('llm').exitOverride().option('--json').option('--debug');
  register(program);
  const r = await runInProcess(program, args);
  return { out: r.stdout, err: r.stderr, code: r.code };
}
afterEach(() => { process.exitCode = undefined; });

describe('llm rag', () => {
  it('ingest, retrieve --json and ask follow the CLI contract', async () => {
    const index = mkdtempSync(join(tmpdir(), 'llm-rag-cli-'));
    const ing = await run(['rag', 'ingest', datasetFiles('debian-pdfs', 'debian-faq')[0]!, '--index', index, '--json']);
    expect(ing.code).toBe(0);
    expect(JSON.parse(ing.out.trim().split('\n').pop()!).chunks).toBeGreaterThan(100);
    const ret = await run(['rag', 'retrieve', 'Which tool updates the system at regular intervals?', '--index', index, '--k', '3', '--json']);
    const j = JSON.parse(ret.out.trim().split('\n').pop()!) as { chunks: Array<{ text: string; source: string; page: number; score: number }> };
    expect(j.chunks).toHaveLength(3);
    expect(j.chunks[0]!.text).toContain('cron-apt');
    expect(typeof j.chunks[0]!.page).toBe('number');
    const ask = await run(['rag', 'ask', 'Who created the Debian Project?', '--index', index]);
    expect(ask.out).toContain('Ian Murdock');
    expect(ask.out).toContain('page 10');
    const bad = await run(['rag', 'info', '--index', join(index, 'nope')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^error\[E_CONFIG\]: no knowledge base/);
    const unknown = await run(['rag', 'ingest', 'x.pdf', '--index', index, '--embedder', 'imaginary']);
    expect(unknown.code).toBe(2);
  });
});
