#!/usr/bin/env node
// Extract the chat-template test cases of llama.cpp (tests/test-chat-template.cpp: a template,
// the conversation every case renders, and llama.cpp's expected output of its Jinja engine) from
// the llama.cpp source bundled in node-llama-cpp (llama/gitRelease.bundle), plus the model
// templates of models/templates/*.jinja, into packages/transformer/fixtures/chat-templates/.
// llama.cpp is MIT-licensed (Copyright (c) 2023-2026 The ggml authors); the fixture is test data
// taken from it with that attribution.
//
//   node tools/golden/transformer/llama-cpp-chat-templates.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = join(dirname(new URL(import.meta.url).pathname), '..', '..', '..');
// node-llama-cpp is a dependency of @llm/quant and @llm/tokenize (its exports map hides package.json).
const pkgDir = ['quant', 'tokenize'].map((p) => join(root, 'packages', p, 'node_modules', 'node-llama-cpp')).find((d) => existsSync(join(d, 'llama', 'gitRelease.bundle')));
if (!pkgDir) throw new Error('node-llama-cpp is not installed under packages/quant or packages/tokenize: run pnpm install');
const bundle = join(pkgDir, 'llama', 'gitRelease.bundle');
const info = JSON.parse(readFileSync(join(pkgDir, 'llama', 'llama.cpp.info.json'), 'utf8'));
const nlcVersion = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
const tmp = mkdtempSync(join(tmpdir(), 'lcpp-'));
try {
  execFileSync('git', ['clone', '--quiet', '--no-checkout', bundle, tmp], { stdio: 'inherit' });
  const git = (...a) => execFileSync('git', ['-C', tmp, ...a], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const commit = git('rev-parse', 'HEAD').trim();
  const src = git('show', 'HEAD:tests/test-chat-template.cpp');

  // The standard conversation.
  const convStart = src.indexOf('std::vector<llama_chat_message> conversation {');
  const conversation = [...src.slice(convStart, src.indexOf('};', convStart)).matchAll(/\{"(\w+)",\s*"((?:[^"\\]|\\.)*)"\}/g)].map((m) => ({ role: m[1], content: unescape(m[2]) }));

  // Tokenise the test_cases initialiser: strings (with U8C(...) / u8 wrappers), booleans, braces.
  const start = src.indexOf('std::vector<TestCase> test_cases {');
  const body = src.slice(src.indexOf('{', start) + 1);
  const tokens = [];
  let depth = 0;
  for (let i = 0; i < body.length && depth >= 0;) {
    const c = body[i];
    if (body.startsWith('/*', i)) { i = body.indexOf('*/', i) + 2; continue; }
    if (body.startsWith('//', i)) { i = body.indexOf('\n', i); continue; }
    if (c === '"') {
      let j = i + 1;
      while (body[j] !== '"') j += body[j] === '\\' ? 2 : 1;
      const s = unescape(body.slice(i + 1, j));
      const last = tokens[tokens.length - 1];
      if (last?.t === 'str' && last.open) last.v += s; else tokens.push({ t: 'str', v: s, open: true });
      i = j + 1;
      continue;
    }
    if (c === '{') { depth++; tokens.push({ t: '{' }); i++; continue; }
    if (c === '}') { depth--; if (depth >= 0) tokens.push({ t: '}' }); i++; continue; }
    if (c === ',') { const last = tokens[tokens.length - 1]; if (last) last.open = false; i++; continue; }
    const w = /^(true|false)\b/.exec(body.slice(i, i + 6));
    if (w) { tokens.push({ t: 'bool', v: w[1] === 'true' }); i += w[1].length; continue; }
    i++;
  }
  // Parse: { str, str, str, str, [str, str, [bool, [{ {str,str}, ... }]]] }
  const cases = [];
  let k = 0;
  const expect = (t) => { if (tokens[k]?.t !== t) throw new Error(`expected ${t} at token ${k}, got ${JSON.stringify(tokens[k])}`); return tokens[k++]; };
  while (k < tokens.length) {
    expect('{');
    const f = [];
    let supported = true;
    const extra = [];
    while (tokens[k].t !== '}') {
      const tk = tokens[k];
      if (tk.t === 'str') { f.push(tk.v); k++; }
      else if (tk.t === 'bool') { supported = tk.v; k++; }
      else if (tk.t === '{') {
        k++;
        while (tokens[k].t === '{') { k++; const role = expect('str').v; const content = expect('str').v; expect('}'); extra.push({ role, content }); }
        expect('}');
      } else throw new Error(`unexpected ${JSON.stringify(tk)}`);
    }
    k++;
    const [name, template, expectedLegacy, expectedJinja, bos = '', eos = ''] = f;
    cases.push({ name, template, bosToken: bos, eosToken: eos, supportedWithJinja: supported, extraConversation: extra, expected: expectedJinja || expectedLegacy, expectedLegacy });
  }

  // The model templates (no expected output in llama.cpp's tests for the plain conversation).
  const names = git('ls-tree', '--name-only', 'HEAD', 'models/templates/').split('\n').filter((n) => n.endsWith('.jinja'));
  const modelTemplates = names.map((n) => ({ file: n.replace(/^models\/templates\//, ''), template: git('show', `HEAD:${n}`) }));

  const out = join(root, 'packages', 'transformer', 'fixtures', 'chat-templates');
  mkdirSync(out, { recursive: true });
  const meta = {
    source: `llama.cpp ${info.tag} (${info.llamaCppGithubRepo} ${commit}) as bundled in node-llama-cpp ${nlcVersion} (llama/gitRelease.bundle)`,
    license: 'MIT, Copyright (c) 2023-2026 The ggml authors',
    files: ['tests/test-chat-template.cpp (test_cases, conversation)', 'models/templates/*.jinja'],
  };
  writeFileSync(join(out, 'llama-cpp-test-cases.json'), JSON.stringify({ ...meta, conversation, cases }, null, 1) + '\n');
  writeFileSync(join(out, 'llama-cpp-model-templates.json.gz'), gzipSync(JSON.stringify({ ...meta, templates: modelTemplates }) + '\n', { level: 9 }));
  console.log(`${cases.length} test cases (${cases.filter((c) => c.supportedWithJinja).length} with Jinja), ${modelTemplates.length} model templates → ${out}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

function unescape(s) {
  return s.replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', "'": "'" })[c] ?? `\\${c}`);
}
