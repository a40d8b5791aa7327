#!/usr/bin/env node
// The README's two commands land here: `npm start` (= `node tools/bootstrap.mjs start`) and
// `npm test` (= `node tools/bootstrap.mjs test`). On a clean clone they get pnpm 12.4.2 through
// npm (corepack cannot fetch it from this registry), install the workspace from the committed
// lockfile, build it with turbo, then run the tour or every check and test.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = '12.4.2';
const toolsDir = join(root, '.tools');
const pnpmBin = join(toolsDir, 'node_modules', '.bin', 'pnpm');
// turbo looks for the package manager on PATH: put .tools/ first.
const env = {
  ...process.env,
  PATH: `${join(toolsDir, 'node_modules', '.bin')}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH ?? ''}`,
  // node-gyp (hnswlib-node, better-sqlite3, the @llm/core kernel pack) builds against the system's
  // Node headers: pnpm 12 does not pass .npmrc's nodedir to it, so set it here too.
  ...(process.env.npm_config_nodedir || !existsSync('/usr/include/node/node.h') ? {} : { npm_config_nodedir: '/usr' }),
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function must(cmd, args, what) {
  const code = run(cmd, args);
  if (code !== 0) {
    console.error(`bootstrap: ${what} failed (exit ${code})`);
    process.exit(code);
  }
}

function step(msg) {
  process.stderr.write(`\n› ${msg}\n`);
}

function ensurePnpm() {
  if (existsSync(pnpmBin)) {
    const r = spawnSync(pnpmBin, ['--version'], { encoding: 'utf8', env });
    if (r.status === 0 && r.stdout.trim() === PNPM_VERSION) return;
  }
  step(`installing pnpm ${PNPM_VERSION} into .tools/ with npm`);
  must('npm', ['install', '--prefix', toolsDir, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', `pnpm@${PNPM_VERSION}`], 'installing pnpm');
}

function ensureInstall() {
  // pnpm is fast when nothing changed; --frozen-lockfile makes a stale lockfile an error, not a rewrite.
  step('installing dependencies (pnpm install --frozen-lockfile)');
  must(pnpmBin, ['install', '--frozen-lockfile', '--reporter=append-only'], 'pnpm install');
}

function build() {
  step('building (turbo run build)');
  must(pnpmBin, ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], 'build');
}

/** Sum the vitest JSON reports every package wrote, and print the plain closing line. */
function summarizeTests() {
  let passed = 0, failed = 0, skipped = 0, files = 0;
  for (const dir of ['packages', 'examples', 'benchmarks']) {
    const base = join(root, dir);
    if (!existsSync(base)) continue;
    const candidates = dir === 'packages' ? readdirSync(base).map((d) => join(base, d)) : [base];
    for (const pkg of candidates) {
      const f = join(pkg, '.vitest-result.json');
      if (!existsSync(f)) continue;
      const r = JSON.parse(readFileSync(f, 'utf8'));
      passed += r.numPassedTests ?? 0;
      failed += r.numFailedTests ?? 0;
      skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
      files++;
    }
  }
  return { passed, failed, skipped, files };
}

const mode = process.argv[2] ?? 'start';
const rest = process.argv.slice(3);
ensurePnpm();
ensureInstall();

if (mode === 'setup') {
  build();
} else if (mode === 'start') {
  build();
  // Interactive runs end by serving the tour's models and the RAG chatbot (Ctrl-C stops);
  // scripted runs (CI, no terminal) print the report and exit.
  const serve = process.stdin.isTTY && !process.env.CI && !rest.includes('--fast') ? ['--serve'] : [];
  step(`running the curriculum tour (llm tour${serve.length ? ' --serve' : ''})`);
  process.exit(run(process.execPath, [join(root, 'packages', 'cli', 'dist', 'bin.js'), 'tour', ...serve, ...rest]));
} else if (mode === 'test') {
  build();
  step('checking import layers and cycles');
  must(process.execPath, [join(root, 'tools', 'check-imports.mjs')], 'import check');
  step('checking every package manifest and its packed tarball (tools/release-check.mjs)');
  must(process.execPath, [join(root, 'tools', 'release-check.mjs')], 'release check');
  step('type-checking and testing every package (turbo run typecheck test)');
  const code = run(pnpmBin, ['exec', 'turbo', 'run', 'typecheck', 'test', '--concurrency=1', '--continue', ...rest]);
  const s = summarizeTests();
  console.log(`\n${s.files} test suites reported`);
  console.log(`tests: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
  process.exit(code !== 0 ? code : s.failed > 0 ? 1 : 0);
} else if (mode === 'bench') {
  build();
  process.exit(run(pnpmBin, ['--filter', '@llm/benchmarks', 'run', 'bench', ...rest]));
} else {
  console.error(`usage: node tools/bootstrap.mjs start|test|setup|bench`);
  process.exit(2);
}
