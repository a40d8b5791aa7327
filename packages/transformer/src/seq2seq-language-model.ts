/**
 * `LanguageModel` for an encoder–decoder model (T5): the prompt is the encoder input, the
 * completion is what the decoder writes. Greedy/sampling streams token by token with the decoder
 * cache; with `numBeams > 1` the best beam (length-penalised) is returned, streamed after the search.
 */
import { InputError, tf, throwIfAborted, type ChatMessage, type GenerateOptions, type GenerateResult, type LanguageModel, type NextTokenLogits, type StreamChunk, type Tokenizer } from '@llm/core';
import { CHATML_TEMPLATE, renderChatTemplate, type ChatTemplate } from './chat-template.js';
import { seq2seqGenerate, seq2seqIds } from './generate.js';
import { collectStream, streamText } from './language-model.js';
import type { Seq2SeqLM } from './model.js';

/** Options for {@link Seq2SeqLanguageModel}. */
export interface Seq2SeqLanguageModelOptions {
  id?: string;
  chatTemplate?: ChatTemplate;
  /** Beam search width (1 = greedy / sampling, streamed token by token). */
  numBeams?: number;
  /** Beam length penalty (HF default 1). */
  lengthPenalty?: number;
  /** Longest encoder input accepted (T5 has relative positions, so this is a policy). Default 512. */
  contextLength?: number;
}

/** An encoder–decoder model with a tokenizer, as a `LanguageModel`. */
export class Seq2SeqLanguageModel implements LanguageModel {
  readonly id: string;
  readonly contextLength: number;
  private readonly template: ChatTemplate;

  constructor(readonly model: Seq2SeqLM, readonly tokenizer: Tokenizer, private readonly options: Seq2SeqLanguageModelOptions = {}) {
    this.id = options.id ?? 'seq2seq';
    this.contextLength = options.contextLength ?? 512;
    this.template = options.chatTemplate ?? { source: CHATML_TEMPLATE, variables: {} };
    if (tokenizer.vocabSize > model.vocabSize) throw new InputError(`tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${model.vocabSize}`, { field: 'vocab_size' });
  }

  get vocabSize(): number { return this.model.vocabSize; }

  tokenize(text: string): number[] {
    return this.tokenizer.encode(text).ids;
  }

  /** Logits of the decoder's first token for encoder input `ids`. */
  async nextTokenLogits(ids: readonly number[]): Promise<NextTokenLogits> {
    if (ids.length === 0) throw new InputError('need at least one token id');
    for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= this.model.vocabSize) throw new InputError(`token id ${id} is outside the vocabulary (0..${this.model.vocabSize - 1})`);
    const t = tf.tidy(() => tf.reshape(this.model.decode([[this.model.decoderStartTokenId]], this.model.encode([ids])), [this.model.vocabSize]));
    const logits = (await t.data()) as Float32Array;
    t.dispose();
    return { logits };
  }

  applyChatTemplate(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string {
    return renderChatTemplate(this.template, messages, options);
  }

  async generate(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    let n = 0;
    return collectStream(this.streamInternal(prompt, options, (k) => { n = k; }), () => n);
  }

  stream(prompt: string, options: GenerateOptions = {}): AsyncIterable<StreamChunk> {
    return this.streamInternal(prompt, options, () => undefined);
  }

  private async *streamInternal(prompt: string, options: GenerateOptions, onPrompt: (n: number) => void): AsyncGenerator<StreamChunk> {
    throwIfAborted(options.signal);
    const ids = this.tokenize(prompt);
    if (ids.length === 0) throw new InputError('the prompt encodes to no tokens');
    if (ids.length > this.contextLength) throw new InputError(`the prompt has ${ids.length} tokens, more than the context length ${this.contextLength}`);
    onPrompt(ids.length);
    const sampling = {
      maxTokens: options.maxTokens ?? 64, temperature: options.temperature ?? 1, topK: options.topK, topP: options.topP,
      repetitionPenalty: options.repetitionPenalty, seed: options.seed, signal: options.signal,
    };
    const beams = this.options.numBeams ?? 1;
    let gen: AsyncGenerator<number, 'stop' | 'length'>;
    if (beams > 1) {
      const best = await seq2seqGenerate(this.model, ids, { ...sampling, numBeams: beams, lengthPenalty: this.options.lengthPenalty });
      const eos = new Set(this.model.eosTokenIds);
      gen = (async function* replay(): AsyncGenerator<number, 'stop' | 'length'> {
        for (const id of best.ids) yield id;
        return best.ids.length > 0 && eos.has(best.ids[best.ids.length - 1]!) ? 'stop' : 'length';
      })();
    } else {
      gen = seq2seqIds(this.model, ids, sampling);
    }
    yield* streamText(gen, this.tokenizer, this.model.eosTokenIds, options.stop ?? []);
  }
}
