/**
 * From a model folder to a `LanguageModel`: the model (`loadCausalLM`), its tokenizer and its
 * chat template (`tokenizer_config.json`).
 *
 * `tokenizer.json` parsing lives in `@llm/tokenize`. Until it is wired here, a loader is
 * registered with {@link setTokenizerLoader} (the CLI does this), or a `Tokenizer` is passed in.
 */
import { ConfigError, type Tokenizer } from '@llm/core';
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

/** Load the tokenizer of a model folder through the registered loader. */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  if (!tokenizerLoader) throw new ConfigError('no tokenizer.json loader is registered (call setTokenizerLoader with @llm/tokenize\'s loader), or pass token ids instead of text', { file: dir, field: 'tokenizer.json' });
  return tokenizerLoader(dir);
}

/** Load a GPT-2 / LLaMA folder as a `LanguageModel` (tokenizer from `options.tokenizer` or the registered loader). */
export async function loadLanguageModel(dir: string, options: TransformerLanguageModelOptions & { tokenizer?: Tokenizer } = {}): Promise<TransformerLanguageModel> {
  const model = await loadCausalLM(dir);
  try {
    const tokenizer = options.tokenizer ?? (await loadTokenizer(dir));
    const chatTemplate = options.chatTemplate ?? (await loadChatTemplate(dir));
    return new TransformerLanguageModel(model, tokenizer, { id: dir, ...options, chatTemplate });
  } catch (err) {
    model.dispose();
    throw err;
  }
}
