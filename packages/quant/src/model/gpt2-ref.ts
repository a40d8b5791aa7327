/**
 * Reference forward pass of an HF GPT-2 in float64 (LayerNorm, fused QKV, causal attention, GELU
 * MLP, learned positions, tied or untied head), from HF-named weights with HF's `Conv1D` layout
 * (`[in, out]`). GELU can be evaluated as llama.cpp's CPU backend does it (the tanh form looked up
 * through an F16 table), so F32 GGUFs can be compared to ~1e-6.
 */
import { f16ToF32, f32ToF16, FormatError, Rng, writeJsonAtomic, writeSafetensors, type SafeTensor } from '@llm/core';
import { join } from 'node:path';
import { ggufGpt2Name, type HfGpt2Config } from '../convert/hf-gpt2.js';
import { dequantizeGGML, isGGMLQuantType } from '../ggml/quants.js';
import type { GGUFFile } from '../gguf/reader.js';
import { activationAsSeenBy, type LlamaWeights, type WeightTypes } from './llama-ref.js';

const SQRT_2_OVER_PI = 0.7978845608028654;
const GELU_COEF_A = 0.044715;

/** GELU (tanh form); `ggml: true` rounds input and output through F16 as ggml's lookup table does (|x| < 10). */
export function gelu(x: number, ggml = false): number {
  if (!ggml) return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * x * (1 + GELU_COEF_A * x * x)));
  const f = Math.fround(x);
  if (f <= -10) return 0;
  if (f >= 10) return f;
  const h = f16ToF32(f32ToF16(f));
  return f16ToF32(f32ToF16(Math.fround(0.5 * h * (1 + Math.tanh(SQRT_2_OVER_PI * h * (1 + GELU_COEF_A * h * h))))));
}

function get(w: LlamaWeights, name: string): Float32Array {
  const t = w.get(name);
  if (!t) throw new FormatError('gpt2', `missing weight '${name}'`, { field: name });
  return t;
}

/** y = x·W + b for a Conv1D weight W `[in, out]`. */
function conv1d(W: Float32Array, b: Float32Array, x0: Float64Array, out: number, type?: string): Float64Array {
  const x = type ? activationAsSeenBy(type, x0) : x0;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) y[o] = b[o]!;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const base = i * out;
    for (let o = 0; o < out; o++) y[o]! += W[base + o]! * xi;
  }
  return y;
}

function layerNorm(x: Float64Array, w: Float32Array, b: Float32Array, eps: number): Float64Array {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) * (v - m);
  const r = 1 / Math.sqrt(s / x.length + eps);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = (x[i]! - m) * r * w[i]! + b[i]!;
  return y;
}

/** Options of {@link gpt2Forward}. */
export interface Gpt2ForwardOptions {
  /** GELU through F16 like ggml's CPU backend. Default false (exact tanh GELU, as PyTorch's `gelu_new`). */
  ggmlGelu?: boolean;
  /** Weight types: round activations as llama.cpp does for each (see `activationAsSeenBy`). */
  types?: WeightTypes;
}

/** Logits (float64) at every position; weights use HF GPT-2 names without the `transformer.` prefix. */
export function gpt2Forward(cfg: HfGpt2Config, w: LlamaWeights, ids: readonly number[], options: Gpt2ForwardOptions = {}): Float64Array[] {
  const E = cfg.n_embd, H = cfg.n_head, hd = E / H, F = cfg.n_inner ?? 4 * E;
  const ty = (n: string) => options.types?.get(n);
  const wte = get(w, 'wte.weight'), wpe = get(w, 'wpe.weight');
  const keys: Float64Array[][] = Array.from({ length: cfg.n_layer }, () => []);
  const vals: Float64Array[][] = Array.from({ length: cfg.n_layer }, () => []);
  const out: Float64Array[] = [];
  for (let pos = 0; pos < ids.length; pos++) {
    const id = ids[pos]!;
    const x = new Float64Array(E);
    for (let i = 0; i < E; i++) x[i] = wte[id * E + i]! + wpe[pos * E + i]!;
    for (let l = 0; l < cfg.n_layer; l++) {
      const p = `h.${l}.`;
      const hN = layerNorm(x, get(w, `${p}ln_1.weight`), get(w, `${p}ln_1.bias`), cfg.layer_norm_epsilon);
      const qkv = conv1d(get(w, `${p}attn.c_attn.weight`), get(w, `${p}attn.c_attn.bias`), hN, 3 * E, ty(`${p}attn.c_attn.weight`));
      const q = qkv.subarray(0, E), k = qkv.slice(E, 2 * E), v = qkv.slice(2 * E);
      keys[l]!.push(k);
      vals[l]!.push(v);
      const att = new Float64Array(E);
      for (let h = 0; h < H; h++) {
        const sc = new Float64Array(pos + 1);
        let mx = -Infinity;
        for (let t = 0; t <= pos; t++) {
          let s = 0;
          for (let i = 0; i < hd; i++) s += q[h * hd + i]! * keys[l]![t]![h * hd + i]!;
          sc[t] = s / Math.sqrt(hd);
          mx = Math.max(mx, sc[t]!);
        }
        let z = 0;
        for (let t = 0; t <= pos; t++) { sc[t] = Math.exp(sc[t]! - mx); z += sc[t]!; }
        for (let t = 0; t <= pos; t++) for (let i = 0; i < hd; i++) att[h * hd + i]! += (sc[t]! / z) * vals[l]![t]![h * hd + i]!;
      }
      const o = conv1d(get(w, `${p}attn.c_proj.weight`), get(w, `${p}attn.c_proj.bias`), att, E, ty(`${p}attn.c_proj.weight`));
      for (let i = 0; i < E; i++) x[i]! += o[i]!;
      const h2 = layerNorm(x, get(w, `${p}ln_2.weight`), get(w, `${p}ln_2.bias`), cfg.layer_norm_epsilon);
      const up = conv1d(get(w, `${p}mlp.c_fc.weight`), get(w, `${p}mlp.c_fc.bias`), h2, F, ty(`${p}mlp.c_fc.weight`));
      for (let i = 0; i < F; i++) up[i] = gelu(up[i]!, options.ggmlGelu);
      const d = conv1d(get(w, `${p}mlp.c_proj.weight`), get(w, `${p}mlp.c_proj.bias`), up, E, ty(`${p}mlp.c_proj.weight`));
      for (let i = 0; i < E; i++) x[i]! += d[i]!;
    }
    const xf = layerNorm(x, get(w, 'ln_f.weight'), get(w, 'ln_f.bias'), cfg.layer_norm_epsilon);
    const head = w.get('lm_head.weight') ?? wte; // [V, E]
    const xa = ty('lm_head.weight') ? activationAsSeenBy(ty('lm_head.weight')!, xf) : xf;
    const logits = new Float64Array(cfg.vocab_size);
    for (let t = 0; t < cfg.vocab_size; t++) { let s = 0; for (let i = 0; i < E; i++) s += head[t * E + i]! * xa[i]!; logits[t] = s; }
    out.push(logits);
  }
  return out;
}

/** The weights a gpt2 GGUF holds, dequantized and put back in HF names and Conv1D layout. */
export async function gpt2WeightsFromGGUF(file: GGUFFile, cfg: HfGpt2Config, types?: WeightTypes): Promise<LlamaWeights> {
  const w: LlamaWeights = new Map();
  const names = ['wte.weight', 'wpe.weight', 'ln_f.weight', 'ln_f.bias', 'lm_head.weight'];
  for (let l = 0; l < cfg.n_layer; l++) for (const s of ['ln_1', 'ln_2', 'attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj']) names.push(`h.${l}.${s}.weight`, `h.${l}.${s}.bias`);
  for (const hf of names) {
    const g = hf === 'lm_head.weight' ? 'output.weight' : ggufGpt2Name(hf)!;
    if (!file.tensors.some((t) => t.name === g)) continue;
    const info = file.tensor(g);
    if (!isGGMLQuantType(info.typeName)) throw new FormatError('gguf', `tensor '${g}' has type ${info.typeName}`, { file: file.path, field: g });
    let v = dequantizeGGML(info.typeName, await file.read(g), info.elements);
    if (/\.(c_attn|c_proj|c_fc)\.weight$/.test(hf)) {
      // ggml dims [in, out] = rows of `out`, each `in` long; HF Conv1D is [in, out].
      const inn = info.dims[0]!, outn = info.dims[1]!;
      const t = new Float32Array(v.length);
      for (let o = 0; o < outn; o++) for (let i = 0; i < inn; i++) t[i * outn + o] = v[o * inn + i]!;
      v = t;
    }
    w.set(hf, v);
    types?.set(hf, info.typeName);
  }
  return w;
}

const MERGES = ['Ġ t', 'h e', 'Ġt he', 'i n', 'Ġ a', 'e r', 'o n', 'Ġ s', 'r e', 'a n', 'Ġ w', 'e d', 'n d', 'Ġa nd', 'o u', 'Ġ o', 'Ġo f', 'i s', 'Ġ h', 'Ġ b', 'e n', 'in g', 'Ġ m', 'Ġ c', 'a t', 'Ġh e', 'a s', 'o r', 'Ġw as', 'Ġ i'];

/** GPT-2's byte → printable-unicode map (`bytes_to_unicode`). */
export function bytesToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const map: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCharCode(keep.includes(b) ? b : 256 + n++);
  return map;
}

/** A tiny byte-level BPE (GPT-2 style) tokenizer.json. */
export function tinyGpt2TokenizerJson(): { json: Record<string, unknown>; vocabSize: number } {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((c, b) => { vocab[c] = b; });
  let id = 256;
  for (const m of MERGES) vocab[m.replace(' ', '')] = id++;
  vocab['<|endoftext|>'] = id++;
  return {
    vocabSize: id,
    json: {
      version: '1.0',
      added_tokens: [{ id: id - 1, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: MERGES },
    },
  };
}

/** Write a tiny seeded GPT-2 (HF layout, tied head) and return its config and HF weights. */
export async function writeTinyGpt2(dir: string, options: { seed?: number; nEmbd?: number; nLayer?: number; nHead?: number; nPositions?: number } = {}): Promise<{ config: HfGpt2Config; weights: LlamaWeights }> {
  const rng = new Rng(options.seed ?? 11);
  const E = options.nEmbd ?? 128, L = options.nLayer ?? 2, H = options.nHead ?? 4, P = options.nPositions ?? 128;
  const { json, vocabSize } = tinyGpt2TokenizerJson();
  const config: HfGpt2Config = { n_embd: E, n_layer: L, n_head: H, n_positions: P, vocab_size: vocabSize, layer_norm_epsilon: 1e-5, n_inner: null };
  const weights: LlamaWeights = new Map();
  const tensors: Record<string, SafeTensor> = {};
  const put = (name: string, shape: number[], init: (r: Rng) => number) => {
    const r = rng.split(name);
    const a = Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => init(r));
    weights.set(name, a);
    tensors[`transformer.${name}`] = { dtype: 'F32', shape, data: a };
  };
  put('wte.weight', [vocabSize, E], (r) => r.normal(0, 0.3));
  put('wpe.weight', [P, E], (r) => r.normal(0, 0.1));
  for (let l = 0; l < L; l++) {
    const p = `h.${l}.`;
    for (const ln of ['ln_1', 'ln_2']) { put(`${p}${ln}.weight`, [E], (r) => 1 + r.normal(0, 0.1)); put(`${p}${ln}.bias`, [E], (r) => r.normal(0, 0.05)); }
    put(`${p}attn.c_attn.weight`, [E, 3 * E], (r) => r.normal(0, 1.5 / Math.sqrt(E)));
    put(`${p}attn.c_attn.bias`, [3 * E], (r) => r.normal(0, 0.05));
    put(`${p}attn.c_proj.weight`, [E, E], (r) => r.normal(0, 1 / Math.sqrt(E)));
    put(`${p}attn.c_proj.bias`, [E], (r) => r.normal(0, 0.05));
    put(`${p}mlp.c_fc.weight`, [E, 4 * E], (r) => r.normal(0, 1.5 / Math.sqrt(E)));
    put(`${p}mlp.c_fc.bias`, [4 * E], (r) => r.normal(0, 0.05));
    put(`${p}mlp.c_proj.weight`, [4 * E, E], (r) => r.normal(0, 1 / Math.sqrt(4 * E)));
    put(`${p}mlp.c_proj.bias`, [E], (r) => r.normal(0, 0.05));
  }
  put('ln_f.weight', [E], (r) => 1 + r.normal(0, 0.1));
  put('ln_f.bias', [E], (r) => r.normal(0, 0.05));
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  await writeJsonAtomic(join(dir, 'config.json'), { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', activation_function: 'gelu_new', bos_token_id: vocabSize - 1, eos_token_id: vocabSize - 1, tie_word_embeddings: true, ...config });
  await writeJsonAtomic(join(dir, 'tokenizer.json'), json);
  return { config, weights };
}
