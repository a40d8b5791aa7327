import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { formatTable, runCommand, runInProcess, type OutputSink, type ParsableProgram } from './kit.js';

function sink(): OutputSink & { out: string; err: string } {
  const s = { out: '', err: '', stdout: (x: string) => { s.out += x; }, stderr: (x: string) => { s.err += x; } };
  return s;
}

describe('CLI contract', () => {
  it('--json prints exactly one JSON object as the last stdout line', async () => {
    const s = sink();
    const code = await runCommand({ json: true }, async () => ({ json: { ids: [1, 2], count: 2 }, human: 'two ids' }), s);
    expect(code).toBe(0);
    const lines = s.out.trimEnd().split('\n');
    expect(JSON.parse(lines[lines.length - 1]!)).toEqual({ ids: [1, 2], count: 2 });
    expect(s.out).not.toContain('two ids');
  });

  it('prints the human form without --json', async () => {
    const s = sink();
    await runCommand({}, async () => ({ json: { a: 1 }, human: ['line 1', 'line 2'] }), s);
    expect(s.out).toBe('line 1\nline 2\n');
  });

  it('bad input: one line on stderr, exit 2, and a JSON error with --json', async () => {
    const s = sink();
    const code = await runCommand({ json: true }, async () => { throw new InputError('hyp and ref differ in length (3 vs 4)', { file: 'hyp.txt', line: 4 }); }, s);
    expect(code).toBe(2);
    expect(s.err).toBe('error[E_INPUT]: hyp.txt:4: hyp and ref differ in length (3 vs 4)\n');
    const last = JSON.parse(s.out.trimEnd().split('\n').pop()!) as { error: { code: string; location: { line: number } }; exitCode: number };
    expect(last.error.code).toBe('E_INPUT');
    expect(last.error.location.line).toBe(4);
    expect(last.exitCode).toBe(2);
  });

  it('internal errors exit 1, with the stack only under --debug', async () => {
    const s = sink();
    expect(await runCommand({}, async () => { throw new TypeError('boom'); }, s)).toBe(1);
    expect(s.err.split('\n').filter(Boolean).length).toBe(1);
    const d = sink();
    await runCommand({ debug: true }, async () => { throw new TypeError('boom'); }, d);
    expect(d.err).toContain('kit.test.ts');
  });

  it('formats aligned tables', () => {
    expect(formatTable(['a', 'long'], [[1, 'x'], ['wide', 2]])).toBe('a     long\n----  ----\n1     x\nwide  2');
  });

  it('runs a command in-process, capturing stdout/stderr, the exit code and the --json line', async () => {
    const program: ParsableProgram = {
      async parseAsync(argv) {
        const flags = { json: argv.includes('--json') };
        process.exitCode = await runCommand(flags, async () => {
          process.stderr.write('progress…\n');
          if (argv[0] === 'bad') throw new InputError('bad input', { line: 3 });
          return { json: { echo: argv[0] }, human: `echo ${argv[0]}` };
        });
      },
    };
    process.exitCode = 7;
    const ok = await runInProcess(program, ['hello', '--json']);
    expect(ok).toMatchObject({ code: 0, json: { echo: 'hello' } });
    expect(ok.stderr).toContain('progress…');
    const human = await runInProcess(program, ['hi']);
    expect(human.stdout).toBe('echo hi\n');
    expect(human.json).toBeUndefined();
    const bad = await runInProcess(program, ['bad', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.json).toMatchObject({ error: { message: 'bad input' }, exitCode: 2 });
    expect(process.exitCode).toBe(7);
    process.exitCode = undefined;
  });
});
