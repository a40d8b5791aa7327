import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAtomicWriteStream, writeFileAtomic, writeFileAtomicSync, writeJsonAtomic } from './atomic.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'llm-atomic-'));

describe('atomic writes', () => {
  it('writes strings, bytes and chunk lists, creating folders', async () => {
    const dir = tmp();
    await writeFileAtomic(join(dir, 'a/b/c.txt'), 'hello');
    expect(readFileSync(join(dir, 'a/b/c.txt'), 'utf8')).toBe('hello');
    await writeFileAtomic(join(dir, 'bin'), [new Uint8Array([1, 2]), new Uint8Array([3])]);
    expect([...readFileSync(join(dir, 'bin'))]).toEqual([1, 2, 3]);
    writeFileAtomicSync(join(dir, 'sync.txt'), 'x');
    expect(readFileSync(join(dir, 'sync.txt'), 'utf8')).toBe('x');
    await writeJsonAtomic(join(dir, 'j.json'), { a: 1 });
    expect(JSON.parse(readFileSync(join(dir, 'j.json'), 'utf8'))).toEqual({ a: 1 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a stream commits on commit() and leaves the target untouched on abort()', async () => {
    const dir = tmp();
    const target = join(dir, 'ckpt.bin');
    writeFileSync(target, 'old');
    const s = await createAtomicWriteStream(target);
    await s.write('new ');
    await s.write(new Uint8Array([65]));
    expect(readFileSync(target, 'utf8')).toBe('old');
    await s.commit();
    expect(readFileSync(target, 'utf8')).toBe('new A');
    const s2 = await createAtomicWriteStream(target);
    await s2.write('garbage');
    await s2.abort();
    expect(readFileSync(target, 'utf8')).toBe('new A');
    expect(readdirSync(dir)).toEqual(['ckpt.bin']);
  });

  it('a process killed mid-write leaves the previous file intact', async () => {
    const dir = tmp();
    const target = join(dir, 'model.safetensors');
    writeFileSync(target, 'previous checkpoint');
    const modUrl = new URL('./atomic.ts', import.meta.url).href;
    // The child writes 64 MiB in 1 MiB pieces through createAtomicWriteStream and reports progress;
    // we SIGKILL it after a few pieces, before commit.
    const script = `
      const { createAtomicWriteStream } = await import(${JSON.stringify(modUrl)});
      const s = await createAtomicWriteStream(${JSON.stringify(target)});
      const chunk = new Uint8Array(1 << 20).fill(7);
      for (let i = 0; i < 64; i++) { await s.write(chunk); process.stdout.write('w'); await new Promise(r => setTimeout(r, 20)); }
      await s.commit();
      process.stdout.write('committed');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.length >= 3 && !child.killed) { child.kill('SIGKILL'); resolve(); }
      });
      child.on('exit', (code) => { if (!child.killed) reject(new Error(`child exited ${code} before being killed: ${err}`)); });
    });
    await new Promise((r) => child.on('close', r));
    expect(out).not.toContain('committed');
    expect(readFileSync(target, 'utf8')).toBe('previous checkpoint');
    // The partial temp file is left beside it, never over it.
    const temps = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
    expect(temps.length).toBe(1);
    expect(existsSync(target)).toBe(true);
  }, 30_000);
});
