/**
 * HF-layout GPT-2 folder (`config.json` + `model.safetensors` + `tokenizer.json`) → GGUF for
 * llama.cpp's `gpt2` architecture: learned position embeddings, LayerNorm with biases, fused QKV,
 * GELU MLP. HF's GPT-2 stores its projections as `Conv1D` (`[in, out]`), which is transposed to
 * the `[out, in]` row layout ggml expects. A tied head is written as `output.weight` (a copy of
 * the token embeddings), as llama.cpp's own converter does.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createProgress, NotFoundError, parseJson, readText, SafetensorsFile, throwIfAborted } from '@llm/core';
import { GGMLType, type GGMLTypeName } from '../ggml/types.js';
import { quantizeGGML } from '../ggml/quants.js';
import { gv, type GGUFValue } from '../gguf/types.js';
import { writeGGUF, type GGUFTensorInput } from '../gguf/writer.js';
import { CONVERT_TYPES, readFloatTensor, tensorTypeFor, type ConvertOptions, type ConvertReport } from './hf-llama.js';
import { vocabFromHfFolder, vocabMetadata } from './vocab.js';

/** The `config.json` fields read (HF `GPT2Config`). */
export interface HfGpt2Config {
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_positions: number;
  vocab_size: number;
  layer_norm_epsilon: number;
  n_inner?: number | null;
}

const FILE_TYPE: Record<string, number> = { F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q2_K: 10, Q3_K: 12, Q4_K: 14, Q4_K_M: 15, Q5_K: 16, Q6_K: 18, BF16: 32 };

/** Read and check a GPT-2 `config.json`. */
export async function readHfGpt2Config(dir: string): Promise<HfGpt2Config> {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new NotFoundError(`no config.json in ${dir}`, { file });
  const c = parseJson(await readText(file), { file }) as Record<string, unknown>;
  for (const k of ['n_embd', 'n_layer', 'n_head', 'n_positions', 'vocab_size']) {
    if (!Number.isSafeInteger(c[k]) || (c[k] as number) <= 0) throw new ConfigError(`config.json: '${k}' must be a positive integer`, { file, field: k });
  }
  const cfg = { layer_norm_epsilon: 1e-5, ...c } as unknown as HfGpt2Config;
  if (cfg.n_embd % cfg.n_head !== 0) throw new ConfigError('config.json: n_embd is not divisible by n_head', { file, field: 'n_head' });
  return cfg;
}

/** llama.cpp's name for an HF GPT-2 parameter (with or without the `transformer.` prefix). */
export function ggufGpt2Name(hf: string): string | undefined {
  const n = hf.replace(/^transformer\./, '');
  const rules: [RegExp, string][] = [
    [/^wte\.weight$/, 'token_embd.weight'], [/^wpe\.weight$/, 'position_embd.weight'],
    [/^ln_f\.(weight|bias)$/, 'output_norm.$1'], [/^lm_head\.weight$/, 'output.weight'],
    [/^h\.(\d+)\.ln_1\.(weight|bias)$/, 'blk.$1.attn_norm.$2'], [/^h\.(\d+)\.ln_2\.(weight|bias)$/, 'blk.$1.ffn_norm.$2'],
    [/^h\.(\d+)\.attn\.c_attn\.(weight|bias)$/, 'blk.$1.attn_qkv.$2'], [/^h\.(\d+)\.attn\.c_proj\.(weight|bias)$/, 'blk.$1.attn_output.$2'],
    [/^h\.(\d+)\.mlp\.c_fc\.(weight|bias)$/, 'blk.$1.ffn_up.$2'], [/^h\.(\d+)\.mlp\.c_proj\.(weight|bias)$/, 'blk.$1.ffn_down.$2'],
  ];
  for (const [re, to] of rules) if (re.test(n)) return n.replace(re, to);
  return undefined;
}

/** Transpose a row-major `[rows, cols]` matrix. */
export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

/** Convert an HF-layout GPT-2 folder to GGUF. */
export async function convertHfGpt2(dir: string, out: string, options: ConvertOptions): Promise<ConvertReport> {
  const type = options.type;
  if (!CONVERT_TYPES.includes(type)) throw new ConfigError(`unknown output type '${type}'`, { field: 'type' });
  const cfg = await readHfGpt2Config(dir);
  const vocab = options.vocab ?? (await vocabFromHfFolder(dir));
  if (vocab.tokens.length !== cfg.vocab_size) throw new ConfigError(`tokenizer has ${vocab.tokens.length} tokens, config.json vocab_size is ${cfg.vocab_size}`, { field: 'vocab_size' });
  const stPath = join(dir, 'model.safetensors');
  const st = await SafetensorsFile.open(stPath);
  const tensors: GGUFTensorInput[] = [];
  const report: ConvertReport['tensors'] = [];
  let parameters = 0;
  const progress = createProgress({ label: `convert ${type}`, total: st.names.length, unit: 'tensors' });
  const add = (name: string, w: Float32Array, dims: number[]) => {
    const qt = tensorTypeFor(type, name, dims, cfg.n_layer);
    const data = quantizeGGML(qt, w);
    tensors.push({ name, dims, type: GGMLType[qt], data });
    report.push({ name, type: qt as GGMLTypeName, dims, bytes: data.byteLength });
    parameters += w.length;
  };
  try {
    for (const hf of st.names) {
      throwIfAborted(options.signal);
      progress.tick();
      const name = ggufGpt2Name(hf);
      if (!name) continue;
      const read = await readFloatTensor(st, hf, stPath);
      let w = read.data;
      let shape = read.shape;
      if (/\.(c_attn|c_proj|c_fc)\.weight$/.test(hf)) { w = transpose(w, shape[0]!, shape[1]!); shape = [shape[1]!, shape[0]!]; }
      add(name, w, [...shape].reverse());
      if (name === 'token_embd.weight' && !st.names.some((n) => n.endsWith('lm_head.weight'))) add('output.weight', w, [...shape].reverse());
    }
  } finally {
    progress.done();
    await st.close();
  }
  const meta = new Map<string, GGUFValue>([
    ['general.architecture', gv.str('gpt2')],
    ['general.name', gv.str(options.name ?? 'llm-quant')],
    ['general.file_type', gv.u32(FILE_TYPE[type] ?? 0)],
    ['general.quantization_version', gv.u32(2)],
    ['general.alignment', gv.u32(32)],
    ['gpt2.context_length', gv.u32(cfg.n_positions)],
    ['gpt2.embedding_length', gv.u32(cfg.n_embd)],
    ['gpt2.feed_forward_length', gv.u32(cfg.n_inner ?? 4 * cfg.n_embd)],
    ['gpt2.block_count', gv.u32(cfg.n_layer)],
    ['gpt2.attention.head_count', gv.u32(cfg.n_head)],
    ['gpt2.attention.layer_norm_epsilon', gv.f32(cfg.layer_norm_epsilon)],
    ...vocabMetadata(vocab),
  ]);
  await writeGGUF(out, meta, tensors, { signal: options.signal, label: `write ${type}` });
  const bytes = report.reduce((a, t) => a + t.bytes, 0);
  return { out, tensors: report, bytes, parameters, bitsPerWeight: (bytes * 8) / parameters };
}

/** Convert any supported HF folder (by `config.json`'s `model_type`: `llama` or `gpt2`). */
export async function convertHf(dir: string, out: string, options: ConvertOptions): Promise<ConvertReport & { architecture: 'llama' | 'gpt2' }> {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new NotFoundError(`no config.json in ${dir}`, { file });
  const c = parseJson(await readText(file), { file }) as { model_type?: unknown };
  if (c.model_type === 'gpt2') return { ...(await convertHfGpt2(dir, out, options)), architecture: 'gpt2' };
  if (c.model_type === 'llama' || c.model_type === undefined) {
    const { convertHfLlama } = await import('./hf-llama.js');
    return { ...(await convertHfLlama(dir, out, options)), architecture: 'llama' };
  }
  throw new ConfigError(`config.json: model_type '${String(c.model_type)}' is not supported (llama, gpt2)`, { file, field: 'model_type' });
}
