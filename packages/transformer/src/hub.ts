/**
 * One entry point for HF folders: read `config.json`, pick the architecture from `model_type`,
 * build the model and load its safetensors.
 */
import { ConfigError } from '@llm/core';
import { readHfConfig } from './checkpoint.js';
import type { PretrainedModel } from './model.js';
import { Bert, bertConfigFromHf } from './models/bert.js';
import { Gpt2, gpt2ConfigFromHf } from './models/gpt2.js';
import { Llama, llamaConfigFromHf } from './models/llama.js';
import { T5, t5ConfigFromHf } from './models/t5.js';

/** Any architecture this package implements. */
export type AnyModel = Gpt2 | Bert | T5 | Llama;

/** Build the model a `config.json` object describes, with no weights yet. */
export function modelFromHfConfig(raw: Record<string, unknown>, file = 'config.json'): AnyModel {
  const type = raw.model_type;
  switch (type) {
    case 'gpt2':
      return new Gpt2(gpt2ConfigFromHf(raw, file));
    case 'bert':
      return new Bert(bertConfigFromHf(raw, file));
    case 't5':
      return new T5(t5ConfigFromHf(raw, file));
    case 'llama':
    case 'mistral':
      return new Llama(llamaConfigFromHf(raw, file));
    default:
      throw new ConfigError(`unsupported model_type ${JSON.stringify(type)} (supported: gpt2, bert, t5, llama, mistral)`, { file, field: 'model_type' });
  }
}

/**
 * Load an HF model folder (`config.json` + `model.safetensors` or a sharded
 * `model.safetensors.index.json`). Point it at a folder downloaded from the Hub the same way.
 */
export async function loadPretrained(dir: string, options: { signal?: AbortSignal } = {}): Promise<AnyModel> {
  const { config, file } = await readHfConfig(dir);
  const model = modelFromHfConfig(config, file);
  try {
    await model.loadWeights(dir, options);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** A causal LM (GPT-2 or LLaMA) from a folder, or a ConfigError naming `model_type`. */
export async function loadCausalLM(dir: string): Promise<Gpt2 | Llama> {
  const m = await loadPretrained(dir);
  if (m instanceof Gpt2 || m instanceof Llama) return m;
  m.dispose();
  throw new ConfigError(`model_type '${m.modelType}' is not a causal language model`, { file: dir, field: 'model_type' });
}

/** The model's own type guard. */
export function isPretrained(x: unknown): x is PretrainedModel {
  return x instanceof Gpt2 || x instanceof Bert || x instanceof T5 || x instanceof Llama;
}
