#!/usr/bin/env node
// Release checks for every publishable package under packages/:
//
//   node tools/release-check.mjs                # manifest + `pnpm pack` contents (fast, no install)
//   node tools/release-check.mjs --consumer     # + a scratch project installs the packed tarballs
//                                               #   (offline, from the pnpm store), type-checks each
//                                               #   README's first snippet, runs it (ESM) and
//                                               #   require()s every entry point (CJS)
//   node tools/release-check.mjs --publish-dry-run   # + `pnpm publish --dry-run` per package
//
// Exit status 0 only when every check passed; each failure names the package and the field or file.
// Needs a built workspace (`npm test` / `pnpm build` first): the tarballs are made from dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const consumer = args.has('--consumer');
const publishDryRun = args.has('--publish-dry-run');
const keep = args.has('--keep');
const pnpmBin = existsSync(join(root, '.tools/node_modules/.bin/pnpm')) ? join(root, '.tools/node_modules/.bin/pnpm') : 'pnpm';
const env = {
  ...process.env,
  PATH: `${join(root, '.tools/node_modules/.bin')}:${process.env.PATH ?? ''}`,
  ...(process.env.npm_config_nodedir || !existsSync('/usr/include/node/node.h') ? {} : { npm_config_nodedir: '/usr' }),
};

const failures = [];
const fail = (pkg, msg) => failures.push(`${pkg}: ${msg}`);
const log = (msg) => process.stderr.write(`${msg}\n`);

function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error && r.error.code !== 'ETIMEDOUT') throw r.error;
  return r;
}

/** Every exports-map target (strings at the leaves), with the condition path that leads to it. */
function exportTargets(exp, path = []) {
  if (typeof exp === 'string') return [{ path: path.join('.'), target: exp }];
  if (exp === null || typeof exp !== 'object') return [];
  return Object.entries(exp).flatMap(([k, v]) => exportTargets(v, [...path, k]));
}

// ---------------------------------------------------------------- manifests
const packages = readdirSync(join(root, 'packages'))
  .map((d) => join(root, 'packages', d))
  .filter((d) => existsSync(join(d, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.manifest.private);

const REQUIRED = ['name', 'version', 'description', 'license', 'type', 'main', 'module', 'types', 'exports', 'files', 'engines'];
for (const { dir, manifest: m } of packages) {
  for (const field of REQUIRED) if (m[field] === undefined) fail(m.name, `package.json is missing "${field}"`);
  if (m.type !== 'module') fail(m.name, 'package.json "type" must be "module" (ESM first)');
  if (m.engines && !m.engines.node) fail(m.name, 'package.json "engines.node" is missing');
  if (!existsSync(join(dir, 'README.md'))) fail(m.name, 'README.md is missing');
  if (!existsSync(join(dir, 'LICENSE'))) fail(m.name, 'LICENSE is missing');
  const exp = m.exports ?? {};
  if (!exp['.']) fail(m.name, 'exports has no "." entry');
  for (const [sub, entry] of Object.entries(exp)) {
    if (sub === './package.json') continue;
    for (const cond of ['import', 'require']) {
      if (!entry?.[cond]?.types || !entry?.[cond]?.default) fail(m.name, `exports["${sub}"].${cond} needs "types" and "default"`);
    }
  }
}

// ---------------------------------------------------------------- pack
const work = mkdtempSync(join(tmpdir(), 'llm-release-'));
const tarDir = join(work, 'tarballs');
mkdirSync(tarDir);
const packed = new Map(); // name → tarball path
for (const { dir, manifest: m } of packages) {
  const r = sh(pnpmBin, ['pack', '--pack-destination', tarDir, '--json'], { cwd: dir });
  if (r.status !== 0) { fail(m.name, `pnpm pack failed: ${r.stderr.trim().split('\n').pop()}`); continue; }
  const tgz = readdirSync(tarDir).find((f) => f.startsWith(m.name.replace('@', '').replace('/', '-') + '-') && f.endsWith('.tgz'));
  if (!tgz) { fail(m.name, 'pnpm pack wrote no tarball'); continue; }
  const file = join(tarDir, tgz);
  packed.set(m.name, file);
  const list = sh('tar', ['-tzf', file]).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  const files = new Set(list);
  for (const need of ['package.json', 'README.md', 'LICENSE']) if (!files.has(need)) fail(m.name, `tarball lacks ${need}`);
  for (const { path, target } of exportTargets(m.exports)) {
    const rel = target.replace(/^\.\//, '');
    if (!files.has(rel)) fail(m.name, `exports ${path} → ${target} is not in the tarball`);
  }
  for (const f of list) {
    if (/(^|\/)(test|tests|__tests__)\//.test(f) || /\.test\.[cm]?[jt]s$/.test(f)) fail(m.name, `tarball ships a test file: ${f}`);
    if (/\.vitest-result\.json$|\.tsbuildinfo$|(^|\/)node_modules\//.test(f)) fail(m.name, `tarball ships a build leftover: ${f}`);
    if (/^src\//.test(f)) fail(m.name, `tarball ships TypeScript sources: ${f}`);
  }
  const inner = JSON.parse(sh('tar', ['-xzOf', file, 'package/package.json']).stdout);
  for (const kind of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, spec] of Object.entries(inner[kind] ?? {})) {
      if (String(spec).startsWith('workspace:')) fail(m.name, `packed ${kind}.${dep} still says ${spec}`);
    }
  }
  if (inner.devDependencies && Object.values(inner.devDependencies).some((s) => String(s).startsWith('workspace:'))) {
    fail(m.name, 'packed devDependencies keep a workspace: protocol');
  }
  const size = readFileSync(file).length;
  log(`packed ${m.name}@${m.version}: ${list.length} files, ${(size / 1024).toFixed(0)} KiB`);
}

// ---------------------------------------------------------------- publish dry run
if (publishDryRun) {
  for (const { dir, manifest: m } of packages) {
    const r = sh(pnpmBin, ['publish', '--dry-run', '--no-git-checks', '--access', 'public'], { cwd: dir });
    if (r.status !== 0) fail(m.name, `pnpm publish --dry-run failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    else log(`publish --dry-run ${m.name}: ok`);
  }
}

// ---------------------------------------------------------------- consumer project
/** The first ```ts block of a README: the package's headline snippet. */
function firstSnippet(readme) {
  const m = /```(?:ts|typescript)\n([\s\S]*?)```/.exec(readme);
  return m ? m[1] : null;
}

if (consumer && failures.length === 0) {
  const app = join(work, 'app');
  mkdirSync(join(app, 'snippets'), { recursive: true });
  const rootWs = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  // Keep the workspace's build policy (only the `  key: value` lines of a top-level section).
  const keepSection = (name) => {
    const lines = rootWs.split('\n');
    const start = lines.indexOf(`${name}:`);
    if (start < 0) return '';
    const body = [];
    for (const line of lines.slice(start + 1)) {
      if (/^\S/.test(line)) break;
      if (/^\s+[^\s#]/.test(line)) body.push(line);
    }
    return `${name}:\n${body.join('\n')}\n`;
  };
  const overrides = [...packed].map(([n, f]) => `  "${n}": "file:${f}"`).join('\n');
  // @llm/core compiles its native kernel pack at install: a consumer on pnpm 10+ must allow it.
  const coreTgz = packed.get('@llm/core');
  const allowCore = coreTgz ? `  "@llm/core": true\n  "@llm/core@file:../tarballs/${coreTgz.split('/').pop()}": true\n` : '';
  writeFileSync(join(app, 'pnpm-workspace.yaml'),
    `${keepSection('allowBuilds')}${allowCore}\nautoInstallPeers: false\nstrictPeerDependencies: false\n${keepSection('ignoredOptionalDependencies')}\noverrides:\n${overrides}\n`);
  writeFileSync(join(app, '.npmrc'), 'nodedir=/usr\nonnxruntime-node-install=skip\n');
  const rootDevDeps = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies;
  const serveManifest = JSON.parse(readFileSync(join(root, 'packages/serve/package.json'), 'utf8'));
  const openaiSpec = serveManifest.devDependencies?.openai ?? serveManifest.dependencies?.openai;
  writeFileSync(join(app, 'package.json'), JSON.stringify({
    name: 'llm-consumer', private: true, type: 'module',
    dependencies: Object.fromEntries([...packed].map(([n, f]) => [n, `file:${f}`])),
    devDependencies: { typescript: rootDevDeps.typescript, '@types/node': rootDevDeps['@types/node'], ...(openaiSpec ? { openai: openaiSpec } : {}) },
  }, null, 2));
  log(`consumer: installing ${packed.size} tarballs offline in ${app}`);
  const inst = sh(pnpmBin, ['install', '--offline', '--reporter=append-only'], { cwd: app });
  if (inst.status !== 0) {
    fail('consumer', `pnpm install --offline failed:\n${(inst.stdout + inst.stderr).trim().split('\n').slice(-15).join('\n')}`);
  } else {
    for (const dir of ['data', 'fixtures']) symlinkSync(join(root, dir), join(app, dir), 'dir');
    const snippets = [];
    for (const { dir, manifest: m } of packages) {
      const code = firstSnippet(readFileSync(join(dir, 'README.md'), 'utf8'));
      if (!code) { fail(m.name, 'README has no ```ts snippet'); continue; }
      const file = `${m.name.split('/')[1]}.ts`;
      // Snippets write to /tmp and relative paths: give each its own scratch folder name.
      writeFileSync(join(app, 'snippets', file), `// From ${m.name}'s README.md\nexport {};\n${code}`);
      snippets.push({ name: m.name, file });
    }
    const cjs = [...packed.keys()].flatMap((n) => {
      const m = packages.find((p) => p.manifest.name === n).manifest;
      return Object.keys(m.exports).filter((s) => s !== './package.json').map((s) => (s === '.' ? n : `${n}/${s.slice(2)}`));
    });
    writeFileSync(join(app, 'require-all.cjs'),
      `const ids = ${JSON.stringify(cjs)};\nfor (const id of ids) { const m = require(id); if (!m || Object.keys(m).length === 0) throw new Error(id + ' exports nothing under require()'); }\nconsole.log('require() ok: ' + ids.length + ' entry points');\n`);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, // tfjs's own .d.ts files fail under strict TS 6
       
        outDir: 'out', rootDir: 'snippets', types: ['node'], noEmitOnError: true },
      include: ['snippets/*.ts'],
    }, null, 2));
    const tsc = sh(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app });
    if (tsc.status !== 0) fail('consumer', `tsc failed on the README snippets:\n${tsc.stdout.trim().split('\n').slice(0, 30).join('\n')}`);
    else log(`consumer: ${snippets.length} README snippets type-check against the packed .d.ts files`);
    const req = sh(process.execPath, ['require-all.cjs'], { cwd: app });
    if (req.status !== 0) fail('consumer', `CJS entry points: ${req.stderr.trim().split('\n').slice(0, 6).join(' | ')}`);
    else log(`consumer: ${req.stdout.trim()}`);
    if (tsc.status === 0) {
      for (const s of snippets) {
        const t0 = Date.now();
        // Snippets use paths relative to the repository (bundled data, fixtures): run them in the
        // scratch project with those two folders linked in, so whatever they write stays there.
        const r = sh(process.execPath, [join(app, 'out', s.file.replace(/\.ts$/, '.js'))], { cwd: app, env: { ...env, CI: '1', LLM_DATA_DIR: join(root, 'data') }, timeout: 600_000 });
        if (r.status !== 0) fail(s.name, `README snippet ${r.error ? 'timed out after 600 s' : `exited ${r.status ?? r.signal}`}:\n${(r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n')}`);
        else log(`consumer: ${s.name} README snippet ran (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
  }
}

if (!keep) rmSync(work, { recursive: true, force: true });
else log(`kept ${work}`);
if (failures.length) {
  console.error(`\nrelease check: ${failures.length} problem(s)\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(`release check: ${packages.length} packages ok${consumer ? ' (consumer project included)' : ''}${publishDryRun ? ' (publish dry run included)' : ''}`);
