/**
 * A plain-TypeScript reference forward pass of an HF LLaMA (RMSNorm, rotate-half RoPE, grouped
 * query attention, SwiGLU), in float64, from HF-named weights. It is the yardstick llama.cpp's
 * output on our GGUF files is checked against; it is deliberately simple, not fast.
 */
import { FormatError } from '@llm/core';
import type { HfLlamaConfig } from '../convert/hf-llama.js';
import { ggufTensorName } from '../convert/hf-llama.js';
import { dequantizeGGML, isGGMLQuantType } from '../ggml/quants.js';
import type { GGUFFile } from '../gguf/reader.js';

/** HF parameter name → row-major float32 values. */
export type LlamaWeights = Map<string, Float32Array>;

function get(w: LlamaWeights, name: string): Float32Array {
  const t = w.get(name);
  if (!t) throw new FormatError('llama', `missing weight '${name}'`, { field: name });
  return t;
}

/** y[o] = Σ_i W[o, i] x[i] for W stored [out, in]. */
function matvec(W: Float32Array, x: Float64Array, out: number): Float64Array {
  const inn = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    const base = o * inn;
    for (let i = 0; i < inn; i++) s += W[base + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

function rmsnorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i]! * r * w[i]!;
  return y;
}

/** HF rotate-half RoPE on each head of `v` (in place). */
function rope(v: Float64Array, heads: number, hd: number, pos: number, theta: number): void {
  const half = hd / 2;
  for (let h = 0; h < heads; h++) {
    const b = h * hd;
    for (let i = 0; i < half; i++) {
      const f = pos / Math.pow(theta, (2 * i) / hd);
      const c = Math.cos(f), s = Math.sin(f);
      const x1 = v[b + i]!, x2 = v[b + i + half]!;
      v[b + i] = x1 * c - x2 * s;
      v[b + i + half] = x2 * c + x1 * s;
    }
  }
}

/** Logits (float64) at every position of `ids`. */
export function llamaForward(cfg: HfLlamaConfig, w: LlamaWeights, ids: readonly number[]): Float64Array[] {
  const E = cfg.hidden_size, H = cfg.num_attention_heads, KV = cfg.num_key_value_heads ?? H, hd = E / H, F = cfg.intermediate_size;
  const theta = cfg.rope_theta ?? 10000;
  const emb = get(w, 'model.embed_tokens.weight');
  const lm = w.get('lm_head.weight') ?? emb;
  const keys: Float64Array[][] = Array.from({ length: cfg.num_hidden_layers }, () => []);
  const vals: Float64Array[][] = Array.from({ length: cfg.num_hidden_layers }, () => []);
  const out: Float64Array[] = [];
  for (let pos = 0; pos < ids.length; pos++) {
    const id = ids[pos]!;
    let x: Float64Array = Float64Array.from(emb.subarray(id * E, (id + 1) * E));
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      const p = `model.layers.${l}.`;
      const hN = rmsnorm(x, get(w, `${p}input_layernorm.weight`), cfg.rms_norm_eps);
      const q = matvec(get(w, `${p}self_attn.q_proj.weight`), hN, E);
      const k = matvec(get(w, `${p}self_attn.k_proj.weight`), hN, KV * hd);
      const v = matvec(get(w, `${p}self_attn.v_proj.weight`), hN, KV * hd);
      rope(q, H, hd, pos, theta);
      rope(k, KV, hd, pos, theta);
      keys[l]!.push(k);
      vals[l]!.push(v);
      const att = new Float64Array(E);
      const scale = 1 / Math.sqrt(hd);
      for (let h = 0; h < H; h++) {
        const g = Math.floor(h / (H / KV));
        const scores = new Float64Array(pos + 1);
        let mx = -Infinity;
        for (let t = 0; t <= pos; t++) {
          let s = 0;
          const kt = keys[l]![t]!;
          for (let i = 0; i < hd; i++) s += q[h * hd + i]! * kt[g * hd + i]!;
          scores[t] = s * scale;
          if (scores[t]! > mx) mx = scores[t]!;
        }
        let z = 0;
        for (let t = 0; t <= pos; t++) { scores[t] = Math.exp(scores[t]! - mx); z += scores[t]!; }
        for (let t = 0; t <= pos; t++) {
          const a = scores[t]! / z;
          const vt = vals[l]![t]!;
          for (let i = 0; i < hd; i++) att[h * hd + i]! += a * vt[g * hd + i]!;
        }
      }
      const o = matvec(get(w, `${p}self_attn.o_proj.weight`), att, E);
      for (let i = 0; i < E; i++) x[i]! += o[i]!;
      const h2 = rmsnorm(x, get(w, `${p}post_attention_layernorm.weight`), cfg.rms_norm_eps);
      const gt = matvec(get(w, `${p}mlp.gate_proj.weight`), h2, F);
      const up = matvec(get(w, `${p}mlp.up_proj.weight`), h2, F);
      for (let i = 0; i < F; i++) { const s = gt[i]!; gt[i] = (s / (1 + Math.exp(-s))) * up[i]!; }
      const d = matvec(get(w, `${p}mlp.down_proj.weight`), gt, E);
      for (let i = 0; i < E; i++) x[i]! += d[i]!;
    }
    x = rmsnorm(x, get(w, 'model.norm.weight'), cfg.rms_norm_eps);
    out.push(matvec(lm, x, cfg.vocab_size));
  }
  return out;
}

/** Softmax of logits (float64). */
export function softmax(logits: Float64Array | Float32Array): Float64Array {
  let mx = -Infinity;
  for (const v of logits) if (v > mx) mx = v;
  const p = new Float64Array(logits.length);
  let z = 0;
  for (let i = 0; i < logits.length; i++) { p[i] = Math.exp(logits[i]! - mx); z += p[i]!; }
  for (let i = 0; i < p.length; i++) p[i]! /= z;
  return p;
}

/** HF's Q/K row permutation (inverse of {@link unpermuteRope}). */
export function permuteRope(w: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const hd = rows / heads, half = hd / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++) for (let j = 0; j < 2; j++) for (let i = 0; i < half; i++) {
    const src = h * hd + 2 * i + j;
    const dst = h * hd + j * half + i;
    out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
  }
  return out;
}

const HF_NAMES = (layers: number): string[] => {
  const names = ['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight'];
  for (let l = 0; l < layers; l++) {
    for (const s of ['input_layernorm', 'post_attention_layernorm']) names.push(`model.layers.${l}.${s}.weight`);
    for (const s of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) names.push(`model.layers.${l}.self_attn.${s}.weight`);
    for (const s of ['gate_proj', 'up_proj', 'down_proj']) names.push(`model.layers.${l}.mlp.${s}.weight`);
  }
  return names;
};

/**
 * The weights a GGUF file actually holds, dequantized as llama.cpp's reference dequantizer does
 * and put back in HF layout and names: the reference forward on these predicts what llama.cpp
 * computes from the file.
 */
export async function weightsFromGGUF(file: GGUFFile, cfg: HfLlamaConfig): Promise<LlamaWeights> {
  const w: LlamaWeights = new Map();
  const kv = cfg.num_key_value_heads ?? cfg.num_attention_heads;
  for (const hf of HF_NAMES(cfg.num_hidden_layers)) {
    const g = ggufTensorName(hf)!;
    if (!file.tensors.some((t) => t.name === g)) continue;
    const info = file.tensor(g);
    if (!isGGMLQuantType(info.typeName)) throw new FormatError('gguf', `tensor '${g}' has type ${info.typeName}, which this package cannot dequantize`, { file: file.path, field: g });
    let v = dequantizeGGML(info.typeName, await file.read(g), info.elements);
    if (g.endsWith('attn_q.weight')) v = permuteRope(v, info.dims[1]!, info.dims[0]!, cfg.num_attention_heads);
    if (g.endsWith('attn_k.weight')) v = permuteRope(v, info.dims[1]!, info.dims[0]!, kv);
    w.set(hf, v);
  }
  return w;
}
