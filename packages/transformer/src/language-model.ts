/**
 * `LanguageModel` (the `@llm/core` spec) for a tfjs causal model (GPT-2, LLaMA) plus any
 * `Tokenizer`: text in, text out, with stop strings, streaming and cancellation.
 *
 * Streaming decodes the whole completion after each token and emits only the new, *settled*
 * text: a trailing U+FFFD (an incomplete UTF-8 sequence) and any suffix that could still grow
 * into a stop string are held back until the next token decides them.
 */
import { InputError, throwIfAborted, type ChatMessage, type GenerateOptions, type GenerateResult, type LanguageModel, type NextTokenLogits, type StreamChunk, type Tokenizer } from '@llm/core';
import { CHATML_TEMPLATE, renderChatTemplate, type ChatTemplate } from './chat-template.js';
import { generateIds, nextTokenLogits } from './generate.js';
import type { AsyncCausalLM, CausalLM } from './model.js';

/** Options for {@link TransformerLanguageModel}. */
export interface TransformerLanguageModelOptions {
  /** Identifier reported as `id`. */
  id?: string;
  /** Chat template (default ChatML). */
  chatTemplate?: ChatTemplate;
  /** Pass `addSpecialTokens` to the tokenizer when encoding prompts (default true: BOS for LLaMA). */
  addSpecialTokens?: boolean;
  /** OpenAI-style presence penalty (not in the core `GenerateOptions`). */
  presencePenalty?: number;
}

/** Longest suffix of `text` that is a proper prefix of some stop string. */
function heldBackLength(text: string, stops: readonly string[]): number {
  let hold = 0;
  for (const s of stops) {
    for (let n = Math.min(s.length - 1, text.length); n > hold; n--) {
      if (text.endsWith(s.slice(0, n))) {
        hold = n;
        break;
      }
    }
  }
  return hold;
}

/** A causal transformer with a tokenizer, as a `LanguageModel`. */
export class TransformerLanguageModel implements LanguageModel {
  readonly id: string;
  private readonly template: ChatTemplate;

  constructor(readonly model: CausalLM | AsyncCausalLM, readonly tokenizer: Tokenizer, private readonly options: TransformerLanguageModelOptions = {}) {
    this.id = options.id ?? 'transformer';
    this.template = options.chatTemplate ?? { source: CHATML_TEMPLATE, variables: {} };
    if (tokenizer.vocabSize > model.vocabSize) {
      throw new InputError(`tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${model.vocabSize}`, { field: 'vocab_size' });
    }
  }

  get vocabSize(): number { return this.model.vocabSize; }
  get contextLength(): number { return this.model.contextLength; }

  tokenize(text: string): number[] {
    return this.tokenizer.encode(text, undefined, { addSpecialTokens: this.options.addSpecialTokens ?? true }).ids;
  }

  async nextTokenLogits(ids: readonly number[]): Promise<NextTokenLogits> {
    return { logits: await nextTokenLogits(this.model, ids) };
  }

  applyChatTemplate(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string {
    return renderChatTemplate(this.template, messages, options);
  }

  async generate(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    let text = '';
    const tokens: number[] = [];
    let finishReason: GenerateResult['finishReason'] = 'length';
    let promptTokens = 0;
    for await (const chunk of this.streamInternal(prompt, options, (n) => { promptTokens = n; })) {
      text += chunk.text;
      tokens.push(chunk.token);
      if (chunk.finishReason) finishReason = chunk.finishReason;
    }
    return { text, tokens, finishReason, usage: { promptTokens, completionTokens: tokens.length } };
  }

  stream(prompt: string, options: GenerateOptions = {}): AsyncIterable<StreamChunk> {
    return this.streamInternal(prompt, options, () => undefined);
  }

  /** Stream with a callback per chunk; resolves to the full result. */
  async generateWithCallback(prompt: string, onChunk: (chunk: StreamChunk) => void, options: GenerateOptions = {}): Promise<GenerateResult> {
    let text = '';
    const tokens: number[] = [];
    let finishReason: GenerateResult['finishReason'] = 'length';
    let promptTokens = 0;
    for await (const chunk of this.streamInternal(prompt, options, (n) => { promptTokens = n; })) {
      onChunk(chunk);
      text += chunk.text;
      tokens.push(chunk.token);
      if (chunk.finishReason) finishReason = chunk.finishReason;
    }
    return { text, tokens, finishReason, usage: { promptTokens, completionTokens: tokens.length } };
  }

  private async *streamInternal(prompt: string, options: GenerateOptions, onPrompt: (n: number) => void): AsyncGenerator<StreamChunk> {
    throwIfAborted(options.signal);
    const ids = this.tokenize(prompt);
    if (ids.length === 0) throw new InputError('the prompt encodes to no tokens');
    onPrompt(ids.length);
    const stops = (options.stop ?? []).filter((s) => s.length > 0);
    const gen = generateIds(this.model, ids, {
      maxTokens: options.maxTokens ?? 64,
      temperature: options.temperature ?? 1,
      topK: options.topK,
      topP: options.topP,
      repetitionPenalty: options.repetitionPenalty,
      presencePenalty: this.options.presencePenalty,
      seed: options.seed,
      signal: options.signal,
    });
    const out: number[] = [];
    let emitted = 0; // characters of the completion already sent
    const eos = new Set(this.model.eosTokenIds);
    let pending: StreamChunk | undefined;
    try {
      while (true) {
        const r = await gen.next();
        if (r.done) {
          if (out.length === 0) return;
          // Flush what was held back (no stop string completed).
          const full = this.tokenizer.decode(out.filter((t) => !eos.has(t)), { skipSpecialTokens: true });
          const last = pending ?? { text: '', token: out[out.length - 1] ?? -1 };
          yield { text: last.text + full.slice(emitted), token: last.token, finishReason: r.value };
          return;
        }
        if (pending) yield pending;
        pending = undefined;
        out.push(r.value);
        const full = this.tokenizer.decode(out.filter((t) => !eos.has(t)), { skipSpecialTokens: true });
        const hit = stops.map((s) => full.indexOf(s, Math.max(0, emitted - s.length))).filter((i) => i >= 0);
        if (hit.length > 0) {
          const cut = Math.min(...hit);
          yield { text: full.slice(emitted, Math.max(emitted, cut)), token: r.value, finishReason: 'stop' };
          await gen.return('stop');
          return;
        }
        let settled = full.length - heldBackLength(full, stops);
        if (full.endsWith('\uFFFD')) settled = Math.min(settled, full.length - 1);
        pending = { text: full.slice(emitted, Math.max(emitted, settled)), token: r.value };
        emitted = Math.max(emitted, settled);
      }
    } finally {
      // Ends the generator (and frees its KV cache) when the consumer stops early or an error is thrown.
      await gen.return('stop');
    }
  }
}
