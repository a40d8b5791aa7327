#!/usr/bin/env node
// Compiles the @llm/core kernel pack (native/src/*.cc → native/build/Release/llm_kernels.node)
// with node-gyp and the system's g++ against the installed Node's headers (no downloads).
// It never fails the install: without a compiler, make or headers it prints why and exits 0,
// and @llm/core then falls back to the wasm backend (`llm info` shows the reason).
//   node native/build.mjs             rebuild
//   node native/build.mjs --if-missing   skip when the addon is newer than its sources
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'Release', 'llm_kernels.node');
const sources = [join(here, 'binding.gyp'), ...readdirSync(join(here, 'src')).map((f) => join(here, 'src', f))];

function log(msg) {
  process.stderr.write(`[@llm/core native] ${msg}\n`);
}

function upToDate() {
  if (!existsSync(out)) return false;
  const t = statSync(out).mtimeMs;
  return sources.every((s) => statSync(s).mtimeMs <= t);
}

function findNodeGyp() {
  const tries = [];
  if (process.env.npm_config_node_gyp) tries.push(process.env.npm_config_node_gyp);
  try {
    tries.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not a dependency */
  }
  const prefix = join(dirname(process.execPath), '..');
  tries.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  tries.push('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  tries.push('/usr/share/nodejs/node-gyp/bin/node-gyp.js');
  return tries.find((p) => p && existsSync(p));
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function loads() {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(out)}).info()`], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr || 'load failed').split('\n').find((l) => l.trim()) ?? 'load failed';
}

function viaNodeGyp() {
  const gyp = findNodeGyp();
  if (!gyp) return 'node-gyp not found';
  const dir = nodeDir();
  const args = [gyp, 'rebuild', '-j', '2', ...(dir ? [`--nodedir=${dir}`] : [])];
  const r = run(process.execPath, args);
  if (r.ok && existsSync(out)) return null;
  return `node-gyp failed: ${r.output.split('\n').filter((l) => /error|not found|ERR/i.test(l)).slice(0, 3).join(' | ') || 'see node-gyp output'}`;
}

// The same compile without node-gyp (or python3) when only g++ and the headers are present.
function viaGxx() {
  const dir = nodeDir();
  if (!dir) return 'no Node headers (include/node/node_api.h)';
  mkdirSync(dirname(out), { recursive: true });
  const r = run('g++', ['-O3', '-std=c++17', '-pthread', '-fno-math-errno', '-fno-trapping-math', '-fopenmp-simd', '-fPIC', '-shared', '-DNODE_GYP_MODULE_NAME=llm_kernels',
    `-I${join(dir, 'include', 'node')}`, ...readdirSync(join(here, 'src')).filter((f) => f.endsWith('.cc')).map((f) => join('src', f)), '-o', out]);
  return r.ok ? null : `g++ failed: ${r.output.split('\n').slice(0, 3).join(' | ')}`;
}

if (process.env.LLM_NATIVE === '0') {
  log('skipped (LLM_NATIVE=0)');
  process.exit(0);
}
if (process.argv.includes('--if-missing') && upToDate()) process.exit(0);
if (process.platform !== 'linux' && process.platform !== 'darwin') {
  log(`skipped on ${process.platform}; the wasm backend will be used`);
  process.exit(0);
}
const t0 = Date.now();
let why = viaNodeGyp();
if (why) {
  log(`${why}; trying g++ directly`);
  why = viaGxx();
}
if (!why) why = loads();
if (why) {
  log(`not built (${why}); @llm/core will use the wasm backend`);
} else {
  log(`built ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
process.exit(0);
