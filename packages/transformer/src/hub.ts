/**
 * One entry point for HF folders: read `config.json`, pick the architecture from `model_type`,
 * build the model and load its safetensors.
 */
import { ConfigError } from '@llm/core';
import { readHfConfig } from './checkpoint.js';
import type { PretrainedModel } from './model.js';
import { Gpt2, gpt2ConfigFromHf } from './models/gpt2.js';

/** Build the model a `config.json` object describes, with uninitialised weights. */
export function modelFromHfConfig(raw: Record<string, unknown>, file = 'config.json'): PretrainedModel {
  const type = raw.model_type;
  switch (type) {
    case 'gpt2':
      return new Gpt2(gpt2ConfigFromHf(raw, file));
    default:
      throw new ConfigError(`unsupported model_type ${JSON.stringify(type)} (supported: gpt2, bert, t5, llama, mistral)`, { file, field: 'model_type' });
  }
}

/** Load an HF model folder (`config.json` + `model.safetensors` or sharded index). */
export async function loadPretrained(dir: string): Promise<PretrainedModel> {
  const { config, file } = await readHfConfig(dir);
  const model = modelFromHfConfig(config, file);
  try {
    await model.loadWeights(dir);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
