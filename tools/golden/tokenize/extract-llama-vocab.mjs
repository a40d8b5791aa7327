#!/usr/bin/env node
// Extract llama.cpp's tokenizer test vocabularies and cases (MIT, © the ggml authors) from the
// llama.cpp git bundle that ships inside node-llama-cpp, into packages/tokenize/fixtures/llama-vocab/.
// The GGUF vocabularies are stored brotli-compressed; the .inp/.out cases as they are.
// Run from the repository root after `pnpm install`:  node tools/golden/tokenize/extract-llama-vocab.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../../..');
// node-llama-cpp's exports map hides package.json: find the package folder under node_modules.
const pkgDir = join(root, 'packages/tokenize/node_modules/node-llama-cpp');
const bundle = join(pkgDir, 'llama', 'gitRelease.bundle');
const info = JSON.parse(readFileSync(join(pkgDir, 'llama', 'llama.cpp.info.json'), 'utf8'));
const nlcVersion = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
const out = join(root, 'packages/tokenize/fixtures/llama-vocab');
const vocabs = process.argv.slice(2).length ? process.argv.slice(2) : ['gpt-2', 'bert-bge', 'llama-bpe', 'qwen2'];

const tmp = mkdtempSync(join(tmpdir(), 'llama-bundle-'));
try {
  execFileSync('git', ['clone', '-q', '--no-checkout', bundle, join(tmp, 'repo')]);
  const git = (...args) => execFileSync('git', ['-C', join(tmp, 'repo'), ...args], { maxBuffer: 1 << 30 });
  const commit = git('rev-parse', 'HEAD').toString().trim();
  mkdirSync(out, { recursive: true });
  for (const v of vocabs) {
    const base = `models/ggml-vocab-${v}.gguf`;
    const gguf = git('show', `HEAD:${base}`);
    writeFileSync(join(out, `ggml-vocab-${v}.gguf.br`), brotliCompressSync(gguf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24 } }));
    writeFileSync(join(out, `ggml-vocab-${v}.gguf.inp`), git('show', `HEAD:${base}.inp`));
    writeFileSync(join(out, `ggml-vocab-${v}.gguf.out`), git('show', `HEAD:${base}.out`));
    console.log(`${v}: ${gguf.length} bytes`);
  }
  writeFileSync(join(out, 'LICENSE'), git('show', 'HEAD:LICENSE'));
  writeFileSync(join(out, 'SOURCE.md'), [
    '# llama.cpp tokenizer test vocabularies',
    '',
    `From llama.cpp (${info.llamaCppGithubRepo} ${info.tag}, commit ${commit}), \`models/ggml-vocab-*.gguf\` with their`,
    '`.inp` (inputs separated by `__ggml_vocab_test__` lines) and `.out` (expected ids, one line per input) cases,',
    `taken from the git bundle inside the npm package node-llama-cpp ${nlcVersion}. MIT licence, copyright the ggml authors (see LICENSE).`,
    'The GGUF files are stored brotli-compressed (`.gguf.br`). Regenerate with `node tools/golden/tokenize/extract-llama-vocab.mjs`.',
    '',
  ].join('\n'));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
