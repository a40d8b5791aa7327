/**
 * A tiny LLaMA-architecture checkpoint in HF layout (config.json, model.safetensors,
 * tokenizer.json), made from seeded random weights, for tests, the tour and examples: no model
 * hub is reachable, and this is the smallest honest input for the HF → GGUF → llama.cpp path.
 */
import { join } from 'node:path';
import { Rng, writeJsonAtomic, writeSafetensors, type SafeTensor } from '@llm/core';
import type { HfLlamaConfig } from '../convert/hf-llama.js';
import type { LlamaWeights } from './llama-ref.js';

/** Shape of the tiny model. */
export interface TinyLlamaOptions {
  seed?: number;
  hiddenSize?: number;
  intermediateSize?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  contextLength?: number;
  /** Tie lm_head to the embeddings (no lm_head.weight). Default false. */
  tied?: boolean;
}

const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:!?\'"-';
const MERGES = ['▁ t', 'h e', '▁t he', 'i n', '▁ a', 'e r', 'o n', '▁ s', 'r e', 'a n', '▁ w', 'e d', 'n d', '▁a nd', 'o u', '▁ o', '▁o f', 'i s', '▁ h', '▁ b', 'e n', 'in g', '▁ m', '▁ c', 'a t', '▁h e', 'a s', 'o r', '▁w as', '▁ i'];

/** The tiny model's SentencePiece-style BPE vocabulary as an HF tokenizer.json object. */
export function tinyTokenizerJson(): { json: Record<string, unknown>; vocabSize: number } {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  let id = 3;
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = id++;
  vocab['▁'] = id++;
  for (const c of CHARS) vocab[c] = id++;
  for (const m of MERGES) vocab[m.replace(' ', '')] = id++;
  const json = {
    version: '1.0',
    added_tokens: [
      { id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges: MERGES },
  };
  return { json, vocabSize: id };
}

/** Config and weights of the tiny model, in memory. */
export function makeTinyLlama(options: TinyLlamaOptions = {}): { config: HfLlamaConfig; weights: LlamaWeights } {
  const rng = new Rng(options.seed ?? 7);
  const E = options.hiddenSize ?? 256, F = options.intermediateSize ?? 512, L = options.layers ?? 2;
  const H = options.heads ?? 4, KV = options.kvHeads ?? 2;
  const { vocabSize } = tinyTokenizerJson();
  const config: HfLlamaConfig = {
    hidden_size: E, intermediate_size: F, num_hidden_layers: L, num_attention_heads: H, num_key_value_heads: KV,
    rms_norm_eps: 1e-5, max_position_embeddings: options.contextLength ?? 256, rope_theta: 10000, vocab_size: vocabSize,
    tie_word_embeddings: options.tied ?? false,
  };
  const weights: LlamaWeights = new Map();
  const mat = (name: string, rows: number, cols: number, std: number) => {
    const r = rng.split(name);
    const a = new Float32Array(rows * cols);
    for (let i = 0; i < a.length; i++) a[i] = r.normal(0, std);
    weights.set(name, a);
  };
  const norm = (name: string, n: number) => {
    const r = rng.split(name);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = 1 + r.normal(0, 0.1);
    weights.set(name, a);
  };
  const hd = E / H;
  mat('model.embed_tokens.weight', vocabSize, E, 1);
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    norm(`${p}input_layernorm.weight`, E);
    norm(`${p}post_attention_layernorm.weight`, E);
    mat(`${p}self_attn.q_proj.weight`, E, E, 1.5 / Math.sqrt(E));
    mat(`${p}self_attn.k_proj.weight`, KV * hd, E, 1.5 / Math.sqrt(E));
    mat(`${p}self_attn.v_proj.weight`, KV * hd, E, 1 / Math.sqrt(E));
    mat(`${p}self_attn.o_proj.weight`, E, E, 1 / Math.sqrt(E));
    mat(`${p}mlp.gate_proj.weight`, F, E, 1 / Math.sqrt(E));
    mat(`${p}mlp.up_proj.weight`, F, E, 1 / Math.sqrt(E));
    mat(`${p}mlp.down_proj.weight`, E, F, 1 / Math.sqrt(F));
  }
  norm('model.norm.weight', E);
  if (!config.tie_word_embeddings) mat('lm_head.weight', vocabSize, E, 2 / Math.sqrt(E));
  return { config, weights };
}

/** Write the tiny model as an HF folder; returns its config and weights. */
export async function writeTinyLlama(dir: string, options: TinyLlamaOptions = {}): Promise<{ config: HfLlamaConfig; weights: LlamaWeights }> {
  const m = makeTinyLlama(options);
  const tensors: Record<string, SafeTensor> = {};
  const shapes: Record<string, number[]> = {};
  const { config: c } = m;
  const E = c.hidden_size, KVd = (c.num_key_value_heads ?? c.num_attention_heads) * (E / c.num_attention_heads);
  for (const [name, data] of m.weights) {
    let shape: number[];
    if (name.endsWith('norm.weight')) shape = [data.length];
    else if (/k_proj|v_proj/.test(name)) shape = [KVd, E];
    else if (/gate_proj|up_proj/.test(name)) shape = [c.intermediate_size, E];
    else if (/down_proj/.test(name)) shape = [E, c.intermediate_size];
    else if (/embed_tokens|lm_head/.test(name)) shape = [c.vocab_size, E];
    else shape = [E, E];
    shapes[name] = shape;
    tensors[name] = { dtype: 'F32', shape, data };
  }
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  await writeJsonAtomic(join(dir, 'config.json'), { architectures: ['LlamaForCausalLM'], model_type: 'llama', torch_dtype: 'float32', hidden_act: 'silu', bos_token_id: 1, eos_token_id: 2, ...c });
  await writeJsonAtomic(join(dir, 'tokenizer.json'), tinyTokenizerJson().json);
  await writeJsonAtomic(join(dir, 'tokenizer_config.json'), { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', chat_template: "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}" });
  return m;
}
