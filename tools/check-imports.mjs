#!/usr/bin/env node
// Fails (exit 1) when the workspace breaks its architecture:
//  - a package imports an @llm package that its layer may not import (see docs/architecture.md),
//  - a package other than @llm/core imports a tfjs package or backend directly,
//  - an import cycle between files of a package, or between packages.
// Usage: node tools/check-imports.mjs [ROOT]
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));

/** Which @llm packages each package may import (ARCHITECTURE.md). */
export const LAYERS = {
  '@llm/core': [],
  '@llm/eval': ['core'],
  '@llm/tokenize': ['core'],
  '@llm/embeddings': ['tokenize', 'core'],
  '@llm/transformer': ['tokenize', 'core'],
  '@llm/seq': ['embeddings', 'tokenize', 'core'],
  '@llm/quant': ['transformer', 'tokenize', 'core'],
  '@llm/lora': ['quant', 'transformer', 'tokenize', 'core'],
  '@llm/rag': ['quant', 'transformer', 'embeddings', 'tokenize', 'eval', 'core'],
  '@llm/serve': ['rag', 'quant', 'transformer', 'embeddings', 'tokenize', 'eval', 'core'],
  '@llm/cli': '*',
  '@llm/examples': '*',
  '@llm/benchmarks': '*',
};
const TFJS = /^@tensorflow\/tfjs(-core|-backend-[a-z]+|-node(-gpu)?|-layers|-converter|-data)?(\/|$)/;

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(m|c)?tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire(?:_)?\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file) {
  const src = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out = [];
  for (const m of src.matchAll(IMPORT_RE)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function resolveRelative(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.(m|c)?js$/, '.$1ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

const problems = [];
const packages = [];
for (const group of ['packages', 'examples', 'benchmarks']) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  const dirs = group === 'packages' ? readdirSync(base).map((d) => join(base, d)) : [base];
  for (const dir of dirs) {
    const pj = join(dir, 'package.json');
    if (!existsSync(pj)) continue;
    packages.push({ dir, name: JSON.parse(readFileSync(pj, 'utf8')).name });
  }
}

const pkgGraph = new Map();
for (const { dir, name } of packages) {
  const allowed = LAYERS[name];
  if (allowed === undefined) problems.push(`${name}: not in the layer table of tools/check-imports.mjs`);
  const files = walk(join(dir, 'src')).concat(walk(join(dir, 'test')), group(dir));
  const fileGraph = new Map();
  const deps = new Set();
  for (const f of files) {
    const edges = [];
    for (const spec of importsOf(f)) {
      const where = relative(root, f);
      if (spec.startsWith('.')) {
        const target = resolveRelative(f, spec);
        if (target) edges.push(target);
        continue;
      }
      if (TFJS.test(spec) && name !== '@llm/core') problems.push(`${where}: imports '${spec}' directly; import { tf } from '@llm/core' (core chooses the backend)`);
      const m = /^@llm\/([a-z-]+)/.exec(spec);
      if (m && `@llm/${m[1]}` !== name) {
        deps.add(`@llm/${m[1]}`);
        if (allowed !== '*' && allowed !== undefined && !allowed.includes(m[1])) problems.push(`${where}: ${name} may not import @llm/${m[1]} (allowed: ${allowed.length ? allowed.map((a) => `@llm/${a}`).join(', ') : 'none'})`);
      }
    }
    fileGraph.set(f, edges);
  }
  pkgGraph.set(name, [...deps]);
  for (const cycle of findCycles(fileGraph)) problems.push(`${name}: import cycle ${cycle.map((f) => relative(root, f)).join(' → ')}`);
}
for (const cycle of findCycles(pkgGraph)) problems.push(`package cycle ${cycle.join(' → ')}`);

function group(dir) {
  // examples/ and benchmarks/ keep their scripts outside src/.
  return dir.endsWith('examples') || dir.endsWith('benchmarks') ? walk(dir).filter((f) => !f.includes(`${dir}/src/`)) : [];
}

function findCycles(graph) {
  const state = new Map();
  const stack = [];
  const cycles = [];
  const seen = new Set();
  const visit = (n) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (!graph.has(m)) continue;
      if (state.get(m) === 1) {
        const cyc = stack.slice(stack.indexOf(m)).concat(m);
        const key = [...cyc].sort().join('|');
        if (!seen.has(key)) { seen.add(key); cycles.push(cyc); }
      } else if (!state.get(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (!state.get(n)) visit(n);
  return cycles;
}

if (problems.length) {
  console.error(`check-imports: ${problems.length} problem(s)`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`check-imports: ${packages.length} packages, layers respected, no import cycles, tfjs only in @llm/core`);
