import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { parseGguf } from '@llm/core';
import { describe, expect, it } from 'vitest';
import { tokenizerFromGguf } from '../src/index.js';

// llama.cpp's tokenizer tests (MIT, the ggml authors), extracted by tools/golden/tokenize/extract-llama-vocab.mjs.
const dir = join(__dirname, '..', 'fixtures', 'llama-vocab');

function cases(name: string): Array<{ text: string; ids: number[] }> {
  const inp = readFileSync(join(dir, `ggml-vocab-${name}.gguf.inp`), 'utf8').split('\n__ggml_vocab_test__\n');
  const out = readFileSync(join(dir, `ggml-vocab-${name}.gguf.out`), 'utf8').split('\n');
  // The .inp file ends with a separator line; drop the empty tail.
  if (inp[inp.length - 1] === '' || inp[inp.length - 1] === '\n') inp.pop();
  return inp.map((text, i) => ({ text, ids: out[i]!.trim() === '' ? [] : out[i]!.trim().split(/\s+/).map(Number) }));
}

describe.each(['gpt-2', 'bert-bge', 'llama-bpe', 'qwen2'])('llama.cpp vocab %s', (name) => {
  const gguf = parseGguf(brotliDecompressSync(readFileSync(join(dir, `ggml-vocab-${name}.gguf.br`))), { file: name });
  const tok = tokenizerFromGguf(gguf);
  const all = cases(name);

  it('has the expected number of cases', () => {
    expect(all.length).toBeGreaterThan(30);
  });

  it('encodes every case to llama.cpp ids', () => {
    const bad: string[] = [];
    for (const c of all) {
      const got = tok.encode(c.text, undefined, { addSpecialTokens: false }).ids;
      if (JSON.stringify(got) !== JSON.stringify(c.ids)) bad.push(`${JSON.stringify(c.text)}\n  got ${got.join(' ')}\n  exp ${c.ids.join(' ')}`);
    }
    expect(bad.join('\n')).toBe('');
  });
});
