import { join } from 'node:path';
import { ConfigError, FormatError, readJson, readSafetensors, toFloat32, writeJsonAtomic, writeSafetensors, type SafeTensor } from '@llm/core';

/**
 * Hugging Face PEFT's file layout: `adapter_config.json` and `adapter_model.safetensors` with
 * tensor names `base_model.model.<module>.lora_A.weight` / `.lora_B.weight` (LoRA) or
 * `prompt_embeddings` (prompt and prefix tuning). Files written here load in PEFT and files PEFT writes load here.
 */

/** The LoRA fields of `adapter_config.json` this workspace reads and writes. */
export interface LoraConfig {
  peft_type: 'LORA';
  task_type: string;
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  /** Module-name suffixes (a list) or a regular expression that must match the whole name (a string). */
  target_modules: string[] | string;
  exclude_modules?: string[] | string | null;
  bias: 'none' | 'all' | 'lora_only';
  use_rslora: boolean;
  /** `true` (Kaiming-uniform A, zero B), `"gaussian"` (A ~ N(0, 1/r), zero B) or `false` (random B too, for tests). */
  init_lora_weights: boolean | 'gaussian';
  fan_in_fan_out: boolean;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  base_model_name_or_path: string | null;
  modules_to_save: string[] | null;
  inference_mode: boolean;
  [key: string]: unknown;
}

/** The prompt-tuning fields of `adapter_config.json`. */
export interface PromptTuningConfig {
  peft_type: 'PROMPT_TUNING';
  task_type: string;
  num_virtual_tokens: number;
  token_dim: number;
  num_transformer_submodules: number;
  prompt_tuning_init: 'TEXT' | 'RANDOM';
  prompt_tuning_init_text: string | null;
  tokenizer_name_or_path: string | null;
  base_model_name_or_path: string | null;
  inference_mode: boolean;
  [key: string]: unknown;
}

/**
 * The prefix-tuning fields of `adapter_config.json` (PEFT's `PREFIX_TUNING`). For grouped-query
 * attention PEFT stores the KV geometry: `num_attention_heads` = the model's key/value heads and
 * `token_dim` = key/value heads × head dimension.
 */
export interface PrefixTuningConfig {
  peft_type: 'PREFIX_TUNING';
  task_type: string;
  num_virtual_tokens: number;
  token_dim: number;
  num_transformer_submodules: number;
  num_attention_heads: number;
  num_layers: number;
  encoder_hidden_size: number;
  prefix_projection: boolean;
  base_model_name_or_path: string | null;
  inference_mode: boolean;
  [key: string]: unknown;
}

/** Any adapter config this workspace reads and writes. */
export type AdapterConfig = LoraConfig | PromptTuningConfig | PrefixTuningConfig;

const PEFT_TYPES = ['LORA', 'PROMPT_TUNING', 'PREFIX_TUNING'];

/** A LoRA config with PEFT's defaults filled in. */
export function loraConfig(fields: Partial<LoraConfig> & Pick<LoraConfig, 'r' | 'lora_alpha' | 'target_modules'>): LoraConfig {
  const c: LoraConfig = {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', lora_dropout: 0, bias: 'none', use_rslora: false, init_lora_weights: true, fan_in_fan_out: false,
    rank_pattern: {}, alpha_pattern: {}, base_model_name_or_path: null, modules_to_save: null, inference_mode: true, exclude_modules: null,
    ...fields,
  };
  validateLoraConfig(c);
  return c;
}

/** Check the fields a LoRA config must have, with the field named in the error. */
export function validateLoraConfig(c: LoraConfig, file?: string): void {
  const bad = (field: string, msg: string) => new ConfigError(`adapter_config: ${field} ${msg}`, { file, field });
  if (!Number.isInteger(c.r) || c.r < 1) throw bad('r', `must be a positive integer, got ${JSON.stringify(c.r)}`);
  if (typeof c.lora_alpha !== 'number' || !(c.lora_alpha > 0)) throw bad('lora_alpha', `must be a positive number, got ${JSON.stringify(c.lora_alpha)}`);
  if (typeof c.lora_dropout !== 'number' || c.lora_dropout < 0 || c.lora_dropout >= 1) throw bad('lora_dropout', `must be in [0, 1), got ${JSON.stringify(c.lora_dropout)}`);
  if (!(typeof c.target_modules === 'string' || (Array.isArray(c.target_modules) && c.target_modules.every((t) => typeof t === 'string')))) throw bad('target_modules', 'must be a list of names or a regular expression');
  if (!['none', 'all', 'lora_only'].includes(c.bias)) throw bad('bias', `must be none, all or lora_only, got ${JSON.stringify(c.bias)}`);
}

function matchesAny(name: string, spec: string[] | string | null | undefined): boolean {
  if (spec === null || spec === undefined) return false;
  if (typeof spec === 'string') return new RegExp(`^(?:${spec})$`).test(name);
  return spec.some((t) => name === t || name.endsWith(`.${t}`));
}

/**
 * PEFT's default `target_modules` when none are given (its per-architecture table): GPT-2's fused
 * `c_attn`, LLaMA/Mistral's `q_proj` and `v_proj`.
 */
export function defaultTargetModules(modelType: string): string[] {
  if (modelType === 'gpt2') return ['c_attn'];
  if (modelType === 'llama' || modelType === 'mistral') return ['q_proj', 'v_proj'];
  throw new ConfigError(`no default LoRA target modules for model type '${modelType}': give target_modules`, { field: 'target_modules' });
}

/** Whether a module (e.g. `model.layers.0.self_attn.q_proj`) is adapted, with PEFT's matching rules. */
export function isTargetModule(config: Pick<LoraConfig, 'target_modules' | 'exclude_modules'>, moduleName: string): boolean {
  return matchesAny(moduleName, config.target_modules) && !matchesAny(moduleName, config.exclude_modules);
}

function patternValue(pattern: Record<string, number>, name: string): number | undefined {
  for (const [key, value] of Object.entries(pattern)) if (new RegExp(`(.*\\.)?(?:${key})$`).test(name)) return value;
  return undefined;
}

/** Rank and scaling for one module: `rank_pattern`/`alpha_pattern` override `r`/`lora_alpha`; rsLoRA divides by √r. */
export function moduleRankAndScale(config: LoraConfig, moduleName: string): { r: number; alpha: number; scaling: number } {
  const r = patternValue(config.rank_pattern, moduleName) ?? config.r;
  const alpha = patternValue(config.alpha_pattern, moduleName) ?? config.lora_alpha;
  return { r, alpha, scaling: config.use_rslora ? alpha / Math.sqrt(r) : alpha / r };
}

const PREFIX = 'base_model.model.';

/** PEFT's tensor name for a module's LoRA matrix. */
export function loraTensorName(moduleName: string, which: 'A' | 'B'): string {
  return `${PREFIX}${moduleName}.lora_${which}.weight`;
}

/** One module's LoRA matrices: A `[r, in]`, B `[out, r]`. */
export interface LoraPair {
  A: Float32Array;
  B: Float32Array;
  r: number;
  inFeatures: number;
  outFeatures: number;
}

/** A loaded adapter folder. */
export interface LoadedAdapter {
  config: AdapterConfig;
  /** LoRA: module name → matrices. */
  lora: Map<string, LoraPair>;
  /** Prompt tuning: `[numVirtualTokens, tokenDim]`; prefix tuning: `[numVirtualTokens, numLayers × 2 × tokenDim]`. */
  promptEmbeddings?: { data: Float32Array; shape: [number, number] };
}

/** Read `adapter_config.json` + `adapter_model.safetensors` from a PEFT folder. */
export async function loadAdapter(dir: string): Promise<LoadedAdapter> {
  const cfgFile = join(dir, 'adapter_config.json');
  const config = (await readJson(cfgFile)) as AdapterConfig;
  if (!PEFT_TYPES.includes(config.peft_type)) throw new ConfigError(`unsupported peft_type ${JSON.stringify((config as { peft_type?: unknown }).peft_type)} (supported: ${PEFT_TYPES.join(', ')})`, { file: cfgFile, field: 'peft_type' });
  const file = join(dir, 'adapter_model.safetensors');
  const { tensors } = await readSafetensors(file);
  const f32 = (name: string, t: SafeTensor) => {
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') throw new FormatError('peft', `tensor '${name}' has dtype ${t.dtype}, expected a float type`, { file, field: name });
    return toFloat32(t.dtype, t.data as Float32Array);
  };
  if (config.peft_type === 'PROMPT_TUNING' || config.peft_type === 'PREFIX_TUNING') {
    const t = tensors.get('prompt_embeddings');
    if (!t || t.shape.length !== 2) throw new FormatError('peft', "missing 2-D tensor 'prompt_embeddings'", { file });
    if (t.shape[0] !== config.num_virtual_tokens) throw new FormatError('peft', `'prompt_embeddings' has ${t.shape[0]} rows, num_virtual_tokens is ${config.num_virtual_tokens}`, { file, field: 'prompt_embeddings' });
    if (config.peft_type === 'PREFIX_TUNING' && t.shape[1] !== config.num_layers * 2 * config.token_dim) {
      throw new FormatError('peft', `'prompt_embeddings' is ${t.shape[1]} wide, expected num_layers × 2 × token_dim = ${config.num_layers * 2 * config.token_dim}`, { file, field: 'prompt_embeddings' });
    }
    return { config, lora: new Map(), promptEmbeddings: { data: f32('prompt_embeddings', t), shape: [t.shape[0]!, t.shape[1]!] } };
  }
  validateLoraConfig(config, cfgFile);
  const lora = new Map<string, LoraPair>();
  for (const [name, t] of tensors) {
    const m = /^base_model\.model\.(.+)\.lora_([AB])(?:\.[^.]+)?\.weight$/.exec(name);
    if (!m) {
      if (/lora_embedding|lora_magnitude|\.bias$/.test(name)) throw new FormatError('peft', `tensor '${name}' (embedding LoRA, DoRA or LoRA bias) is not supported`, { file, field: name });
      continue;
    }
    const module = m[1]!;
    const entry = lora.get(module) ?? ({ A: new Float32Array(0), B: new Float32Array(0), r: 0, inFeatures: 0, outFeatures: 0 } as LoraPair);
    if (t.shape.length !== 2) throw new FormatError('peft', `tensor '${name}' must be 2-D, got ${JSON.stringify(t.shape)}`, { file, field: name });
    if (m[2] === 'A') { entry.A = f32(name, t); entry.r = t.shape[0]!; entry.inFeatures = t.shape[1]!; }
    else { entry.B = f32(name, t); entry.outFeatures = t.shape[0]!; if (entry.r && t.shape[1] !== entry.r) throw new FormatError('peft', `'${name}' has rank ${t.shape[1]}, lora_A has ${entry.r}`, { file, field: name }); }
    lora.set(module, entry);
  }
  for (const [module, p] of lora) {
    if (!p.A.length || !p.B.length) throw new FormatError('peft', `module '${module}' has lora_${p.A.length ? 'A' : 'B'} but not the other matrix`, { file });
    if (p.B.length !== p.outFeatures * p.r) throw new FormatError('peft', `module '${module}': lora_B shape does not match rank ${p.r}`, { file });
  }
  return { config, lora };
}

/** Write a PEFT folder (config and tensors, each atomically). */
export async function saveAdapter(dir: string, adapter: LoadedAdapter): Promise<void> {
  const tensors: Record<string, SafeTensor> = {};
  if (adapter.promptEmbeddings) tensors.prompt_embeddings = { dtype: 'F32', shape: adapter.promptEmbeddings.shape, data: adapter.promptEmbeddings.data };
  for (const [module, p] of adapter.lora) {
    tensors[loraTensorName(module, 'A')] = { dtype: 'F32', shape: [p.r, p.inFeatures], data: p.A };
    tensors[loraTensorName(module, 'B')] = { dtype: 'F32', shape: [p.outFeatures, p.r], data: p.B };
  }
  await writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors, { format: 'pt' });
  await writeJsonAtomic(join(dir, 'adapter_config.json'), adapter.config);
}
