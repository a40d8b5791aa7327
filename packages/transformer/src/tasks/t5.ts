/**
 * T5 text-to-text: the translation task posed as text in, text out — the input is
 * `translate Spanish to English: <verse>` — with the T5 model format (relative position
 * buckets, RMS layer norm, decoder start = pad), trained from scratch on the bundled Bible with the
 * same held-out books as the translator. Saved as an HF `T5ForConditionalGeneration` folder that
 * `loadPretrained` reads; the tokenizer is a byte-level BPE (tokenizer.json), not SentencePiece.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, Rng, tf, writeJsonAtomic, type Tensor } from '@llm/core';
import { HfTokenizer, trainBpe } from '@llm/tokenize';
import { T5, type T5Config } from '../models/t5.js';
import { crossEntropy } from '../train.js';
import { seq2seqGenerate } from '../generate.js';
import { bucketBatch, maskRows, meanLoss, padRows, trainLoop, writeCurve, type CurvePoint } from './common.js';
import { DEFAULT_HELDOUT_BOOKS, loadBiblePairs, splitByBooks, type ParallelPair, type TranslatorOptions } from './translate.js';

/** The task prefix. */
export const T5_TRANSLATE_PREFIX = 'translate Spanish to English: ';

/** Settings of {@link trainT5}: the translator's, without dropout (T5 here trains without it). */
export type T5TaskOptions = Omit<TranslatorOptions, 'dropout'>;

/** A T5 text-to-text model and its tokenizer. */
export interface T5Task {
  model: T5;
  tokenizer: HfTokenizer;
}

function t5Loss(model: T5, batch: ReadonlyArray<{ src: number[]; tgt: number[] }>, labelSmoothing: number): Tensor {
  const c = model.config;
  const src = padRows(batch.map((b) => b.src), c.padTokenId);
  const mask = maskRows(batch.map((b) => b.src));
  const decIn = padRows(batch.map((b) => [c.decoderStartTokenId, ...b.tgt]), c.padTokenId);
  const labels = padRows(batch.map((b) => [...b.tgt, c.eosTokenId]), -100);
  const logits = model.decode(decIn, model.encode(src, mask), mask);
  return crossEntropy(tf.reshape(logits, [labels.length * labels[0]!.length, c.vocabSize]), labels.flat(), { ignoreIndex: -100, labelSmoothing });
}

/** Encode a text-to-text input (`prefix + text`, then `</s>`). */
export function t5Input(tok: HfTokenizer, text: string, maxLen = 512): number[] {
  return [...tok.encode(T5_TRANSLATE_PREFIX + text).ids.slice(0, maxLen - 1), tok.tokenToId('</s>')!];
}

/** Train T5 on "translate Spanish to English: …" → English. */
export async function trainT5(options: T5TaskOptions = {}): Promise<T5Task & { curve: CurvePoint[]; seconds: number; test: ParallelPair[] }> {
  const o = { vocabSize: 2000, dModel: 128, heads: 4, layers: 2, dFf: 512, maxLen: 48, steps: 300, batchSize: 32, lr: 2e-3, labelSmoothing: 0.1, evalPairs: 64, seed: 0, ...options };
  if (o.dModel % o.heads !== 0) throw new ConfigError(`dModel ${o.dModel} is not divisible by heads ${o.heads}`, { field: 'heads' });
  const heldOut = [...(options.heldOutBooks ?? DEFAULT_HELDOUT_BOOKS)];
  const all = options.pairs ? [...options.pairs] : await loadBiblePairs({ signal: o.signal });
  const { train, test } = options.pairs && heldOut.length === 0 ? { train: all, test: all.slice(0, 8) } : splitByBooks(all, heldOut);
  const tok = (await trainBpe([T5_TRANSLATE_PREFIX, ...train.flatMap((p) => [p.src, p.tgt])], { vocabSize: o.vocabSize, specialTokens: ['<pad>', '</s>', '<unk>'], showProgress: false, signal: o.signal })).tokenizer;
  const enc = (p: ParallelPair) => ({ src: t5Input(tok, p.src, 10_000), tgt: tok.encode(p.tgt).ids });
  let data = train.map(enc).filter((d) => d.src.length <= o.maxLen && d.tgt.length + 1 <= o.maxLen);
  if (o.maxTrainPairs !== undefined && data.length > o.maxTrainPairs) {
    const r = new Rng(o.seed).split('subset');
    data = data.map((d) => ({ d, k: r.next() })).sort((a, b) => a.k - b.k).slice(0, o.maxTrainPairs).map((x) => x.d);
  }
  if (data.length === 0) throw new ConfigError(`no training pair fits maxLen ${o.maxLen}`, { field: 'maxLen' });
  const sorted = data.map((_, i) => i).sort((a, b) => data[a]!.src.length + data[a]!.tgt.length - (data[b]!.src.length + data[b]!.tgt.length));
  const evalData = test.map(enc).map((d) => ({ src: d.src.slice(-o.maxLen), tgt: d.tgt.slice(0, o.maxLen - 1) })).slice(0, o.evalPairs);
  const evalBatches: Array<typeof evalData> = [];
  for (let i = 0; i < evalData.length; i += o.batchSize) evalBatches.push(evalData.slice(i, i + o.batchSize));
  const config: T5Config = {
    vocabSize: tok.vocabSize, dModel: o.dModel, dKv: o.dModel / o.heads, dFf: o.dFf, numLayers: o.layers, numDecoderLayers: o.layers, numHeads: o.heads,
    numBuckets: 32, maxDistance: 128, layerNormEps: 1e-6, gated: false, activation: 'relu', tieWordEmbeddings: true, scaleDecoderOutputs: true, dropoutRate: 0.1,
    padTokenId: tok.tokenToId('<pad>')!, eosTokenId: tok.tokenToId('</s>')!, decoderStartTokenId: tok.tokenToId('<pad>')!,
  };
  const model = new T5(config).initRandom(o.seed);
  o.log?.(`T5: ${model.parameterCount().toLocaleString('en')} parameters, ${data.length} training pairs, held out ${heldOut.join(', ') || '(none)'}`);
  const r = await trainLoop(model, { steps: o.steps, lr: o.lr, evalEvery: o.evalEvery, seed: o.seed, signal: o.signal, log: o.log },
    (rng) => t5Loss(model, bucketBatch(sorted, o.batchSize, rng).map((i) => data[i]!), o.labelSmoothing),
    () => meanLoss(evalBatches, (b) => t5Loss(model, b, 0), o.signal));
  return { model, tokenizer: tok, curve: r.curve, seconds: r.seconds, test };
}

/** Text in, text out (beam search). */
export async function t5Generate(t: T5Task, text: string, options: { beam?: number; maxTokens?: number; signal?: AbortSignal } = {}): Promise<string> {
  const src = t5Input(t.tokenizer, text);
  const r = await seq2seqGenerate(t.model, src, { numBeams: options.beam ?? 4, maxTokens: options.maxTokens ?? 2 * src.length + 10, signal: options.signal });
  return t.tokenizer.decode(r.ids, { skipSpecialTokens: true }).trim();
}

/** Save as an HF T5 folder (config.json, model.safetensors, tokenizer.json) plus t5.json and loss.svg. */
export async function saveT5(dir: string, t: T5Task, extra: { curve?: CurvePoint[]; heldOutBooks?: readonly string[] } = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await t.model.save(dir);
  await t.tokenizer.save(join(dir, 'tokenizer.json'));
  await writeJsonAtomic(join(dir, 't5.json'), { task: 't5', prefix: T5_TRANSLATE_PREFIX, heldOutBooks: extra.heldOutBooks ?? DEFAULT_HELDOUT_BOOKS, curve: extra.curve ?? [] });
  if (extra.curve?.length) await writeCurve(join(dir, 'loss.svg'), extra.curve);
}

/** Load a folder written by {@link saveT5}. */
export async function loadT5(dir: string): Promise<T5Task> {
  const { loadPretrained } = await import('../hub.js');
  const model = await loadPretrained(dir);
  if (!(model instanceof T5)) {
    model.dispose();
    throw new ConfigError(`${dir} is not a T5 folder`, { file: dir, field: 'model_type' });
  }
  return { model, tokenizer: HfTokenizer.load(join(dir, 'tokenizer.json')) };
}
