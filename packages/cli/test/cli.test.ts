import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Runs the real `llm` command from source through tsx, as a user would run the built bin.
const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
function llm(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', ...env }, timeout: 540_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: () => JSON.parse(r.stdout.trimEnd().split('\n').pop()!) as Record<string, unknown> };
}

describe('llm CLI', () => {
  it('info --json names the active backend and why others were skipped', () => {
    const r = llm(['info', '--no-probe', '--json']);
    expect(r.code).toBe(0);
    const j = r.last() as { backend: { active: string; attempts: Array<{ name: string; ok: boolean; reason?: string }> } };
    // native when @llm/core's kernel pack compiled at install, else wasm.
    expect(['native', 'wasm']).toContain(j.backend.active);
    expect(j.backend.attempts.find((a) => a.name === 'node')!.reason).toBe('not installed');
  });

  it('LLM_BACKEND picks the backend', () => {
    const j = llm(['info', '--no-probe', '--json'], { LLM_BACKEND: 'cpu' }).last() as { backend: { active: string; chosenBy: string } };
    expect(j.backend).toMatchObject({ active: 'cpu', chosenBy: 'LLM_BACKEND' });
  });

  it('data list and data show', () => {
    const list = llm(['data', 'list', '--json']);
    expect(list.code).toBe(0);
    expect((list.last().datasets as Array<{ name: string }>).map((d) => d.name)).toContain('bible-es-en');
    const show = llm(['data', 'show', 'austen', '-n', '2']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('public domain');
  });

  it('exit 2 with one line for bad input and bad usage; --help exits 0', () => {
    const bad = llm(['data', 'show', 'imdb', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect((bad.last().error as { code: string }).code).toBe('E_NOT_FOUND');
    expect(llm(['no-such-command']).code).toBe(2);
    expect(llm(['data', 'show']).code).toBe(2);
    const help = llm(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('tour');
  });

  it('tour rejects a bad level', () => {
    expect(llm(['tour', '--level', '7']).code).toBe(2);
  });

  it('tour runs level 0 and writes its report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-tour-'));
    const r = llm(['tour', '--level', '0', '--artifacts', dir, '--json']);
    expect(r.code).toBe(0);
    const report = r.last() as { steps: Array<{ id: string; metrics: { devAccuracy: number; majority: number } }> };
    expect(report.steps[0]!.id).toBe('runtime');
    // The tiny model must beat the majority class: proof that the wasm embedding gradient trains.
    expect(report.steps[0]!.metrics.devAccuracy).toBeGreaterThan(report.steps[0]!.metrics.majority);
    expect(existsSync(join(dir, 'runtime', 'loss.svg'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).steps).toHaveLength(1);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Level 0');
    expect(html).toContain('<svg'); // the loss curve, inlined
  });

  it('tour --fast runs every level end to end and reports no pending stage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-tour-fast-'));
    const r = llm(['tour', '--fast', '--artifacts', dir, '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const report = r.last() as { steps: Array<{ id: string; level: number }>; pending: unknown[] };
    expect(new Set(report.steps.map((s) => s.level))).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(report.steps.map((s) => s.id)).toEqual(['runtime', 'tokenize', 'embeddings', 'seq', 'translator', 'gpt-austen', 'bert-qa', 'quant', 'lora', 'rag', 'eval', 'serve']);
    expect(report.pending).toEqual([]);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  }, 600_000);
});
