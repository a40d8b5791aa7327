import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { runInProcess } from '@llm/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-eval-cli-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function run(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const program = new Command().exitOverride();
  register(program);
  return runInProcess(program, args);
}

afterEach(() => { process.exitCode = undefined; });

const hyp = file('hyp.txt', 'The dog bit the man.\nIt wasn\'t surprising.\nThe man had just bitten him.\n');
const ref1 = file('ref1.txt', 'The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n');
const ref2 = file('ref2.txt', 'The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n');

describe('llm eval CLI', () => {
  it('bleu prints the sacreBLEU line and --json adds the fields', async () => {
    const r = await run(['eval', 'bleu', '--hyp', hyp, '--ref', ref1, '--ref', ref2]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^BLEU\|nrefs:2\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:2\.6\.0 = 48\.5 [\d./]+ \(BP = [\d.]+ ratio = [\d.]+ hyp_len = \d+ ref_len = \d+\)$/);
    const j = await run(['eval', 'bleu', '--hyp', hyp, '--ref', ref1, '--ref', ref2, '--json']);
    const out = JSON.parse(j.stdout.trim().split('\n').pop()!) as { score: number; signature: string; precisions: number[]; bp: number };
    expect(out.score).toBeCloseTo(48.530827, 5);
    expect(out.signature).toBe('nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0');
    expect(out.precisions).toHaveLength(4);
    expect(out.bp).toBeGreaterThan(0);
  });
  it('bleu with --tokenize intl --lowercase --confidence', async () => {
    const r = await run(['eval', 'bleu', '--hyp', hyp, '--ref', ref1, '--tokenize', 'intl', '--lowercase', '--confidence', '--bs', '100', '--json']);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { signature: string; confidence_mean: number };
    expect(out.signature).toBe('nrefs:1|bs:100|seed:12345|case:lc|eff:no|tok:intl|smooth:exp|version:2.6.0');
    expect(out.confidence_mean).toBeGreaterThan(0);
  });
  it('chrf, chrF++ and ter', async () => {
    expect((await run(['eval', 'chrf', '--hyp', hyp, '--ref', ref1])).stdout).toMatch(/^chrF2\|nrefs:1\|case:mixed\|eff:yes\|nc:6\|nw:0\|space:no\|version:2\.6\.0 = \d+\.\d$/m);
    expect((await run(['eval', 'chrf', '--hyp', hyp, '--ref', ref1, '--word-order', '2'])).stdout).toMatch(/^chrF2\+\+\|/m);
    const t = await run(['eval', 'ter', '--hyp', hyp, '--ref', ref1, '--json']);
    expect(JSON.parse(t.stdout.trim()).signature).toBe('nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0');
  });
  it('paired bootstrap between systems', async () => {
    const other = file('other.txt', 'A dog.\nSurprise.\nHim.\n');
    const r = await run(['eval', 'paired', '--ref', ref1, '--baseline', hyp, '--hyp', other, '--samples', '200', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { systems: Array<{ pValue: number }>; signature: string };
    expect(out.systems[0]!.pValue).toBeGreaterThan(0);
    expect(out.signature).toContain('bs:200|seed:12345');
  });
  it('rouge with stemming and bootstrap intervals', async () => {
    const r = await run(['eval', 'rouge', '--hyp', hyp, '--ref', ref1, '--stem', '--json', '--samples', '100']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { scores: Record<string, { mid: { fmeasure: number } }> };
    expect(Object.keys(out.scores)).toEqual(['rouge1', 'rouge2', 'rougeL', 'rougeLsum']);
    expect(out.scores.rouge1!.mid.fmeasure).toBeGreaterThan(0.3);
  });
  it('typed errors: mismatched line counts, empty hypotheses, invalid SQuAD JSON', async () => {
    const short = file('short.txt', 'one line\n');
    const m = await run(['eval', 'bleu', '--hyp', hyp, '--ref', short, '--json']);
    expect(m.code).toBe(2);
    const err = JSON.parse(m.stdout.trim()) as { error: { code: string; location: { file: string; line: number } } };
    expect(err.error.code).toBe('E_INPUT');
    expect(err.error.location).toEqual({ file: short, line: 2 });
    const empty = file('empty.txt', '');
    const e = await run(['eval', 'chrf', '--hyp', empty, '--ref', ref1, '--json']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/empty/);
    const data = file('squad.json', JSON.stringify({ version: '1.1', data: [{ paragraphs: [{ qas: [{ id: 'q1', answers: [{ text: 'x' }] }, { id: 7, answers: [] }] }] }] }));
    const pred = file('pred.json', JSON.stringify({ q1: 'x' }));
    const s = await run(['eval', 'squad', '--data', data, '--pred', pred, '--json']);
    expect(s.code).toBe(2);
    expect((JSON.parse(s.stdout.trim()) as { error: { location: { field: string } } }).error.location.field).toBe('data[0].paragraphs[0].qas[1].id');
    const broken = file('broken.json', '{"data": [');
    expect((await run(['eval', 'squad', '--data', broken, '--pred', pred])).code).toBe(2);
    expect((await run(['eval', 'bleu', '--hyp', hyp, '--ref', ref1, '--tokenize', 'nope'])).code).toBe(2);
  });
  it('human report reads the SQLite judgments; a missing database is a typed error', async () => {
    const { JudgmentStore } = await import('./human/store.js');
    const tasks = file('tasks.jsonl', '{"id": "a", "prompt": "p", "output": "o", "system": "s1"}\n{"id": "b", "prompt": "q", "outputs": {"s1": "x", "s2": "y"}}\n');
    const db = join(dir, 'j.sqlite');
    const store = JudgmentStore.open(db);
    const t = '2026-01-01T00:00:00.000Z';
    store.save([
      { rater: 'r1', taskId: 'a', kind: 'likert', criterion: 'quality', rating: 4, winner: null, leftSystem: null, rightSystem: null, system: 's1', createdAt: t },
      { rater: 'r2', taskId: 'a', kind: 'likert', criterion: 'quality', rating: 5, winner: null, leftSystem: null, rightSystem: null, system: 's1', createdAt: t },
      { rater: 'r1', taskId: 'b', kind: 'pairwise', criterion: 'preference', rating: null, winner: 's2', leftSystem: 's2', rightSystem: 's1', system: null, createdAt: t },
    ]);
    store.close();
    const r = await run(['eval', 'human', 'report', '--tasks', tasks, '--db', db, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { raters: string[]; likert: Array<{ mean: number }>; pairwise: Array<{ winsB: number }> };
    expect(out.raters).toEqual(['r1', 'r2']);
    expect(out.likert[0]!.mean).toBe(4.5);
    expect(out.pairwise[0]!.winsB).toBe(1);
    const human = await run(['eval', 'human', 'report', '--tasks', tasks, '--db', db]);
    expect(human.stdout).toMatch(/Krippendorff/);
    expect((await run(['eval', 'human', 'report', '--tasks', tasks, '--db', join(dir, 'none.sqlite')])).code).toBe(2);
  });
  it('squad scores a valid file', async () => {
    const data = file('squad-ok.json', JSON.stringify({ version: '1.1', data: [{ paragraphs: [{ context: 'c', qas: [{ id: 'q1', answers: [{ text: 'Denver Broncos' }] }, { id: 'q2', answers: [{ text: 'Santa Clara' }] }] }] }] }));
    const pred = file('pred-ok.json', JSON.stringify({ q1: 'the Denver Broncos', q2: 'Clara' }));
    const r = await run(['eval', 'squad', '--data', data, '--pred', pred, '--json']);
    const out = JSON.parse(r.stdout.trim()) as { exact_match: number; f1: number };
    expect(out.exact_match).toBe(50);
    expect(out.f1).toBeCloseTo(100 * (1 + 2 / 3) / 2, 10);
  });
});
