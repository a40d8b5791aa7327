/**
 * Chat templates: the Jinja `chat_template` string of an HF `tokenizer_config.json`, rendered
 * with `@huggingface/jinja` (the renderer transformers.js uses) and the variables HF passes:
 * `messages`, `add_generation_prompt`, `bos_token`, `eos_token` and the other special tokens.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { FormatError, type ChatMessage } from '@llm/core';

/** A parsed chat template plus the special-token strings it refers to. */
export interface ChatTemplate {
  /** The Jinja source. */
  source: string;
  /** Extra variables (bos_token, eos_token, …). */
  variables: Record<string, string>;
}

/** ChatML, used when a tokenizer_config.json has no template. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Render `messages` with a template. */
export function renderChatTemplate(template: ChatTemplate, messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
  let t: Template;
  try {
    t = new Template(template.source);
  } catch (err) {
    throw new FormatError('chat_template', `cannot parse the Jinja template (${(err as Error).message})`, { field: 'chat_template' }, { cause: err });
  }
  return t.render({ ...template.variables, messages: messages.map((m) => ({ ...m })), add_generation_prompt: options.addGenerationPrompt ?? true });
}

function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/**
 * Read the chat template of a model folder's `tokenizer_config.json` (a string, or HF's list of
 * `{name, template}` where `default` is used). Falls back to ChatML when the file or the key is absent.
 */
export async function loadChatTemplate(dir: string): Promise<ChatTemplate> {
  const file = join(dir, 'tokenizer_config.json');
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new FormatError('tokenizer_config.json', `cannot read (${(err as Error).message})`, { file }, { cause: err });
  }
  const variables: Record<string, string> = {};
  for (const k of ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token']) {
    const s = tokenString(raw[k]);
    if (s !== undefined) variables[k] = s;
  }
  let source: string | undefined;
  const ct = raw.chat_template;
  if (typeof ct === 'string') source = ct;
  else if (Array.isArray(ct)) {
    const entry = (ct as Array<{ name?: unknown; template?: unknown }>).find((e) => e.name === 'default') ?? ct[0];
    if (typeof entry?.template !== 'string') throw new FormatError('tokenizer_config.json', 'chat_template list entries need a string "template"', { file, field: 'chat_template' });
    source = entry.template;
  } else if (ct !== undefined && ct !== null) {
    throw new FormatError('tokenizer_config.json', 'chat_template must be a string or a list of {name, template}', { file, field: 'chat_template' });
  }
  return { source: source ?? CHATML_TEMPLATE, variables };
}
