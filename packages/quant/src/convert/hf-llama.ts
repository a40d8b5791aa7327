/**
 * HF-layout LLaMA folder (`config.json` + `model.safetensors` (+ `tokenizer.json`)) → GGUF v3 that
 * llama.cpp loads: hyperparameters as `llama.*` keys, tokenizer as `tokenizer.ggml.*`, tensors
 * renamed to llama.cpp's names, Q/K rows un-permuted from HF's rotate-half RoPE layout to the
 * interleaved layout llama.cpp's `llama` architecture uses, and each matrix quantized per a type
 * policy (norms stay F32).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FormatError, NotFoundError, parseJson, readText, SafetensorsFile, throwIfAborted, toFloat32, createProgress } from '@llm/core';
import { GGMLType, ggmlTypeByName, type GGMLTypeName } from '../ggml/types.js';
import { isGGMLQuantType, quantizeGGML, type GGMLQuantType } from '../ggml/quants.js';
import { gv, type GGUFValue } from '../gguf/types.js';
import { writeGGUF, type GGUFTensorInput } from '../gguf/writer.js';
import { vocabFromHfFolder, vocabMetadata, type GGUFVocab } from './vocab.js';

/** The `config.json` fields the converter reads (HF `LlamaConfig`). */
export interface HfLlamaConfig {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  rms_norm_eps: number;
  max_position_embeddings: number;
  rope_theta?: number;
  vocab_size: number;
  tie_word_embeddings?: boolean;
}

/** Output types of {@link convertHfLlama}: a ggml type for every matrix, or a llama.cpp-like mix. */
export type ConvertType = 'F32' | 'F16' | 'BF16' | 'Q8_0' | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K' | 'Q4_K_M';
/** Every {@link ConvertType}. */
export const CONVERT_TYPES: readonly ConvertType[] = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q4_K_M'];

/** `general.file_type` values (llama.cpp `llama_ftype`). */
const FILE_TYPE: Record<ConvertType, number> = { F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q2_K: 10, Q3_K: 12, Q4_K: 14, Q4_K_M: 15, Q5_K: 16, Q6_K: 18, BF16: 32 };

/** Options for {@link convertHfLlama}. */
export interface ConvertOptions {
  type: ConvertType;
  /** Vocabulary to embed; default: read `tokenizer.json` from the folder. */
  vocab?: GGUFVocab;
  /** `general.name`. */
  name?: string;
  signal?: AbortSignal;
}

/** What {@link convertHfLlama} wrote. */
export interface ConvertReport {
  out: string;
  tensors: { name: string; type: GGMLTypeName; dims: number[]; bytes: number }[];
  bytes: number;
  parameters: number;
  bitsPerWeight: number;
}

/** Read and check `config.json`. */
export async function readHfLlamaConfig(dir: string): Promise<HfLlamaConfig> {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new NotFoundError(`no config.json in ${dir}`, { file });
  const c = parseJson(await readText(file), { file }) as Record<string, unknown>;
  for (const k of ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'max_position_embeddings', 'vocab_size']) {
    if (!Number.isSafeInteger(c[k]) || (c[k] as number) <= 0) throw new ConfigError(`config.json: '${k}' must be a positive integer`, { file, field: k });
  }
  if (typeof c.rms_norm_eps !== 'number' || c.rms_norm_eps <= 0) throw new ConfigError("config.json: 'rms_norm_eps' must be a positive number", { file, field: 'rms_norm_eps' });
  const cfg = c as unknown as HfLlamaConfig;
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) throw new ConfigError('config.json: hidden_size is not divisible by num_attention_heads', { file, field: 'num_attention_heads' });
  const kv = cfg.num_key_value_heads ?? cfg.num_attention_heads;
  if (cfg.num_attention_heads % kv !== 0) throw new ConfigError('config.json: num_attention_heads is not a multiple of num_key_value_heads', { file, field: 'num_key_value_heads' });
  return cfg;
}

/**
 * Undo HF's Q/K row permutation: HF stores each head's rows as [first halves of the rotary pairs,
 * second halves]; llama.cpp's `llama` RoPE rotates adjacent pairs, so row (h, half j, i) moves to
 * (h, 2i + j). Same as convert_hf_to_gguf.py's `LlamaModel.permute`.
 */
export function unpermuteRope(w: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const hd = rows / heads;
  const half = hd / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const src = h * hd + j * half + i;
        const dst = h * hd + 2 * i + j;
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}

/** llama.cpp's `use_more_bits` layer rule for Q4_K_M's attn_v / ffn_down. */
function useMoreBits(i: number, n: number): boolean {
  // Integer division, as in llama.cpp's use_more_bits (llama-quant.cpp).
  const n8 = Math.floor(n / 8);
  return i < n8 || i >= Math.floor((7 * n) / 8) || (i - n8) % 3 === 2;
}

/** The ggml type a tensor gets under `type` (1-D tensors stay F32; k-quants fall back when rows don't split into 256-blocks). */
export function tensorTypeFor(type: ConvertType, ggufName: string, dims: readonly number[], nLayers: number): GGMLQuantType {
  if (dims.length === 1) return 'F32';
  let t: GGMLQuantType;
  if (type === 'Q4_K_M') {
    const m = /^blk\.(\d+)\.(attn_v|ffn_down)\.weight$/.exec(ggufName);
    if (ggufName === 'output.weight') t = 'Q6_K';
    else if (m && useMoreBits(Number(m[1]), nLayers)) t = 'Q6_K';
    else t = 'Q4_K';
  } else {
    t = type;
  }
  const bs = ggmlTypeByName(t).blockSize;
  if (dims[0]! % bs !== 0) {
    // Like llama.cpp (llama-quant.cpp): a row that does not split into 256-element super-blocks gets
    // Q6_K→Q8_0, Q5_K→Q5_1, Q4_K→Q5_0; Q2_K/Q3_K get IQ4_NL there, Q4_0 (same 4.5 bits) here; F16 if even 32 does not divide it.
    if (dims[0]! % 32 === 0) t = t === 'Q6_K' ? 'Q8_0' : t === 'Q5_K' ? 'Q5_1' : t === 'Q4_K' ? 'Q5_0' : t === 'Q3_K' || t === 'Q2_K' ? 'Q4_0' : 'Q8_0';
    else t = 'F16';
  }
  return t;
}

const HF_TO_GGUF: [RegExp, string][] = [
  [/^model\.embed_tokens\.weight$/, 'token_embd.weight'],
  [/^model\.norm\.weight$/, 'output_norm.weight'],
  [/^lm_head\.weight$/, 'output.weight'],
  [/^model\.layers\.(\d+)\.input_layernorm\.weight$/, 'blk.$1.attn_norm.weight'],
  [/^model\.layers\.(\d+)\.self_attn\.q_proj\.weight$/, 'blk.$1.attn_q.weight'],
  [/^model\.layers\.(\d+)\.self_attn\.k_proj\.weight$/, 'blk.$1.attn_k.weight'],
  [/^model\.layers\.(\d+)\.self_attn\.v_proj\.weight$/, 'blk.$1.attn_v.weight'],
  [/^model\.layers\.(\d+)\.self_attn\.o_proj\.weight$/, 'blk.$1.attn_output.weight'],
  [/^model\.layers\.(\d+)\.post_attention_layernorm\.weight$/, 'blk.$1.ffn_norm.weight'],
  [/^model\.layers\.(\d+)\.mlp\.gate_proj\.weight$/, 'blk.$1.ffn_gate.weight'],
  [/^model\.layers\.(\d+)\.mlp\.up_proj\.weight$/, 'blk.$1.ffn_up.weight'],
  [/^model\.layers\.(\d+)\.mlp\.down_proj\.weight$/, 'blk.$1.ffn_down.weight'],
];

/** llama.cpp's name for an HF LLaMA parameter, or `undefined` for one it does not use (e.g. rotary inv_freq). */
export function ggufTensorName(hfName: string): string | undefined {
  for (const [re, to] of HF_TO_GGUF) if (re.test(hfName)) return hfName.replace(re, to);
  return undefined;
}

/** The `llama.*` and `general.*` metadata for a config. */
export function llamaMetadata(cfg: HfLlamaConfig, type: ConvertType, name: string): [string, GGUFValue][] {
  const heads = cfg.num_attention_heads;
  return [
    ['general.architecture', gv.str('llama')],
    ['general.name', gv.str(name)],
    ['general.file_type', gv.u32(FILE_TYPE[type])],
    ['general.quantization_version', gv.u32(2)],
    ['general.alignment', gv.u32(32)],
    ['llama.context_length', gv.u32(cfg.max_position_embeddings)],
    ['llama.embedding_length', gv.u32(cfg.hidden_size)],
    ['llama.block_count', gv.u32(cfg.num_hidden_layers)],
    ['llama.feed_forward_length', gv.u32(cfg.intermediate_size)],
    ['llama.attention.head_count', gv.u32(heads)],
    ['llama.attention.head_count_kv', gv.u32(cfg.num_key_value_heads ?? heads)],
    ['llama.attention.layer_norm_rms_epsilon', gv.f32(cfg.rms_norm_eps)],
    ['llama.rope.dimension_count', gv.u32(cfg.hidden_size / heads)],
    ['llama.rope.freq_base', gv.f32(cfg.rope_theta ?? 10000)],
    ['llama.vocab_size', gv.u32(cfg.vocab_size)],
  ];
}

/** Convert an HF-layout LLaMA folder to a GGUF file that llama.cpp runs. */
export async function convertHfLlama(dir: string, out: string, options: ConvertOptions): Promise<ConvertReport> {
  const type = options.type;
  if (!CONVERT_TYPES.includes(type)) throw new ConfigError(`unknown output type '${type}' (one of ${CONVERT_TYPES.join(', ')})`, { field: 'type' });
  const cfg = await readHfLlamaConfig(dir);
  const vocab = options.vocab ?? (await vocabFromHfFolder(dir));
  if (vocab.tokens.length !== cfg.vocab_size) throw new ConfigError(`tokenizer has ${vocab.tokens.length} tokens, config.json vocab_size is ${cfg.vocab_size}`, { field: 'vocab_size' });
  const stPath = join(dir, 'model.safetensors');
  const st = await SafetensorsFile.open(stPath);
  const tensors: GGUFTensorInput[] = [];
  const report: ConvertReport['tensors'] = [];
  let parameters = 0;
  const kvHeads = cfg.num_key_value_heads ?? cfg.num_attention_heads;
  const progress = createProgress({ label: `convert ${type}`, total: st.names.length, unit: 'tensors' });
  try {
    for (const hfName of st.names) {
      throwIfAborted(options.signal);
      progress.tick();
      const name = ggufTensorName(hfName);
      if (!name) continue;
      const { data: f32, shape } = await readFloatTensor(st, hfName, stPath);
      let w = f32;
      if (/attn_(q|k)\.weight$/.test(name)) {
        const heads = name.endsWith('attn_q.weight') ? cfg.num_attention_heads : kvHeads;
        w = unpermuteRope(w, shape[0]!, shape[1]!, heads);
      }
      const dims = [...shape].reverse();
      const qt = tensorTypeFor(type, name, dims, cfg.num_hidden_layers);
      const data = quantizeGGML(qt, w);
      tensors.push({ name, dims, type: GGMLType[qt], data });
      report.push({ name, type: qt, dims, bytes: data.byteLength });
      parameters += w.length;
    }
  } finally {
    progress.done();
    await st.close();
  }
  if (!tensors.some((t) => t.name === 'output.weight') && cfg.tie_word_embeddings === false) throw new FormatError('safetensors', 'lm_head.weight is missing and tie_word_embeddings is false', { file: stPath, field: 'lm_head.weight' });
  const metadata = new Map<string, GGUFValue>([...llamaMetadata(cfg, type, options.name ?? 'llm-quant'), ...vocabMetadata(vocab)]);
  await writeGGUF(out, metadata, tensors, { signal: options.signal, label: `write ${type}` });
  const bytes = report.reduce((a, t) => a + t.bytes, 0);
  return { out, tensors: report, bytes, parameters, bitsPerWeight: (bytes * 8) / parameters };
}

export { isGGMLQuantType };

/** A checkpoint tensor as float32 (F32/F16/BF16/F64 accepted; anything else is a FormatError naming it). */
export async function readFloatTensor(st: SafetensorsFile, name: string, file: string): Promise<{ data: Float32Array; shape: number[] }> {
  const t = await st.read(name);
  if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) throw new FormatError('safetensors', `tensor '${name}' has dtype ${t.dtype}, expected a float type`, { file, field: name });
  return { data: toFloat32(t.dtype, t.data as Parameters<typeof toFloat32>[1]), shape: [...t.shape] };
}
