/**
 * Prompting: zero-shot and few-shot prompt builders (as plain text for a base model, or as chat
 * messages for a chat template), and a minimal client for any OpenAI-compatible endpoint
 * (`/v1/chat/completions`, `/v1/completions`: OpenAI with a key, a local GGUF served by
 * node-llama-cpp / llama.cpp's server, or `@llm/serve`).
 */
import { FormatError, InputError, NotFoundError, tf, throwIfAborted } from '@llm/core';
import type { ChatMessage, Tensor, Tokenizer } from '@llm/core';

/** One demonstration of a task. */
export interface Shot {
  input: string;
  output: string;
}

/** How a prompt is laid out. */
export interface PromptFormat {
  /** Instruction placed first (e.g. "Translate Spanish to English."). */
  instruction?: string;
  /** Label before each input (default `Input:`). */
  inputLabel?: string;
  /** Label before each output (default `Output:`). */
  outputLabel?: string;
  /** Between demonstrations (default a blank line). */
  separator?: string;
}

/** A zero-shot text prompt: instruction, the input, and the output label to complete. */
export function zeroShotPrompt(input: string, format: PromptFormat = {}): string {
  return fewShotPrompt([], input, format);
}

/** A few-shot text prompt: instruction, `shots` as input/output pairs, then the input and the output label. */
export function fewShotPrompt(shots: readonly Shot[], input: string, format: PromptFormat = {}): string {
  const il = format.inputLabel ?? 'Input:';
  const ol = format.outputLabel ?? 'Output:';
  const sep = format.separator ?? '\n\n';
  const parts: string[] = [];
  if (format.instruction) parts.push(format.instruction);
  for (const s of shots) parts.push(`${il} ${s.input}\n${ol} ${s.output}`);
  parts.push(`${il} ${input}\n${ol}`);
  return parts.join(sep);
}

/** The same few-shot prompt as chat messages (system instruction, user/assistant turns per shot). */
export function fewShotMessages(shots: readonly Shot[], input: string, instruction?: string): ChatMessage[] {
  const m: ChatMessage[] = [];
  if (instruction) m.push({ role: 'system', content: instruction });
  for (const s of shots) m.push({ role: 'user', content: s.input }, { role: 'assistant', content: s.output });
  m.push({ role: 'user', content: input });
  return m;
}

/** A causal LM as {@link scoreChoices} needs it: logits `[batch, time, vocab]` for token ids. */
export interface ScoringModel {
  forward(ids: readonly (readonly number[])[]): Tensor;
  /** Longest sequence the model takes (the prompt is cut from the left to fit). */
  readonly contextLength: number;
}

/** What {@link scoreChoices} returns. */
export interface ChoiceScores {
  /** Sum of the log-probabilities of each choice's tokens after the prompt. */
  logProbs: number[];
  /** The same divided by the choice's token count. */
  meanLogProbs: number[];
  /** Index of the highest `logProbs` (the model's answer). */
  best: number;
}

/**
 * Multiple-choice scoring of a base model (lm-evaluation-harness `acc`): each choice is appended
 * to the prompt and its tokens' log-probabilities summed; the best sum is the answer. Prompt and
 * choice are tokenised separately (no special tokens); the prompt is cut from the left so that
 * every sequence fits `model.contextLength`.
 */
export function scoreChoices(model: ScoringModel, tokenizer: Pick<Tokenizer, 'encode'>, prompt: string, choices: readonly string[]): ChoiceScores {
  if (choices.length === 0) throw new InputError('scoreChoices needs at least one choice', { field: 'choices' });
  const enc = (t: string) => tokenizer.encode(t, undefined, { addSpecialTokens: false }).ids;
  const cont = choices.map(enc);
  const longest = Math.max(...cont.map((c) => c.length));
  if (cont.some((c) => c.length === 0)) throw new InputError('a choice encodes to no tokens', { field: 'choices' });
  if (longest >= model.contextLength) throw new InputError(`a choice is ${longest} tokens, the model's context is ${model.contextLength}`, { field: 'choices' });
  const p = enc(prompt);
  const ctx = p.slice(Math.max(0, p.length - (model.contextLength - longest)));
  if (ctx.length === 0) throw new InputError('the prompt encodes to no tokens', { field: 'prompt' });
  const rows = cont.map((c) => [...ctx, ...c]);
  const width = Math.max(...rows.map((r) => r.length));
  const padded = rows.map((r) => [...r, ...new Array<number>(width - r.length).fill(r[r.length - 1]!)]);
  const lp = tf.tidy(() => tf.logSoftmax(model.forward(padded), -1));
  const values = lp.arraySync() as number[][][];
  lp.dispose();
  const logProbs = cont.map((c, i) => c.reduce((sum, id, j) => sum + values[i]![ctx.length - 1 + j]![id]!, 0));
  const meanLogProbs = logProbs.map((v, i) => v / cont[i]!.length);
  const best = logProbs.reduce((b, v, i) => (v > logProbs[b]! ? i : b), 0);
  return { logProbs, meanLogProbs, best };
}

/** Connection settings of {@link OpenAiCompatibleClient}. */
export interface EndpointOptions {
  /** Base URL up to and including `/v1`, e.g. `http://127.0.0.1:8080/v1` or `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Bearer key (OpenAI); local servers usually need none. */
  apiKey?: string;
  model: string;
  /** Abort a request after this many ms (default 120 000). */
  timeoutMs?: number;
}

/** Sampling settings sent with each request. */
export interface CompletionParams {
  maxTokens?: number;
  temperature?: number;
  stop?: string[];
  signal?: AbortSignal;
}

/** A minimal OpenAI-compatible client (chat and text completions, non-streaming). */
export class OpenAiCompatibleClient {
  constructor(readonly options: EndpointOptions) {
    if (!/^https?:\/\//.test(options.baseUrl)) throw new InputError(`baseUrl must start with http:// or https://, got '${options.baseUrl}'`, { field: 'baseUrl' });
  }

  private async post(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    throwIfAborted(signal);
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}${path}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 120_000);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) },
      body: JSON.stringify({ model: this.options.model, ...body }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await res.text();
    if (res.status === 404) throw new NotFoundError(`${url} answered 404: ${text.slice(0, 200)}`, { file: url });
    if (!res.ok) throw new FormatError('openai-http', `${url} answered ${res.status}: ${text.slice(0, 200)}`, { file: url });
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new FormatError('openai-http', `${url} answered with invalid JSON`, { file: url }, { cause: err });
    }
  }

  /** `POST /chat/completions`; returns the first choice's message content. */
  async chat(messages: readonly ChatMessage[], params: CompletionParams = {}): Promise<string> {
    const r = await this.post('/chat/completions', { messages, max_tokens: params.maxTokens ?? 64, temperature: params.temperature ?? 0, ...(params.stop ? { stop: params.stop } : {}) }, params.signal);
    const content = (r.choices as Array<{ message?: { content?: unknown } }> | undefined)?.[0]?.message?.content;
    if (typeof content !== 'string') throw new FormatError('openai-http', 'response has no choices[0].message.content', { field: 'choices[0].message.content' });
    return content;
  }

  /** `POST /completions` (a text prompt, for base models); returns the first choice's text. */
  async complete(prompt: string, params: CompletionParams = {}): Promise<string> {
    const r = await this.post('/completions', { prompt, max_tokens: params.maxTokens ?? 64, temperature: params.temperature ?? 0, ...(params.stop ? { stop: params.stop } : {}) }, params.signal);
    const text = (r.choices as Array<{ text?: unknown }> | undefined)?.[0]?.text;
    if (typeof text !== 'string') throw new FormatError('openai-http', 'response has no choices[0].text', { field: 'choices[0].text' });
    return text;
  }
}
