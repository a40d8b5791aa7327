import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../../tools/check-imports.mjs', import.meta.url));

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'llm-layers-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}
const pkg = (name: string) => JSON.stringify({ name });
const check = (root: string) => spawnSync(process.execPath, [script, root], { encoding: 'utf8' });

describe('tools/check-imports.mjs', () => {
  it('passes a workspace that respects the layers', () => {
    const r = check(workspace({
      'packages/core/package.json': pkg('@llm/core'),
      'packages/core/src/index.ts': "import * as tf from '@tensorflow/tfjs';\nexport { a } from './a.js';",
      'packages/core/src/a.ts': 'export const a = 1;',
      'packages/tokenize/package.json': pkg('@llm/tokenize'),
      'packages/tokenize/src/index.ts': "import { tf } from '@llm/core';",
    }));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails on a layer violation, a direct tfjs import and cycles', () => {
    const r = check(workspace({
      'packages/core/package.json': pkg('@llm/core'),
      'packages/core/src/index.ts': "export * from './a.js';",
      'packages/core/src/a.ts': "import { b } from './b.js';\nexport const a = b;",
      'packages/core/src/b.ts': "import { a } from './a.js';\nexport const b = 1;",
      'packages/eval/package.json': pkg('@llm/eval'),
      'packages/eval/src/index.ts': "import { x } from '@llm/tokenize';\nimport '@tensorflow/tfjs-backend-wasm';",
      'packages/tokenize/package.json': pkg('@llm/tokenize'),
      'packages/tokenize/src/index.ts': "import { y } from '@llm/eval';",
    }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('@llm/eval may not import @llm/tokenize');
    expect(r.stderr).toContain('@llm/tokenize may not import @llm/eval');
    expect(r.stderr).toContain("imports '@tensorflow/tfjs-backend-wasm' directly");
    expect(r.stderr).toMatch(/@llm\/core: import cycle packages\/core\/src\/a\.ts → packages\/core\/src\/b\.ts → packages\/core\/src\/a\.ts/);
    expect(r.stderr).toMatch(/package cycle @llm\/(eval|tokenize) → @llm\/(tokenize|eval) → @llm\/(eval|tokenize)/);
  });
});
