/**
 * Running GGUF files through llama.cpp (node-llama-cpp 3). Every file is opened and validated by
 * this package's reader first ({@link validateForLlamaCpp}), so a malformed file is a typed error
 * instead of llama.cpp aborting the process. Threads are always set explicitly.
 */
import { BackendError, CancelledError, InputError, throwIfAborted } from '@llm/core';
import type { ChatMessage, GenerateOptions, GenerateResult, LanguageModel, NextTokenLogits, StreamChunk } from '@llm/core';
import { GGUFFile } from '../gguf/reader.js';
import { validateForLlamaCpp, type LlamaCppCheck } from '../gguf/validate.js';
import type { ChatHistoryItem, ChatWrapper, GbnfJsonSchema, Llama, LlamaContext, LlamaContextSequence, LlamaEmbeddingContext, LlamaGrammar, LlamaModel, Token } from 'node-llama-cpp';

/** Generation options plus llama.cpp grammar constraints. */
export interface LlamaGenerateOptions extends GenerateOptions {
  /** A GBNF grammar the output must match. */
  grammar?: string;
  /** A JSON schema the output must match (node-llama-cpp's GBNF JSON-schema subset). */
  jsonSchema?: GbnfJsonSchema;
}

/** Options for {@link loadGGUF}. */
export interface LoadGGUFOptions {
  /** CPU threads for evaluation (required in spirit: default 2). */
  threads?: number;
  /**
   * `false` (CPU, default); `'cuda'` / `'vulkan'` to require node-llama-cpp's prebuilt binary for
   * that backend (`@node-llama-cpp/linux-x64-cuda`, installed as an optional dependency; it loads
   * only where the NVIDIA driver and a GPU are present, otherwise a `BackendError`); `'auto'` to
   * let node-llama-cpp try CUDA, then Vulkan, then fall back to the CPU binary. The backend actually
   * used is {@link LlamaCppModel.gpu}.
   */
  gpu?: false | 'auto' | 'cuda' | 'vulkan';
  /**
   * Layers to offload to the GPU when one is used: a number, `'max'` (all) or `'auto'` (as many as
   * fit in free VRAM, node-llama-cpp's estimate). Default `'max'`. Ignored on the CPU.
   */
  gpuLayers?: number | 'max' | 'auto';
  /** Context length; default the smaller of the model's and 512. */
  contextSize?: number;
  /** KV-cache precision; `F32` makes F32 files match a float reference to ~1e-6. Default `F16` (llama.cpp's default). */
  kvCacheType?: 'F32' | 'F16';
  /** Flash attention (converts Q to F16 on CPU); default off. */
  flashAttention?: boolean;
}

let llamaPromise: Map<string, Promise<Llama>> | undefined;

async function getLlamaFor(gpu: false | 'auto' | 'cuda' | 'vulkan'): Promise<Llama> {
  llamaPromise ??= new Map();
  const key = String(gpu);
  let p = llamaPromise.get(key);
  if (!p) {
    p = (async () => {
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      try {
        return await getLlama({ gpu, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
      } catch (err) {
        throw new BackendError(`node-llama-cpp could not load a ${gpu === false ? 'CPU' : gpu} binary: ${(err as Error).message}`, { cause: err });
      }
    })();
    llamaPromise.set(key, p);
  }
  return p;
}

/** A GGUF model loaded in llama.cpp, with one context and sequence. */
export class LlamaCppModel implements LanguageModel {
  readonly id: string;
  readonly vocabSize: number;
  readonly contextLength: number;
  /** The llama.cpp backend in use: `false` (CPU), `'cuda'`, `'vulkan'` or `'metal'`. */
  readonly gpu: false | string;
  /** Layers offloaded to the GPU (0 on the CPU). */
  readonly gpuLayers: number;

  private constructor(
    readonly path: string,
    readonly check: LlamaCppCheck,
    readonly threads: number,
    private model: LlamaModel,
    private context: LlamaContext,
    private sequence: LlamaContextSequence,
    private chatWrapper: ChatWrapper | undefined,
    private llama: Llama,
  ) {
    this.id = path;
    this.vocabSize = check.vocabSize;
    this.contextLength = context.contextSize;
    this.gpu = llama.gpu;
    this.gpuLayers = model.gpuLayers;
  }

  /** Validate `path` with this package's reader, then load it in llama.cpp. */
  static async load(path: string, options: LoadGGUFOptions = {}): Promise<LlamaCppModel> {
    const threads = options.threads ?? 2;
    if (!Number.isInteger(threads) || threads < 1) throw new InputError(`threads must be a positive integer, got ${threads}`, { field: 'threads' });
    const f = await GGUFFile.open(path);
    let check: LlamaCppCheck;
    let template: string | undefined;
    try {
      check = validateForLlamaCpp(f.header, path);
      const t = f.metadata.get('tokenizer.chat_template');
      if (t && t.kind === 'string') template = t.value;
    } finally {
      await f.close();
    }
    const llama = await getLlamaFor(options.gpu ?? false);
    const model = await llama.loadModel({ modelPath: path, gpuLayers: llama.gpu === false ? 0 : (options.gpuLayers ?? 'max') });
    const kv = options.kvCacheType ?? 'F16';
    const context = await model.createContext({
      contextSize: options.contextSize ?? Math.min(check.contextLength, 512),
      threads,
      flashAttention: options.flashAttention ?? false,
      experimentalKvCacheKeyType: kv,
      experimentalKvCacheValueType: kv,
    });
    let wrapper: ChatWrapper | undefined;
    if (template) {
      const { JinjaTemplateChatWrapper } = await import('node-llama-cpp');
      try {
        wrapper = new JinjaTemplateChatWrapper({ template });
      } catch {
        wrapper = undefined; // a template node-llama-cpp cannot render: fall back to plain rendering
      }
    }
    return new LlamaCppModel(path, check, threads, model, context, context.getSequence(), wrapper, llama);
  }

  /** llama.cpp's tokenization of `text` (no BOS added). */
  tokenize(text: string): number[] {
    return this.model.tokenize(text).map(Number);
  }

  /** Detokenize ids (`specialTokens`: render special tokens such as BOS as their text). */
  detokenize(ids: readonly number[], specialTokens = false): string {
    return this.model.detokenize(ids as Token[], specialTokens);
  }

  /** BOS id, if the vocab has one. */
  get bos(): number | undefined {
    const t = this.model.tokens.bos;
    return t === null ? undefined : Number(t);
  }

  /**
   * Next-token probabilities after every prefix `ids[0..i]` (one Float32Array per position),
   * straight from llama.cpp's logits (softmax at temperature 1, no truncation).
   */
  async probabilities(ids: readonly number[], signal?: AbortSignal): Promise<Float32Array[]> {
    throwIfAborted(signal);
    await this.sequence.clearHistory();
    const res = await this.sequence.controlledEvaluate(ids.map((id) => [id as Token, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }]));
    const out: Float32Array[] = [];
    for (const r of res) {
      const p = new Float32Array(this.vocabSize);
      const m = r?.next.probabilities;
      if (!m) throw new BackendError('node-llama-cpp returned no probabilities');
      for (const [tok, v] of m) p[Number(tok)] = v;
      out.push(p);
    }
    await this.sequence.clearHistory();
    return out;
  }

  /** Log-probabilities of the token after `ids` (log-softmax of llama.cpp's logits; same argmax and softmax as the logits). */
  async nextTokenLogits(ids: readonly number[]): Promise<NextTokenLogits> {
    const all = await this.probabilities(ids);
    const p = all[all.length - 1]!;
    const logits = new Float32Array(p.length);
    for (let i = 0; i < p.length; i++) logits[i] = Math.log(p[i]!);
    return { logits };
  }

  /**
   * Render chat messages with the GGUF's `tokenizer.chat_template` (Jinja, through node-llama-cpp's
   * JinjaTemplateChatWrapper); without a template, a plain `role: content` rendering.
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
    if (this.chatWrapper) {
      const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem => (m.role === 'system' ? { type: 'system', text: m.content } : m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: 'user', text: m.content }));
      if (options.addGenerationPrompt !== false) history.push({ type: 'model', response: [] });
      // LlamaText keeps BOS/EOS as special-token objects (toString() prints "BOS"): render them as
      // the vocabulary's own strings, through llama.cpp's tokenizer and detokenizer.
      const text = this.chatWrapper.generateContextState({ chatHistory: history }).contextText;
      return this.model.detokenize(text.tokenize(this.model.tokenizer), true);
    }
    return messages.map((m) => `${m.role}: ${m.content}\n`).join('') + (options.addGenerationPrompt === false ? '' : 'assistant: ');
  }

  private embeddingContext: LlamaEmbeddingContext | undefined;

  /** An embedding of `text` from the model's final hidden states (llama.cpp's embedding context). */
  async embed(text: string): Promise<Float32Array> {
    this.embeddingContext ??= await this.model.createEmbeddingContext({ threads: this.threads, contextSize: Math.min(this.contextLength, 512) });
    const e = await this.embeddingContext.getEmbeddingFor(text);
    return Float32Array.from(e.vector);
  }

  private async grammarFor(options: LlamaGenerateOptions): Promise<LlamaGrammar | undefined> {
    if (options.grammar !== undefined && options.jsonSchema !== undefined) throw new InputError('give either grammar or jsonSchema, not both', { field: 'grammar' });
    if (options.jsonSchema !== undefined) {
      // node-llama-cpp's signature infers a literal schema type; a runtime schema goes through a plain signature.
      const create = this.llama.createGrammarForJsonSchema.bind(this.llama) as (schema: GbnfJsonSchema) => Promise<LlamaGrammar>;
      return create(options.jsonSchema);
    }
    if (options.grammar !== undefined) return this.llama.createGrammar({ grammar: options.grammar });
    return undefined;
  }

  /** Stream a completion of `prompt` (optionally constrained by a GBNF grammar or a JSON schema). */
  async *stream(prompt: string, options: LlamaGenerateOptions = {}): AsyncIterable<StreamChunk> {
    const maxTokens = options.maxTokens ?? 32;
    const ids = this.tokenize(prompt);
    // As llama.cpp does: BOS only where the vocab asks for it (tokenizer.ggml.add_bos_token; GPT-2-style
    // BPE vocabularies have <|endoftext|> as BOS but do not prepend it).
    if (this.bos !== undefined && this.model.tokens.shouldPrependBosToken) ids.unshift(this.bos);
    await this.sequence.clearHistory();
    const eos = this.model.tokens.eos;
    let n = 0;
    let text = '';
    // Incremental detokenization: tokens wait in `pending` while they end inside a UTF-8 sequence;
    // `lastTokens` (the few tokens before) lets llama.cpp's detokenizer put spaces as in the whole text.
    let pending: Token[] = [];
    let lastTokens: Token[] = [];
    const maxStop = Math.max(0, ...(options.stop ?? []).map((x) => x.length));
    const grammar = await this.grammarFor(options);
    const { LlamaGrammarEvaluationState } = await import('node-llama-cpp');
    const grammarEvaluationState = grammar ? new LlamaGrammarEvaluationState({ model: this.model, grammar }) : undefined;
    const it = this.sequence.evaluate(ids as Token[], { temperature: options.temperature ?? 0, topK: options.topK, topP: options.topP, seed: options.seed, grammarEvaluationState });
    try {
      for await (const tok of it) {
        if (options.signal?.aborted) { yield { text: '', token: Number(tok), finishReason: 'cancelled' }; throw new CancelledError(); }
        if (tok === eos) { yield { text: '', token: Number(tok), finishReason: 'stop' }; return; }
        n++;
        pending.push(tok);
        let piece = this.model.detokenize(pending, false, lastTokens);
        if (piece.endsWith('\uFFFD') && n < maxTokens) piece = '';
        else {
          lastTokens = [...lastTokens, ...pending].slice(-8);
          pending = [];
        }
        text += piece;
        if (piece && options.stop?.some((s) => text.slice(Math.max(0, text.length - piece.length - maxStop)).includes(s))) { yield { text: piece, token: Number(tok), finishReason: 'stop' }; return; }
        if (n >= maxTokens) { yield { text: piece, token: Number(tok), finishReason: 'length' }; return; }
        yield { text: piece, token: Number(tok) };
      }
    } finally {
      await it.return(undefined);
      await this.sequence.clearHistory();
    }
  }

  /** Generate a completion of `prompt` (greedy unless `temperature` > 0). */
  async generate(prompt: string, options: LlamaGenerateOptions = {}): Promise<GenerateResult> {
    const tokens: number[] = [];
    let text = '';
    let finishReason: GenerateResult['finishReason'] = 'length';
    for await (const c of this.stream(prompt, options)) {
      if (c.finishReason !== 'stop' || c.text) { tokens.push(c.token); text += c.text; }
      if (c.finishReason) finishReason = c.finishReason;
    }
    if (options.stop) for (const s of options.stop) { const i = text.indexOf(s); if (i >= 0) text = text.slice(0, i); }
    return { text, tokens, finishReason, usage: { promptTokens: this.tokenize(prompt).length, completionTokens: tokens.length } };
  }

  /** Greedy continuation of token ids (for benchmarks): returns the new ids and tokens/second. */
  async greedy(ids: readonly number[], maxTokens: number): Promise<{ tokens: number[]; tokensPerSecond: number }> {
    await this.sequence.clearHistory();
    const out: number[] = [];
    let t0 = 0;
    for await (const tok of this.sequence.evaluate(ids as Token[], { temperature: 0 })) {
      if (out.length === 0) t0 = performance.now();
      out.push(Number(tok));
      if (out.length >= maxTokens + 1) break;
    }
    const dt = (performance.now() - t0) / 1000;
    await this.sequence.clearHistory();
    return { tokens: out.slice(0, maxTokens), tokensPerSecond: (out.length - 1) / dt };
  }

  /** Free the context and model. */
  async dispose(): Promise<void> {
    await this.embeddingContext?.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}

/** Validate and load a GGUF in llama.cpp. */
export function loadGGUF(path: string, options: LoadGGUFOptions = {}): Promise<LlamaCppModel> {
  return LlamaCppModel.load(path, options);
}
