/**
 * An exported GPT-2 folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx)
 * run offline by transformers.js `pipeline('text-generation')` gives our greedy continuation.
 * The tokenizer.json is a byte-level BPE with one token per byte-level character (no merges),
 * which tokenizes printable ASCII exactly like the test's CharTokenizer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@llm/core';
import { Gpt2, TransformerLanguageModel, exportOnnx, loadPretrained } from '../src/index.js';
import { FIXTURES } from './helpers.js';
import { CharTokenizer } from './toy-tokenizer.js';

beforeAll(async () => { await initBackend(); });

/** Byte-level alphabet character for a byte (GPT-2's bytes_to_unicode) — only printable ASCII needed here. */
const byteChar = (b: number) => (b === 32 ? '\u0120' : String.fromCharCode(b));

function writeToyTokenizer(dir: string): void {
  const vocab: Record<string, number> = {};
  for (let i = 0; i < 95; i++) vocab[byteChar(32 + i)] = i;
  vocab['<|endoftext|>'] = 95;
  const tokenizer = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [{ id: 95, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'GPT2Tokenizer', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', model_max_length: 32, add_prefix_space: false }));
}

describe('transformers.js runs our export offline', () => {
  // transformers.js drives decoder-only models through their KV-cache inputs, so the export it runs is the cached one.
  for (const kvCache of [true]) {
    it(`pipeline('text-generation') greedy = ours (KV-cache export)`, async () => {
      const m = (await loadPretrained(join(FIXTURES, 'gpt2'))) as Gpt2;
      const root = mkdtempSync(join(tmpdir(), 'tr-tjs-'));
      const dir = join(root, 'tiny-gpt2');
      await exportOnnx(m, dir, { kvCache });
      writeToyTokenizer(dir);
      const prompt = 'Hello wor';
      const ours = await new TransformerLanguageModel(m, new CharTokenizer(96)).generate(prompt, { maxTokens: 8, temperature: 0 });

      const tjs = await import('@huggingface/transformers');
      tjs.env.allowRemoteModels = false;
      tjs.env.allowLocalModels = true;
      tjs.env.localModelPath = root;
      tjs.env.useFSCache = false;
      const generator = await tjs.pipeline('text-generation', 'tiny-gpt2', { dtype: 'fp32', device: 'cpu' });
      const out = (await generator(prompt, { max_new_tokens: 8, do_sample: false, return_full_text: false })) as Array<{ generated_text: string }>;
      expect(out[0]!.generated_text).toBe(ours.text);
      expect(ours.text.length).toBeGreaterThan(0);
      await generator.dispose();
      m.dispose();
    });
  }
});
