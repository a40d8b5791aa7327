/**
 * Spanish→English translation from scratch: the bundled Bible (Reina-Valera 1909 → World English
 * Bible) with whole books held out, a shared byte-level BPE from `@llm/tokenize`, the Vaswani
 * {@link Seq2SeqTransformer} trained with label-smoothed cross-entropy, beam-search decoding,
 * and the cross-attention of one sentence for a heat-map. Scoring (BLEU/chrF) is left to the
 * caller (`@llm/eval` sits beside this package, not below it): {@link translateMany} gives the
 * hypotheses and references.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, FormatError, InputError, NotFoundError, Rng, createProgress, datasetRows, hashSplit, tf, throwIfAborted, writeJsonAtomic, type Tensor } from '@llm/core';
import { HfTokenizer, trainBpe } from '@llm/tokenize';
import { Seq2SeqTransformer, type Seq2SeqConfig } from '../models/seq2seq.js';
import { causalMask, splitHeads } from '../nn/attention.js';
import { multiHeadAttention, transformerStack, type AttentionWeights, type BlockOptions, type BlockWeights } from '../nn/blocks.js';
import { embedding, layerNorm, linear } from '../nn/layers.js';
import { sinusoidalPositions } from '../nn/positions.js';
import { idsTensor } from '../model.js';
import { crossEntropy } from '../train.js';
import { seq2seqGenerate } from '../generate.js';
import { bucketBatch, maskRows, meanLoss, padRows, trainLoop, writeCurve, type CurvePoint } from './common.js';

/** One verse pair. */
export interface ParallelPair {
  /** e.g. `Ruth 1:1`. */
  ref: string;
  /** Book name, e.g. `Ruth`. */
  book: string;
  src: string;
  tgt: string;
  /** Where the pair comes from (absent: the Bible). */
  domain?: TranslationDomain;
}

/** A corpus of {@link ParallelPair}s: the Bible or the LibreOffice help. */
export type TranslationDomain = 'bible' | 'libreoffice';

/** What `trainTranslator` trains on: one corpus or both mixed. */
export type TranslatorDomain = TranslationDomain | 'both';

/** Values of {@link TranslatorDomain}, for option parsing. */
export const TRANSLATOR_DOMAINS: readonly TranslatorDomain[] = ['bible', 'libreoffice', 'both'];

/** Share of LibreOffice help pages held out whole by default (about 2% of the pages). */
export const DEFAULT_LIBREOFFICE_TEST_FRACTION = 0.02;

/** Books held out from training by default (whole books, 133 verses). */
export const DEFAULT_HELDOUT_BOOKS: readonly string[] = ['Ruth', 'Jonah'];

/** Book of a Bible reference (`I Samuel 3:4` → `I Samuel`). */
export function bookOf(ref: string): string {
  return ref.replace(/\s+\d+:\d+$/, '');
}

/** The bundled Bible as (es_rv1909 → en_web) pairs by default; rows with an empty side are skipped. */
export async function loadBiblePairs(options: { srcColumn?: string; tgtColumn?: string; signal?: AbortSignal } = {}): Promise<ParallelPair[]> {
  const sc = options.srcColumn ?? 'es_rv1909';
  const tc = options.tgtColumn ?? 'en_web';
  const out: ParallelPair[] = [];
  for await (const row of datasetRows('bible-es-en', { signal: options.signal })) {
    const v = row.values;
    if (!(sc in v) || !(tc in v)) throw new FormatError('tsv', `bible-es-en has no column '${!(sc in v) ? sc : tc}'`, { field: !(sc in v) ? sc : tc });
    const src = (v[sc] ?? '').trim();
    const tgt = (v[tc] ?? '').trim();
    const ref = v.ref ?? '';
    if (src && tgt) out.push({ ref, book: bookOf(ref), src, tgt });
  }
  return out;
}

/**
 * The bundled LibreOffice help (MPL-2.0; dataset `libreoffice-es-en`, columns `en es id`) as
 * es → en pairs. `ref` is the paragraph id (`text/scalc/01/….xhp#par_id…`), `book` its help page
 * (the id before `#`), so whole pages can be held out like Bible books. Pairs whose two sides are
 * identical (function names, code, numbers) are skipped.
 */
export async function loadLibreOfficePairs(options: { signal?: AbortSignal } = {}): Promise<ParallelPair[]> {
  const out: ParallelPair[] = [];
  for await (const row of datasetRows('libreoffice-es-en', { signal: options.signal })) {
    const v = row.values;
    const src = (v.es ?? '').trim();
    const tgt = (v.en ?? '').trim();
    const ref = (v.id ?? '').trim();
    if (!ref) throw new FormatError('tsv', 'libreoffice-es-en row without a paragraph id', { field: 'id' });
    if (src && tgt && src !== tgt) out.push({ ref, book: ref.replace(/#.*$/, ''), src, tgt, domain: 'libreoffice' });
  }
  return out;
}

/**
 * Hold out whole help pages (any `book`): a page is a test page when `hashSplit(page)` puts it in
 * `test` with share `fraction` (salt `translator-pages`), so the split is stable and needs no list.
 */
export function splitByPages(pairs: readonly ParallelPair[], fraction = DEFAULT_LIBREOFFICE_TEST_FRACTION): { train: ParallelPair[]; test: ParallelPair[] } {
  if (!(fraction > 0 && fraction < 1)) throw new ConfigError(`page test fraction must be in (0, 1), got ${fraction}`, { field: 'pageTestFraction' });
  const isTest = (p: ParallelPair) => hashSplit(p.book, { dev: 0, test: fraction }, 'translator-pages') === 'test';
  return { train: pairs.filter((p) => !isTest(p)), test: pairs.filter(isTest) };
}

/**
 * Training pairs and held-out pairs of one corpus: the Bible minus `heldOutBooks`, or the
 * LibreOffice help minus the pages {@link splitByPages} holds out. The held-out side is the same
 * whatever a model was trained on, so in-domain and cross-domain scores are comparable.
 */
export async function loadDomainSplit(domain: TranslationDomain, options: { heldOutBooks?: readonly string[]; pageTestFraction?: number; signal?: AbortSignal } = {}): Promise<{ train: ParallelPair[]; test: ParallelPair[] }> {
  if (domain === 'bible') {
    const s = splitByBooks(await loadBiblePairs({ signal: options.signal }), options.heldOutBooks ?? DEFAULT_HELDOUT_BOOKS);
    const tag = (p: ParallelPair): ParallelPair => ({ ...p, domain: 'bible' });
    return { train: s.train.map(tag), test: s.test.map(tag) };
  }
  if (domain === 'libreoffice') return splitByPages(await loadLibreOfficePairs({ signal: options.signal }), options.pageTestFraction);
  throw new ConfigError(`unknown domain '${String(domain)}' (bible, libreoffice)`, { field: 'domain' });
}

/**
 * At most `n` items spread evenly over `items` (every `floor(len / n)`-th, from the first), so a
 * limited evaluation covers every held-out book or page rather than the first few.
 */
export function evenlySpaced<T>(items: readonly T[], n: number): T[] {
  if (!(n >= 1)) return [];
  const stride = Math.max(1, Math.floor(items.length / n));
  return items.filter((_, i) => i % stride === 0).slice(0, n);
}

/** Parse a `--domain` value (`bible`, `libreoffice` or `both`); anything else is a `ConfigError`. */
export function parseTranslatorDomain(value: string): TranslatorDomain {
  if ((TRANSLATOR_DOMAINS as readonly string[]).includes(value)) return value as TranslatorDomain;
  throw new ConfigError(`unknown domain '${value}' (${TRANSLATOR_DOMAINS.join(', ')})`, { field: 'domain' });
}

/** Split pairs into training pairs and the held-out books (an unknown book name is a `ConfigError`). */
export function splitByBooks(pairs: readonly ParallelPair[], heldOutBooks: readonly string[]): { train: ParallelPair[]; test: ParallelPair[] } {
  const books = new Set(pairs.map((p) => p.book));
  for (const b of heldOutBooks) if (!books.has(b)) throw new ConfigError(`held-out book '${b}' is not in the data`, { field: 'heldOutBooks' });
  const held = new Set(heldOutBooks);
  return { train: pairs.filter((p) => !held.has(p.book)), test: pairs.filter((p) => held.has(p.book)) };
}

/** Special tokens of the translator's BPE, in id order. */
export const TRANSLATOR_SPECIALS = ['<pad>', '<s>', '</s>', '<unk>'] as const;

/** Settings of {@link trainTranslator} (every field has a small default). */
export interface TranslatorOptions {
  /** Shared es+en BPE vocabulary size (default 2000). */
  vocabSize?: number;
  dModel?: number;
  heads?: number;
  layers?: number;
  dFf?: number;
  dropout?: number;
  /** Training pairs longer than this many tokens on either side are dropped (default 40). */
  maxLen?: number;
  /** Use at most this many training pairs (default all that fit `maxLen`). */
  maxTrainPairs?: number;
  /** Optimizer steps (default 1500: BLEU 7.3 on Ruth+Jonah, see examples/level-1/translator). */
  steps?: number;
  batchSize?: number;
  lr?: number;
  labelSmoothing?: number;
  heldOutBooks?: readonly string[];
  /** Training corpus: `bible` (default), `libreoffice` (help pages) or `both` mixed. */
  domain?: TranslatorDomain;
  /** LibreOffice help pages held out whole (default {@link DEFAULT_LIBREOFFICE_TEST_FRACTION}). */
  pageTestFraction?: number;
  /** Validation loss on this many held-out pairs, shared evenly between the domains (default 64). */
  evalPairs?: number;
  evalEvery?: number;
  seed?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Pairs to use instead of the bundled Bible (tests). */
  pairs?: readonly ParallelPair[];
}

/** A trained translator. */
export interface Translator {
  model: Seq2SeqTransformer;
  tokenizer: HfTokenizer;
  /** Metadata saved as `translator.json` (held-out books, columns, settings). */
  meta: TranslatorMeta;
}

/** `translator.json`. */
export interface TranslatorMeta {
  task: 'translate';
  srcLang: string;
  tgtLang: string;
  heldOutBooks: string[];
  /** Training corpus (absent in folders written before domains existed: the Bible). */
  domain?: TranslatorDomain;
  /** Share of LibreOffice help pages held out (when `domain` includes them). */
  pageTestFraction?: number;
  maxLen: number;
  options: Record<string, number | string>;
  curve?: CurvePoint[];
  trainSeconds?: number;
}

/** Source ids (`… </s>`). */
export function encodeSource(tok: HfTokenizer, text: string, maxLen = 256): number[] {
  const eos = tok.tokenToId('</s>')!;
  return [...tok.encode(text).ids.slice(0, maxLen - 1), eos];
}

/** Loss of a batch of pairs (label-smoothed CE over target tokens; pads ignored). */
export function translationLoss(model: Seq2SeqTransformer, batch: ReadonlyArray<{ src: number[]; tgt: number[] }>, labelSmoothing: number, dropoutSeed?: number): Tensor {
  const c = model.config;
  const src = padRows(batch.map((b) => b.src), c.padTokenId);
  const srcMask = maskRows(batch.map((b) => b.src));
  const decIn = padRows(batch.map((b) => [c.bosTokenId, ...b.tgt]), c.padTokenId);
  const labels = padRows(batch.map((b) => [...b.tgt, c.eosTokenId]), -100);
  const enc = model.encode(src, srcMask, dropoutSeed);
  const logits = model.decode(decIn, enc, srcMask, undefined, dropoutSeed);
  return crossEntropy(tf.reshape(logits, [labels.length * labels[0]!.length, c.vocabSize]), labels.flat(), { ignoreIndex: -100, labelSmoothing });
}

/**
 * Train the BPE and the encoder–decoder on the Bible minus the held-out books. Deterministic by
 * `seed`. Returns the translator plus the training curve.
 */
export async function trainTranslator(options: TranslatorOptions = {}): Promise<Translator & { curve: CurvePoint[]; seconds: number; test: ParallelPair[] }> {
  const o = {
    vocabSize: 2000, dModel: 128, heads: 4, layers: 2, dFf: 512, dropout: 0.1, maxLen: 40, steps: 1500, batchSize: 32, lr: 2e-3,
    labelSmoothing: 0.1, evalPairs: 64, seed: 0, ...options,
  };
  const heldOut = [...(options.heldOutBooks ?? DEFAULT_HELDOUT_BOOKS)];
  if (o.dModel % o.heads !== 0) throw new ConfigError(`dModel ${o.dModel} is not divisible by heads ${o.heads}`, { field: 'heads' });
  const domain = parseTranslatorDomain(options.domain ?? 'bible');
  const pageTestFraction = options.pageTestFraction ?? DEFAULT_LIBREOFFICE_TEST_FRACTION;
  const train: ParallelPair[] = [];
  const test: ParallelPair[] = [];
  if (options.pairs) {
    const all = [...options.pairs];
    const s = heldOut.length === 0 ? { train: all, test: all.slice(0, 8) } : splitByBooks(all, heldOut);
    train.push(...s.train);
    test.push(...s.test);
  } else {
    for (const d of domain === 'both' ? (['bible', 'libreoffice'] as const) : [domain]) {
      const s = await loadDomainSplit(d, { heldOutBooks: heldOut, pageTestFraction, signal: o.signal });
      train.push(...s.train);
      test.push(...s.test);
    }
  }
  const t0 = performance.now();
  const tok = (await trainBpe(train.flatMap((p) => [p.src, p.tgt]), { vocabSize: o.vocabSize, specialTokens: [...TRANSLATOR_SPECIALS], showProgress: false, signal: o.signal })).tokenizer;
  o.log?.(`BPE: ${tok.vocabSize} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const enc = (p: ParallelPair) => ({ src: encodeSource(tok, p.src, 10_000), tgt: tok.encode(p.tgt).ids });
  let data = train.map(enc).filter((d) => d.src.length <= o.maxLen && d.tgt.length + 1 <= o.maxLen);
  if (o.maxTrainPairs !== undefined && data.length > o.maxTrainPairs) {
    const r = new Rng(o.seed).split('subset');
    data = data.map((d) => ({ d, k: r.next() })).sort((a, b) => a.k - b.k).slice(0, o.maxTrainPairs).map((x) => x.d);
  }
  if (data.length === 0) throw new ConfigError(`no training pair fits maxLen ${o.maxLen}`, { field: 'maxLen' });
  const sorted = data.map((_, i) => i).sort((a, b) => data[a]!.src.length + data[a]!.tgt.length - (data[b]!.src.length + data[b]!.tgt.length));
  // Validation pairs: an even share of each domain's held-out pairs.
  const domainsOf = [...new Set(test.map((p) => p.domain ?? 'bible'))];
  const perDomain = Math.ceil(o.evalPairs / Math.max(1, domainsOf.length));
  const evalPicked = domainsOf.flatMap((d) => test.filter((p) => (p.domain ?? 'bible') === d).slice(0, perDomain)).slice(0, o.evalPairs);
  const evalData = evalPicked.map(enc).map((d) => ({ src: d.src.slice(-o.maxLen), tgt: d.tgt.slice(0, o.maxLen - 1) }));
  const evalBatches: Array<typeof evalData> = [];
  for (let i = 0; i < evalData.length; i += o.batchSize) evalBatches.push(evalData.slice(i, i + o.batchSize));
  o.log?.(`training pairs ${data.length} (≤ ${o.maxLen} tokens; domain ${domain}), held out: ${domain === 'libreoffice' ? '' : heldOut.join(', ') || '(none)'}${domain === 'bible' ? '' : `${domain === 'both' ? ' + ' : ''}${pageTestFraction * 100}% of the help pages`} (${test.length} pairs)`);
  const config: Seq2SeqConfig = {
    vocabSize: tok.vocabSize, dModel: o.dModel, heads: o.heads, encoderLayers: o.layers, decoderLayers: o.layers, dFf: o.dFf,
    maxPositions: Math.max(256, o.maxLen), norm: 'pre', activation: 'relu', dropout: o.dropout,
    padTokenId: tok.tokenToId('<pad>')!, bosTokenId: tok.tokenToId('<s>')!, eosTokenId: tok.tokenToId('</s>')!,
  };
  const model = new Seq2SeqTransformer(config).initRandom(o.seed);
  o.log?.(`model: ${model.parameterCount().toLocaleString('en')} parameters`);
  const r = await trainLoop(model, { steps: o.steps, lr: o.lr, evalEvery: o.evalEvery, seed: o.seed, signal: o.signal, log: o.log },
    (rng, seed) => translationLoss(model, bucketBatch(sorted, o.batchSize, rng).map((i) => data[i]!), o.labelSmoothing, seed),
    () => meanLoss(evalBatches, (b) => translationLoss(model, b, 0), o.signal));
  const meta: TranslatorMeta = {
    task: 'translate', srcLang: 'es', tgtLang: 'en', heldOutBooks: heldOut, domain, ...(domain === 'bible' ? {} : { pageTestFraction }), maxLen: o.maxLen,
    options: { vocabSize: o.vocabSize, dModel: o.dModel, heads: o.heads, layers: o.layers, dFf: o.dFf, dropout: o.dropout, steps: o.steps, batchSize: o.batchSize, lr: o.lr, labelSmoothing: o.labelSmoothing, seed: o.seed, trainPairs: data.length },
    curve: r.curve, trainSeconds: r.seconds,
  };
  return { model, tokenizer: tok, meta, curve: r.curve, seconds: r.seconds, test };
}

/** Save as an HF-layout folder: config.json, model.safetensors, tokenizer.json, translator.json, loss.svg. */
export async function saveTranslator(dir: string, t: Translator): Promise<void> {
  await mkdir(dir, { recursive: true });
  await t.model.save(dir);
  await t.tokenizer.save(join(dir, 'tokenizer.json'));
  await writeJsonAtomic(join(dir, 'translator.json'), t.meta);
  if (t.meta.curve?.length) await writeCurve(join(dir, 'loss.svg'), t.meta.curve);
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  if (!(await stat(path).then(() => true, () => false))) throw new NotFoundError(`${path} does not exist`, { file: path });
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new FormatError('json', `not valid JSON (${(err as Error).message})`, { file: path }, { cause: err });
  }
}

/** Load what {@link saveTranslator} wrote. */
export async function loadTranslator(dir: string): Promise<Translator> {
  const file = join(dir, 'config.json');
  const c = await readJson(file);
  if (c.model_type !== 'llm-seq2seq') throw new FormatError('config.json', `model_type '${String(c.model_type)}' is not a translator (llm-seq2seq)`, { file, field: 'model_type' });
  const n = (k: string): number => {
    const v = c[k];
    if (typeof v !== 'number') throw new FormatError('config.json', `'${k}' must be a number`, { file, field: k });
    return v;
  };
  const config: Seq2SeqConfig = {
    vocabSize: n('vocab_size'), dModel: n('d_model'), heads: n('heads'), encoderLayers: n('encoder_layers'), decoderLayers: n('decoder_layers'), dFf: n('d_ff'),
    maxPositions: n('max_position_embeddings'), norm: c.norm === 'post' ? 'post' : 'pre', activation: c.activation_function === 'gelu' ? 'gelu' : 'relu', dropout: n('dropout'),
    padTokenId: n('pad_token_id'), bosTokenId: n('bos_token_id'), eosTokenId: n('eos_token_id'),
  };
  const model = new Seq2SeqTransformer(config);
  await model.loadWeights(dir);
  const tokenizer = HfTokenizer.load(join(dir, 'tokenizer.json'));
  const metaPath = join(dir, 'translator.json');
  const meta = (await stat(metaPath).then(() => true, () => false))
    ? (await readJson(metaPath)) as unknown as TranslatorMeta
    : { task: 'translate' as const, srcLang: 'es', tgtLang: 'en', heldOutBooks: [...DEFAULT_HELDOUT_BOOKS], maxLen: 40, options: {} };
  return { model, tokenizer, meta };
}

/** Decoding options. */
export interface TranslateOptions {
  /** Beams (default 4; 1 = greedy). */
  beam?: number;
  /** New tokens at most (default 2× the source length + 10). */
  maxTokens?: number;
  lengthPenalty?: number;
  signal?: AbortSignal;
}

/** Translate one sentence. */
export async function translateText(t: Translator, text: string, options: TranslateOptions = {}): Promise<string> {
  if (!text.trim()) throw new InputError('nothing to translate: the text is empty', { field: 'text' });
  const src = encodeSource(t.tokenizer, text, t.model.config.maxPositions);
  const r = await seq2seqGenerate(t.model, src, {
    numBeams: options.beam ?? 4, maxTokens: Math.min(options.maxTokens ?? 2 * src.length + 10, t.model.config.maxPositions), lengthPenalty: options.lengthPenalty ?? 1, signal: options.signal,
  });
  return t.tokenizer.decode(r.ids, { skipSpecialTokens: true }).trim();
}

/** Translate many sentences (with a progress bar). */
export async function translateMany(t: Translator, texts: readonly string[], options: TranslateOptions = {}): Promise<string[]> {
  const out: string[] = [];
  const p = createProgress({ label: 'translate', total: texts.length, unit: 'sentences' });
  try {
    for (const s of texts) {
      throwIfAborted(options.signal);
      out.push(await translateText(t, s, options));
      p.tick();
    }
  } finally {
    p.done();
  }
  return out;
}

/** Mean held-out loss (no smoothing) and its perplexity, teacher-forced. */
export async function translationEvalLoss(t: Translator, pairs: readonly ParallelPair[], signal?: AbortSignal): Promise<{ loss: number; perplexity: number }> {
  const maxLen = t.meta.maxLen;
  const data = pairs.map((p) => ({ src: encodeSource(t.tokenizer, p.src, t.model.config.maxPositions), tgt: t.tokenizer.encode(p.tgt).ids.slice(0, t.model.config.maxPositions - 1) }));
  const batches: Array<typeof data> = [];
  for (let i = 0; i < data.length; i += 16) batches.push(data.slice(i, i + 16));
  void maxLen;
  const loss = await meanLoss(batches, (b) => translationLoss(t.model, b, 0), signal);
  return { loss, perplexity: Math.exp(loss) };
}

/**
 * Cross-attention of the last decoder layer while reading `target` for `source`, averaged over
 * heads: `weights[i][j]` is how much target token i (predicting the next) looks at source token j.
 */
export function crossAttention(t: Translator, source: string, target: string): { srcTokens: string[]; tgtTokens: string[]; weights: number[][] } {
  const m = t.model;
  const c = m.config;
  const tok = t.tokenizer;
  const src = encodeSource(tok, source, c.maxPositions);
  const tgt = [c.bosTokenId, ...tok.encode(target).ids].slice(0, c.maxPositions);
  const L = (p: string) => ({ weight: m.w(`${p}.weight`), bias: m.w(`${p}.bias`) });
  const A = (p: string): AttentionWeights => ({ q: L(`${p}.q_proj`), k: L(`${p}.k_proj`), v: L(`${p}.v_proj`), o: L(`${p}.out_proj`) });
  const block = (i: number): BlockWeights => {
    const l = `decoder.layers.${i}`;
    return { selfAttn: A(`${l}.self_attn`), norm1: L(`${l}.self_attn_layer_norm`), crossAttn: A(`${l}.encoder_attn`), normCross: L(`${l}.encoder_attn_layer_norm`), mlp: { fc: L(`${l}.fc1`), proj: L(`${l}.fc2`) }, norm2: L(`${l}.final_layer_norm`) };
  };
  const weights = tf.tidy(() => {
    const enc = m.encode([src]);
    const T = tgt.length;
    const x = tf.add(tf.mul(embedding(idsTensor([tgt]), m.w('shared.weight')), Math.sqrt(c.dModel)), tf.slice(sinusoidalPositions(c.maxPositions, c.dModel), [0, 0], [T, c.dModel]));
    const o: BlockOptions = { heads: c.heads, norm: c.norm, normKind: 'layer', eps: 1e-5, activation: c.activation, mask: causalMask(T), memory: enc };
    const last = c.decoderLayers - 1;
    const h = last > 0 ? transformerStack(x, Array.from({ length: last }, (_, i) => block(i)), o) : x;
    const b = block(last);
    const n1 = (v: Tensor) => layerNorm(v, b.norm1.weight, b.norm1.bias, 1e-5);
    const h1 = c.norm === 'pre' ? tf.add(h, multiHeadAttention(n1(h), n1(h), b.selfAttn, o, o.mask, false)) : n1(tf.add(h, multiHeadAttention(h, h, b.selfAttn, o, o.mask, false)));
    const a = c.norm === 'pre' ? layerNorm(h1, b.normCross!.weight, b.normCross!.bias, 1e-5) : h1;
    const q = splitHeads(linear(a, b.crossAttn!.q.weight, b.crossAttn!.q.bias), c.heads);
    const k = splitHeads(linear(enc, b.crossAttn!.k.weight, b.crossAttn!.k.bias), c.heads);
    const probs = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(c.dModel / c.heads)), -1);
    return tf.squeeze(tf.mean(probs, 1), [0]);
  });
  const rows = weights.arraySync() as number[][];
  weights.dispose();
  const piece = (id: number) => tok.decode([id]) || tok.idToToken(id) || String(id);
  return { srcTokens: src.map(piece), tgtTokens: tgt.map(piece), weights: rows };
}
