/**
 * From a model folder to a `LanguageModel`: the model (`loadCausalLM`), its tokenizer and its
 * chat template (`tokenizer_config.json`).
 *
 * `tokenizer.json` parsing lives in `@llm/tokenize`. Until it is wired here, a loader is
 * registered with {@link setTokenizerLoader} (the CLI does this), or a `Tokenizer` is passed in.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Tokenizer } from '@llm/core';
import { HfTokenizer } from '@llm/tokenize';
import { loadChatTemplate } from './chat-template.js';
import { loadCausalLM } from './hub.js';
import { TransformerLanguageModel, type TransformerLanguageModelOptions } from './language-model.js';

/** Reads a folder's `tokenizer.json` into a `Tokenizer`. */
export type TokenizerLoader = (dir: string) => Promise<Tokenizer>;

let tokenizerLoader: TokenizerLoader | undefined;

/** Register how `tokenizer.json` folders are read (e.g. `@llm/tokenize`'s loader). */
export function setTokenizerLoader(loader: TokenizerLoader | undefined): void {
  tokenizerLoader = loader;
}

/**
 * Load the tokenizer of a model folder: its `tokenizer.json`, read by `@llm/tokenize` (or by the
 * loader registered with {@link setTokenizerLoader}).
 */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  if (tokenizerLoader) return tokenizerLoader(dir);
  const file = join(dir, 'tokenizer.json');
  if (!existsSync(file)) throw new ConfigError('the model folder has no tokenizer.json; pass token ids instead of text, or a Tokenizer', { file: dir, field: 'tokenizer.json' });
  return HfTokenizer.load(file);
}

/** Where a causal model runs: tfjs (training, small runs) or onnxruntime-node on `DIR/onnx/model.onnx`. */
export type InferenceBackend = 'tfjs' | 'onnx';

/**
 * Load a GPT-2 / LLaMA folder as a `LanguageModel` (tokenizer from `options.tokenizer` or the
 * registered loader). `backend` picks the inference path in this one place: `tfjs` (default) or
 * `onnx` (an exported folder, see `exportOnnx`). GGUF models run through `@llm/quant`.
 */
export async function loadLanguageModel(dir: string, options: TransformerLanguageModelOptions & { tokenizer?: Tokenizer; backend?: InferenceBackend } = {}): Promise<TransformerLanguageModel> {
  const model = options.backend === 'onnx' ? await (await import('./onnx/runtime.js')).OnnxCausalLM.load(dir) : await loadCausalLM(dir);
  try {
    const tokenizer = options.tokenizer ?? (await loadTokenizer(dir));
    const chatTemplate = options.chatTemplate ?? (await loadChatTemplate(dir));
    return new TransformerLanguageModel(model, tokenizer, { id: dir, ...options, chatTemplate });
  } catch (err) {
    model.dispose();
    throw err;
  }
}
