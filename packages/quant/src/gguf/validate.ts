/**
 * Checks that a parsed GGUF carries what llama.cpp's loader needs for its architecture, so a
 * malformed file is a {@link FormatError} here instead of an abort inside node-llama-cpp (which
 * kills the process on, e.g., a missing `feed_forward_length` or `head_count`).
 */
import { FormatError } from '@llm/core';
import type { GGUFHeader } from './reader.js';
import type { GGUFValue } from './types.js';

/** Architectures whose hyperparameters and tensors are checked in full. */
export const VALIDATED_ARCHITECTURES = ['llama', 'gpt2'] as const;

/** What {@link validateForLlamaCpp} found. */
export interface LlamaCppCheck {
  architecture: string;
  vocabSize: number;
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  contextLength: number;
  feedForwardLength: number;
  tokenizerModel: string;
}

const INT_KINDS = new Set(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64']);

function fail(h: GGUFHeader, file: string | undefined, message: string, field?: string, offset?: number): never {
  void h;
  throw new FormatError('gguf', message, { file, field, offset });
}

function getInt(h: GGUFHeader, file: string | undefined, key: string, required: true): number;
function getInt(h: GGUFHeader, file: string | undefined, key: string, required: false): number | undefined;
function getInt(h: GGUFHeader, file: string | undefined, key: string, required: boolean): number | undefined {
  const v = h.metadata.get(key);
  if (v === undefined) { if (required) fail(h, file, `missing metadata key '${key}' (llama.cpp requires it)`, key); return undefined; }
  if (!INT_KINDS.has(v.kind)) fail(h, file, `metadata '${key}' must be an integer, got ${v.kind}`, key);
  const n = Number((v as { value: number | bigint }).value);
  if (!(n > 0)) fail(h, file, `metadata '${key}' must be positive, got ${n}`, key);
  return n;
}

function getFloat(h: GGUFHeader, file: string | undefined, key: string): number {
  const v = h.metadata.get(key);
  if (v === undefined) fail(h, file, `missing metadata key '${key}' (llama.cpp requires it)`, key);
  if (v.kind !== 'float32' && v.kind !== 'float64') fail(h, file, `metadata '${key}' must be a float32, got ${v.kind}`, key);
  if (!Number.isFinite(v.value) || v.value <= 0) fail(h, file, `metadata '${key}' must be a positive number, got ${v.value}`, key);
  return v.value;
}

function arrayLen(v: GGUFValue | undefined): number {
  return v && v.kind === 'array' ? v.values.length : -1;
}

/**
 * Validate architecture hyperparameters, tokenizer metadata and (for `llama`/`gpt2`) every
 * tensor's presence, type and shape. Throws a {@link FormatError} naming the key or tensor.
 */
export function validateForLlamaCpp(h: GGUFHeader, file?: string): LlamaCppCheck {
  const archV = h.metadata.get('general.architecture');
  if (!archV) fail(h, file, "missing metadata key 'general.architecture'", 'general.architecture');
  if (archV.kind !== 'string') fail(h, file, "'general.architecture' must be a string", 'general.architecture');
  const arch = archV.value;
  const k = (s: string) => `${arch}.${s}`;
  const contextLength = getInt(h, file, k('context_length'), true);
  const embeddingLength = getInt(h, file, k('embedding_length'), true);
  const blockCount = getInt(h, file, k('block_count'), true);
  const feedForwardLength = getInt(h, file, k('feed_forward_length'), true);
  const headCount = getInt(h, file, k('attention.head_count'), true);
  const headCountKv = getInt(h, file, k('attention.head_count_kv'), false) ?? headCount;
  if (embeddingLength % headCount !== 0) fail(h, file, `${k('embedding_length')} ${embeddingLength} is not divisible by ${k('attention.head_count')} ${headCount}`, k('attention.head_count'));
  if (headCount % headCountKv !== 0) fail(h, file, `${k('attention.head_count')} ${headCount} is not a multiple of head_count_kv ${headCountKv}`, k('attention.head_count_kv'));
  if (arch === 'llama') {
    getFloat(h, file, k('attention.layer_norm_rms_epsilon'));
    const rd = getInt(h, file, k('rope.dimension_count'), false);
    if (rd !== undefined && (rd > embeddingLength / headCount || rd % 2 !== 0)) fail(h, file, `${k('rope.dimension_count')} ${rd} must be even and at most the head size ${embeddingLength / headCount}`, k('rope.dimension_count'));
  } else if (arch === 'gpt2') {
    getFloat(h, file, k('attention.layer_norm_epsilon'));
  }
  // Tokenizer.
  const modelV = h.metadata.get('tokenizer.ggml.model');
  if (!modelV || modelV.kind !== 'string') fail(h, file, "missing string metadata 'tokenizer.ggml.model'", 'tokenizer.ggml.model');
  const tokens = h.metadata.get('tokenizer.ggml.tokens');
  if (!tokens || tokens.kind !== 'array' || tokens.itemKind !== 'string') fail(h, file, "missing string array 'tokenizer.ggml.tokens'", 'tokenizer.ggml.tokens');
  const vocabSize = tokens.values.length;
  if (vocabSize === 0) fail(h, file, "'tokenizer.ggml.tokens' is empty", 'tokenizer.ggml.tokens');
  for (const key of ['tokenizer.ggml.scores', 'tokenizer.ggml.token_type']) {
    const n = arrayLen(h.metadata.get(key));
    if (n !== -1 && n !== vocabSize) fail(h, file, `'${key}' has ${n} entries, tokenizer.ggml.tokens has ${vocabSize}`, key);
  }
  if (modelV.value === 'llama' && arrayLen(h.metadata.get('tokenizer.ggml.scores')) === -1) fail(h, file, "an SPM ('llama') vocab needs 'tokenizer.ggml.scores'", 'tokenizer.ggml.scores');
  if (modelV.value === 'gpt2' && arrayLen(h.metadata.get('tokenizer.ggml.merges')) === -1) fail(h, file, "a BPE ('gpt2') vocab needs 'tokenizer.ggml.merges'", 'tokenizer.ggml.merges');
  for (const key of ['bos', 'eos', 'unknown', 'padding', 'seperator'].map((s) => `tokenizer.ggml.${s}_token_id`)) {
    const v = h.metadata.get(key);
    if (!v) continue;
    if (!INT_KINDS.has(v.kind)) fail(h, file, `'${key}' must be an integer`, key);
    const id = Number((v as { value: number | bigint }).value);
    if (id < 0 || id >= vocabSize) fail(h, file, `'${key}' = ${id} is outside the vocabulary (${vocabSize} tokens)`, key);
  }
  // Tensors.
  const byName = new Map(h.tensors.map((t) => [t.name, t]));
  const expect = (name: string, dims: number[], optional = false) => {
    const t = byName.get(name);
    if (!t) { if (optional) return; fail(h, file, `missing tensor '${name}' (llama.cpp's ${arch} loader requires it)`, name); }
    if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) fail(h, file, `tensor '${name}' has dims [${t.dims.join(', ')}], expected [${dims.join(', ')}]`, name, t.infoOffset);
  };
  const E = embeddingLength, F = feedForwardLength, Ekv = (E / headCount) * headCountKv;
  if (arch === 'llama' || arch === 'gpt2') {
    expect('token_embd.weight', [E, vocabSize]);
    expect('output_norm.weight', [E]);
    expect('output.weight', [E, vocabSize], true);
    for (let i = 0; i < blockCount; i++) {
      const b = `blk.${i}`;
      expect(`${b}.attn_norm.weight`, [E]);
      if (arch === 'llama') {
        expect(`${b}.attn_q.weight`, [E, E]);
        expect(`${b}.attn_k.weight`, [E, Ekv]);
        expect(`${b}.attn_v.weight`, [E, Ekv]);
        expect(`${b}.attn_output.weight`, [E, E]);
        expect(`${b}.ffn_norm.weight`, [E]);
        expect(`${b}.ffn_gate.weight`, [E, F]);
        expect(`${b}.ffn_up.weight`, [E, F]);
        expect(`${b}.ffn_down.weight`, [F, E]);
      } else {
        expect(`${b}.attn_qkv.weight`, [E, 3 * E]);
        expect(`${b}.attn_output.weight`, [E, E]);
        expect(`${b}.ffn_norm.weight`, [E]);
        expect(`${b}.ffn_up.weight`, [E, F]);
        expect(`${b}.ffn_down.weight`, [F, E]);
      }
    }
    if (arch === 'gpt2') expect('position_embd.weight', [E, contextLength]);
  }
  return { architecture: arch, vocabSize, embeddingLength, blockCount, headCount, headCountKv, contextLength, feedForwardLength, tokenizerModel: modelV.value };
}
