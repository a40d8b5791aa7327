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

/** A chat message as a template sees it, with a free-form role name (`tool_response`, …) and string content. */
export interface TemplateMessage {
  role: string;
  content: string;
}

/** Options of {@link renderChatTemplate}. */
export interface RenderChatOptions {
  /** Append the assistant header the model continues from (default true). */
  addGenerationPrompt?: boolean;
  /**
   * `auto` (default) does what llama.cpp does: when the template ignores or rejects a system
   * message ({@link supportsSystemRole} is false), a leading system message is merged into the
   * next message as `system + "\n" + content` (or dropped when it is alone). `keep` passes the
   * messages unchanged (what transformers' `apply_chat_template` does).
   */
  systemRole?: 'auto' | 'keep';
  /** Extra template variables, e.g. `{ tools: [] }` for tool-use templates that loop over `tools`. */
  context?: Record<string, unknown>;
}

function parseTemplate(source: string): Template {
  try {
    return new Template(source);
  } catch (err) {
    throw new FormatError('chat_template', `cannot parse the Jinja template (${(err as Error).message})`, { field: 'chat_template' }, { cause: err });
  }
}

const SYSTEM_PROBE = 'System message \u0001probe';

/**
 * Whether a template renders a leading system message: a probe conversation (system, user) is
 * rendered and the system text must appear in the output; a template that throws on it (e.g.
 * "System role not supported") does not support it. The same check as llama.cpp's template caps.
 */
export function supportsSystemRole(template: ChatTemplate, context: Record<string, unknown> = {}): boolean {
  const t = parseTemplate(template.source);
  try {
    return t.render({ ...context, ...template.variables, messages: [{ role: 'system', content: SYSTEM_PROBE }, { role: 'user', content: 'User message' }], add_generation_prompt: true }).includes(SYSTEM_PROBE);
  } catch {
    return false;
  }
}

/**
 * Render `messages` with a template (the variables HF passes: `messages`,
 * `add_generation_prompt`, plus the template's special tokens). A template that raises
 * (`raise_exception`) or fails at run time is a `FormatError` naming the template error.
 */
export function renderChatTemplate(template: ChatTemplate, messages: readonly TemplateMessage[], options: RenderChatOptions = {}): string {
  const t = parseTemplate(template.source);
  let msgs = messages.map((m) => ({ ...m }));
  if ((options.systemRole ?? 'auto') === 'auto' && msgs[0]?.role === 'system' && !supportsSystemRole(template, options.context)) {
    msgs = msgs.length > 1 ? [{ ...msgs[1]!, content: `${msgs[0].content}\n${msgs[1]!.content}` }, ...msgs.slice(2)] : [];
  }
  try {
    return t.render({ ...options.context, ...template.variables, messages: msgs, add_generation_prompt: options.addGenerationPrompt ?? true });
  } catch (err) {
    throw new FormatError('chat_template', `the template failed to render (${(err as Error).message})`, { field: 'chat_template' }, { cause: err });
  }
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
