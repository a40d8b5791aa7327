import { vi } from 'vitest';
import { Command } from 'commander';
import { runInProcess } from '@llm/core';
import { register } from '../src/cli.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the committed golden fixtures. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export interface RefTensor { shape: number[]; data: number[] }

/** Read `fixtures/<name>/reference.json`. */
export function reference(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name, 'reference.json'), 'utf8')) as Record<string, unknown>;
}

/** Largest absolute difference, optionally only over rows (of the leading [B, T]) where `rowMask` is 1. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: RefTensor, rowMask?: number[][]): number {
  if (actual.length !== expected.data.length) throw new Error(`length ${actual.length} != ${expected.data.length}`);
  const inner = rowMask ? expected.data.length / (rowMask.length * rowMask[0]!.length) : 1;
  let m = 0;
  for (let i = 0; i < actual.length; i++) {
    if (rowMask) {
      const row = Math.floor(i / inner);
      const t = rowMask[0]!.length;
      if (rowMask[Math.floor(row / t)]![row % t] === 0) continue;
    }
    m = Math.max(m, Math.abs(actual[i]! - expected.data[i]!));
  }
  return m;
}

/** Run `llm transformer …` in-process with `--json`; the parsed last stdout line and the exit code. */
export async function runCli(args: string[]): Promise<{ json: Record<string, unknown>; code: number | undefined }> {
  const program = new Command('llm').exitOverride();
  register(program);
  const r = await runInProcess(program, ['transformer', ...args, '--json']);
  if (!r.json) throw new Error(`no JSON line on stdout: ${r.stdout.slice(-300)}`);
  return { json: r.json, code: r.code };
}
