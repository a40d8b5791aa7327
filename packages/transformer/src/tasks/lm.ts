/**
 * A small GPT on Jane Austen: LLaMA architecture (RMSNorm, RoPE, SwiGLU — so `@llm/quant` can
 * write it as GGUF and `@llm/lora` can fine-tune it), trained from scratch with either a
 * character-level vocabulary (byte-level BPE with no merges: the 256 byte symbols, which for
 * Austen's text are its characters) or a trained byte-level BPE. Validation perplexity per token
 * and per character, a curve, and samples.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, Rng, loadText, writeJsonAtomic, type Tensor } from '@llm/core';
import { trainBpe, type HfTokenizer } from '@llm/tokenize';
import { Llama, type LlamaConfig } from '../models/llama.js';
import { causalLmLoss } from '../train.js';
import { generateIds } from '../generate.js';
import { meanLoss, trainLoop, writeCurve, type CurvePoint } from './common.js';

/** Settings of {@link trainAustenGpt}. */
export interface LmOptions {
  /** `char` (256 byte symbols + `<|endoftext|>`) or `bpe` (default `char`). */
  tokenizer?: 'char' | 'bpe';
  /** BPE vocabulary (default 2000; ignored for `char`). */
  vocabSize?: number;
  /** Context length in tokens (default 128). */
  context?: number;
  hiddenSize?: number;
  layers?: number;
  heads?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  /** Use only the first this many characters of the corpus (default all ~4.3 M). */
  maxChars?: number;
  /** Validation windows (default 32). */
  evalWindows?: number;
  evalEvery?: number;
  seed?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Text to use instead of the bundled Austen novels (tests). */
  text?: string;
}

/** `lm.json`: how the model was trained and its validation numbers. */
export interface LmMeta {
  task: 'lm';
  tokenizer: 'char' | 'bpe';
  architecture: 'llama';
  trainTokens: number;
  valTokens: number;
  valChars: number;
  /** Final validation loss (nats/token), perplexity per token, and bits per character. */
  valLoss: number;
  valPerplexity: number;
  bitsPerChar: number;
  options: Record<string, number | string>;
  curve: CurvePoint[];
  trainSeconds: number;
}

/** A trained Austen GPT. */
export interface AustenGpt {
  model: Llama;
  tokenizer: HfTokenizer;
  meta: LmMeta;
}

/**
 * Split a text into the last 5% (validation) and the rest (training) at a paragraph boundary,
 * so validation is unseen running text.
 */
export function splitTextTail(text: string, fraction = 0.05): { train: string; val: string } {
  let cut = Math.floor(text.length * (1 - fraction));
  const para = text.indexOf('\n\n', cut);
  if (para > 0 && para < text.length - 100) cut = para;
  return { train: text.slice(0, cut), val: text.slice(cut) };
}

/** Train a LLaMA-architecture GPT on Austen. */
export async function trainAustenGpt(options: LmOptions = {}): Promise<AustenGpt> {
  const o = { tokenizer: 'char' as const, vocabSize: 2000, context: 128, hiddenSize: 128, layers: 3, heads: 4, steps: 400, batchSize: 16, lr: 3e-3, evalWindows: 32, seed: 0, ...options };
  if (o.hiddenSize % o.heads !== 0) throw new ConfigError(`hiddenSize ${o.hiddenSize} is not divisible by heads ${o.heads}`, { field: 'heads' });
  let text = options.text ?? (await loadText('austen'));
  if (o.maxChars !== undefined) text = text.slice(0, o.maxChars);
  const { train, val } = splitTextTail(text);
  const paragraphs = train.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 0);
  const t0 = performance.now();
  const tok = (await trainBpe(paragraphs, { vocabSize: o.tokenizer === 'char' ? 257 : o.vocabSize, specialTokens: ['<|endoftext|>'], showProgress: false, signal: o.signal })).tokenizer;
  const eot = tok.tokenToId('<|endoftext|>')!;
  o.log?.(`${o.tokenizer} tokenizer: ${tok.vocabSize} ids (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const trainIds = paragraphs.flatMap((p) => [...tok.encode(p).ids, eot]);
  const valText = val.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 0);
  const valIds = valText.flatMap((p) => [...tok.encode(p).ids, eot]);
  const valChars = valText.reduce((a, p) => a + p.length + 1, 0);
  const win = o.context + 1;
  if (trainIds.length <= win) throw new ConfigError(`training text has ${trainIds.length} tokens, fewer than the context ${o.context}`, { field: 'context' });
  const evalBatches: number[][][] = [];
  const nWin = Math.min(o.evalWindows, Math.floor(valIds.length / win));
  const evalRows: number[][] = Array.from({ length: nWin }, (_, i) => valIds.slice(i * win, (i + 1) * win));
  for (let i = 0; i < evalRows.length; i += o.batchSize) evalBatches.push(evalRows.slice(i, i + o.batchSize));
  // The fraction of validation text the windows cover, to turn nats/token into bits/char.
  const coveredTokens = nWin * win - nWin;
  const charsPerToken = valChars / valIds.length;
  const config: LlamaConfig = {
    modelType: 'llama', vocabSize: tok.vocabSize, hiddenSize: o.hiddenSize, intermediateSize: Math.round((o.hiddenSize * 8) / 3 / 16) * 16, numLayers: o.layers,
    numHeads: o.heads, numKvHeads: o.heads, headDim: o.hiddenSize / o.heads, maxPositions: o.context, rmsNormEps: 1e-5, ropeTheta: 10000,
    tieWordEmbeddings: true, attentionBias: false, bosTokenId: eot, eosTokenIds: [eot],
  };
  const model = new Llama(config).initRandom(o.seed);
  o.log?.(`LLaMA: ${model.parameterCount().toLocaleString('en')} parameters; ${trainIds.length.toLocaleString('en')} training tokens, ${coveredTokens} validation tokens`);
  const sample = (rng: Rng): number[][] => Array.from({ length: o.batchSize }, () => {
    const s = Math.floor(rng.next() * (trainIds.length - win));
    return trainIds.slice(s, s + win);
  });
  const r = await trainLoop(model, { steps: o.steps, lr: o.lr, evalEvery: o.evalEvery, seed: o.seed, signal: o.signal, log: o.log },
    (rng, seed) => causalLmLoss(model, sample(rng), { dropoutSeed: seed }),
    () => meanLoss(evalBatches, (b): Tensor => causalLmLoss(model, b)));
  const meta: LmMeta = {
    task: 'lm', tokenizer: o.tokenizer, architecture: 'llama', trainTokens: trainIds.length, valTokens: coveredTokens, valChars,
    valLoss: r.finalEvalLoss, valPerplexity: Math.exp(r.finalEvalLoss), bitsPerChar: r.finalEvalLoss / Math.LN2 / charsPerToken,
    options: { tokenizer: o.tokenizer, vocabSize: tok.vocabSize, context: o.context, hiddenSize: o.hiddenSize, layers: o.layers, heads: o.heads, steps: o.steps, batchSize: o.batchSize, lr: o.lr, seed: o.seed },
    curve: r.curve, trainSeconds: r.seconds,
  };
  return { model, tokenizer: tok, meta };
}

/** Sample a continuation of `prompt` (temperature 0.8, top-k 40 by default). */
export async function sampleText(m: { model: Llama; tokenizer: HfTokenizer }, prompt: string, options: { maxTokens?: number; temperature?: number; topK?: number; seed?: number; signal?: AbortSignal } = {}): Promise<string> {
  const ids = m.tokenizer.encode(prompt).ids;
  const out: number[] = [];
  const ctx = m.model.contextLength;
  // A prompt longer than the context keeps its last tokens, leaving room for the continuation.
  const maxTokens = Math.min(options.maxTokens ?? 200, Math.max(1, ctx - Math.min(ids.length, Math.floor(ctx / 2))));
  const kept = ids.slice(-(ctx - maxTokens));
  for await (const id of generateIds(m.model, kept, { maxTokens, temperature: options.temperature ?? 0.8, topK: options.topK ?? 40, seed: options.seed ?? 0, signal: options.signal })) out.push(id);
  return m.tokenizer.decode(out, { skipSpecialTokens: true });
}

/** Save in HF layout (config.json, model.safetensors, tokenizer.json) plus lm.json and perplexity.svg. */
export async function saveAustenGpt(dir: string, g: AustenGpt): Promise<void> {
  await mkdir(dir, { recursive: true });
  await g.model.save(dir);
  await g.tokenizer.save(join(dir, 'tokenizer.json'));
  await writeJsonAtomic(join(dir, 'lm.json'), g.meta);
  await writeCurve(join(dir, 'loss.svg'), g.meta.curve);
}

/** Load what {@link saveAustenGpt} wrote (or any LLaMA/GPT-2 folder with a tokenizer.json). */
export async function loadAustenGpt(dir: string): Promise<{ model: Llama; tokenizer: HfTokenizer }> {
  const { loadCausalLM } = await import('../hub.js');
  const { HfTokenizer: Tok } = await import('@llm/tokenize');
  const model = await loadCausalLM(dir);
  if (!(model instanceof Llama)) {
    model.dispose();
    throw new ConfigError(`${dir} is not a LLaMA model (the Austen GPT is LLaMA)`, { file: dir, field: 'model_type' });
  }
  return { model, tokenizer: Tok.load(join(dir, 'tokenizer.json')) };
}

/** Validation loss / perplexity (per token) and bits per character of a model on the held-out Austen tail. */
export async function evaluateAustenGpt(m: { model: Llama; tokenizer: HfTokenizer }, options: { windows?: number; text?: string; signal?: AbortSignal } = {}): Promise<{ loss: number; perplexity: number; bitsPerChar: number; tokens: number }> {
  const text = options.text ?? (await loadText('austen'));
  const { val } = splitTextTail(text);
  const eot = m.tokenizer.tokenToId('<|endoftext|>');
  const paras = val.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 0);
  const ids = paras.flatMap((p) => [...m.tokenizer.encode(p).ids, ...(eot !== undefined ? [eot] : [])]);
  const chars = paras.reduce((a, p) => a + p.length + 1, 0);
  const win = m.model.contextLength + 1;
  const n = Math.min(options.windows ?? 32, Math.floor(ids.length / win));
  if (n === 0) throw new ConfigError('validation text is shorter than one context window', { field: 'windows' });
  const rows = Array.from({ length: n }, (_, i) => ids.slice(i * win, (i + 1) * win));
  const batches: number[][][] = [];
  for (let i = 0; i < rows.length; i += 8) batches.push(rows.slice(i, i + 8));
  const loss = await meanLoss(batches, (b) => causalLmLoss(m.model, b), options.signal);
  return { loss, perplexity: Math.exp(loss), bitsPerChar: loss / Math.LN2 / (chars / ids.length), tokens: n * (win - 1) };
}
