/**
 * BERT for extractive question answering, from scratch: a WordPiece vocabulary and masked-LM
 * pre-training on Austen + the Gutenberg novels, then fine-tuning of the span head on a SQuAD
 * v1.1-layout set (the bundled FAQ set by default), with sliding windows over long contexts.
 * A lexical sliding-window baseline answers the same questions without learning. Scoring
 * (official SQuAD EM/F1) is left to `@llm/eval`; {@link predictSquad} returns the official
 * `{ id: answer }` layout.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, FormatError, InputError, NotFoundError, Rng, createProgress, loadText, tf, throwIfAborted, writeJsonAtomic, type Tensor } from '@llm/core';
import { HfTokenizer, trainWordPiece } from '@llm/tokenize';
import { Bert, bestSpan, type BertConfig } from '../models/bert.js';
import { crossEntropy } from '../train.js';
import { maskRows, meanLoss, padRows, trainLoop, type CurvePoint } from './common.js';

/** One SQuAD question with its context. */
export interface QaExample {
  id: string;
  question: string;
  context: string;
  /** Gold answers (text and character start). */
  answers: Array<{ text: string; start: number }>;
}

/** Flatten a SQuAD v1.1 JSON object into examples; a malformed entry is a `FormatError` naming its field. */
export function parseSquad(json: unknown, file = '<squad>'): QaExample[] {
  const data = (json as { data?: unknown }).data;
  if (!Array.isArray(data)) throw new FormatError('squad', "missing 'data' array", { file, field: 'data' });
  const out: QaExample[] = [];
  data.forEach((article: { paragraphs?: unknown }, ai) => {
    if (!Array.isArray(article.paragraphs)) throw new FormatError('squad', 'missing paragraphs', { file, field: `data[${ai}].paragraphs` });
    article.paragraphs.forEach((p: { context?: unknown; qas?: unknown }, pi) => {
      if (typeof p.context !== 'string' || !Array.isArray(p.qas)) throw new FormatError('squad', 'paragraph needs context and qas', { file, field: `data[${ai}].paragraphs[${pi}]` });
      for (const qa of p.qas as Array<{ id?: unknown; question?: unknown; answers?: unknown }>) {
        if (typeof qa.id !== 'string' || typeof qa.question !== 'string') throw new FormatError('squad', 'question needs id and question', { file, field: `data[${ai}].paragraphs[${pi}].qas` });
        const answers = Array.isArray(qa.answers) ? (qa.answers as Array<{ text?: unknown; answer_start?: unknown }>).filter((a) => typeof a.text === 'string' && typeof a.answer_start === 'number').map((a) => ({ text: a.text as string, start: a.answer_start as number })) : [];
        out.push({ id: qa.id, question: qa.question, context: p.context, answers });
      }
    });
  });
  return out;
}

/** Read a SQuAD JSON file (gzip allowed). */
export async function readSquadFile(path: string): Promise<QaExample[]> {
  if (!(await stat(path).then(() => true, () => false))) throw new NotFoundError(`${path} does not exist`, { file: path });
  let raw = await readFile(path);
  if (path.endsWith('.gz')) raw = (await import('node:zlib')).gunzipSync(raw);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new FormatError('json', `not valid JSON (${(err as Error).message})`, { file: path }, { cause: err });
  }
  return parseSquad(json, path);
}

const STOP = new Set('a an the of to in on for and or is are was were be been it its this that what which who whom how why when where do does did can i you your with as by at from not no if then than there their they he she his her we our'.split(' '));
const words = (s: string): string[] => s.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];

/**
 * Lexical sliding-window baseline (after Richardson et al. 2013, as in the SQuAD paper): slide a
 * window of `window` words over the context, score it by the IDF-weighted question words it
 * contains, and answer with the best window's first run of words that are neither question nor stop words (at most
 * `maxAnswerWords`). No learning; a floor the trained model must beat.
 */
export function slidingWindowAnswer(question: string, context: string, options: { window?: number; maxAnswerWords?: number } = {}): string {
  const w = options.window ?? 12;
  const maxAns = options.maxAnswerWords ?? 6;
  const toks = [...context.matchAll(/\S+/gu)].map((m) => ({ text: m[0], norm: words(m[0]).join(' ') }));
  if (toks.length === 0) return '';
  const q = new Set(words(question).filter((x) => !STOP.has(x)));
  const df = new Map<string, number>();
  for (const t of toks) df.set(t.norm, (df.get(t.norm) ?? 0) + 1);
  const idf = (x: string) => Math.log(1 + toks.length / (df.get(x) ?? 1));
  // Candidate windows start or end at a question word (the answer sits next to what the question repeats).
  // On a tie the window that starts at a question word wins, then one that ends at one.
  const starts: number[] = [];
  toks.forEach((t, i) => { if (q.has(t.norm)) starts.push(i); });
  toks.forEach((t, i) => { if (q.has(t.norm)) starts.push(Math.max(0, i - w + 1)); });
  starts.push(0);
  let best = 0;
  let bestScore = -1;
  for (const s of starts) {
    let score = 0;
    const seen = new Set<string>();
    for (let i = s; i < Math.min(toks.length, s + w); i++) {
      const n = toks[i]!.norm;
      if (q.has(n) && !seen.has(n)) { score += idf(n); seen.add(n); }
    }
    if (score > bestScore) { bestScore = score; best = s; }
  }
  const win = toks.slice(best, best + w);
  // The answer: the first run of ≥ 2 window words that are neither question words nor stop
  // words (else the first single word).
  const runs: string[][] = [[]];
  for (const t of win) {
    if (t.norm && !q.has(t.norm) && !STOP.has(t.norm)) runs[runs.length - 1]!.push(t.text);
    else if (runs[runs.length - 1]!.length) runs.push([]);
  }
  const bestRun = runs.find((r) => r.length >= 2) ?? runs.find((r) => r.length > 0) ?? [];
  return bestRun.slice(0, maxAns).join(' ').replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
}

/** Settings of MLM pre-training and QA fine-tuning (small defaults). */
export interface BertQaOptions {
  vocabSize?: number;
  hiddenSize?: number;
  layers?: number;
  heads?: number;
  /** Sequence length of MLM windows and QA windows (default 128). */
  maxLen?: number;
  /** QA window stride over long contexts, in context tokens (default 64). */
  docStride?: number;
  mlmSteps?: number;
  qaSteps?: number;
  batchSize?: number;
  mlmLr?: number;
  qaLr?: number;
  /** Use at most this many characters of pre-training text (default 2 M). */
  maxChars?: number;
  seed?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Pre-training text instead of Austen + Gutenberg (tests). */
  text?: string;
  /** Called with the pre-trained `BertForMaskedLM` and its tokenizer before fine-tuning (e.g. to save it). */
  onPretrained?: (mlm: Bert, tokenizer: HfTokenizer) => Promise<void>;
}

/** A QA model: BERT with the span head plus its WordPiece tokenizer. */
export interface BertQa {
  model: Bert;
  tokenizer: HfTokenizer;
  maxLen: number;
  docStride: number;
}

/** Token ids of the specials. */
function specials(tok: HfTokenizer): { pad: number; cls: number; sep: number; mask: number } {
  const g = (t: string) => {
    const id = tok.tokenToId(t);
    if (id === undefined) throw new ConfigError(`tokenizer has no ${t} token`, { field: t });
    return id;
  };
  return { pad: g('[PAD]'), cls: g('[CLS]'), sep: g('[SEP]'), mask: g('[MASK]') };
}

/** BERT's masking: 15% of real tokens become targets; of those 80% [MASK], 10% random, 10% kept. */
export function maskTokens(ids: readonly number[], rng: Rng, maskId: number, vocabSize: number, firstRegular: number): { input: number[]; labels: number[] } {
  const input = [...ids];
  const labels = ids.map(() => -100);
  ids.forEach((id, i) => {
    if (id < firstRegular || rng.next() >= 0.15) return;
    labels[i] = id;
    const r = rng.next();
    if (r < 0.8) input[i] = maskId;
    else if (r < 0.9) input[i] = firstRegular + Math.floor(rng.next() * (vocabSize - firstRegular));
  });
  return { input, labels };
}

interface QaFeature {
  exampleId: string;
  ids: number[];
  typeIds: number[];
  /** Character span in the context of each token (undefined for question/special tokens). */
  spans: Array<[number, number] | undefined>;
  start: number;
  end: number;
}

/** Split one example into windows `[CLS] question [SEP] context-window [SEP]` with gold token positions (0 = [CLS] when the answer is outside). */
export function qaFeatures(qa: BertQa, ex: QaExample): QaFeature[] {
  const { cls, sep } = specials(qa.tokenizer);
  const q = qa.tokenizer.encode(ex.question, undefined, { addSpecialTokens: false }).ids.slice(0, 32);
  const c = qa.tokenizer.encode(ex.context, undefined, { addSpecialTokens: false });
  const room = qa.maxLen - q.length - 3;
  if (room < 8) throw new ConfigError(`maxLen ${qa.maxLen} leaves no room for the context`, { field: 'maxLen' });
  const ans = ex.answers[0];
  const out: QaFeature[] = [];
  for (let s = 0; ; s += qa.docStride) {
    const e = Math.min(c.ids.length, s + room);
    const ids = [cls, ...q, sep, ...c.ids.slice(s, e), sep];
    const typeIds = ids.map((_, i) => (i < q.length + 2 ? 0 : 1));
    const spans: QaFeature['spans'] = ids.map((_, i) => (i >= q.length + 2 && i < ids.length - 1 ? c.offsets[s + i - q.length - 2] : undefined));
    let start = 0;
    let end = 0;
    if (ans) {
      const a0 = ans.start;
      const a1 = ans.start + ans.text.length;
      const ti = spans.findIndex((sp) => sp !== undefined && sp[1] > a0);
      let tj = -1;
      spans.forEach((sp, i) => { if (sp !== undefined && sp[0] < a1) tj = i; });
      if (ti > 0 && tj >= ti && spans[ti]![0] <= a0 + 1 && spans[tj]![1] >= a1 - 1) { start = ti; end = tj; }
    }
    out.push({ exampleId: ex.id, ids, typeIds, spans, start, end });
    if (e >= c.ids.length) break;
  }
  return out;
}

function qaLoss(model: Bert, batch: readonly QaFeature[], pad: number, dropoutSeed?: number): Tensor {
  const ids = padRows(batch.map((f) => f.ids), pad);
  const types = padRows(batch.map((f) => f.typeIds), 0);
  const mask = maskRows(batch.map((f) => f.ids));
  const { start, end } = model.spanLogits({ inputIds: ids, tokenTypeIds: types, attentionMask: mask, dropoutSeed });
  const masked = (t: Tensor) => tf.add(t, tf.mul(tf.sub(1, tf.tensor2d(mask)), -1e9));
  const ls = crossEntropy(masked(start), batch.map((f) => f.start));
  const le = crossEntropy(masked(end), batch.map((f) => f.end));
  return tf.div(tf.add(ls, le), 2);
}

/** MLM pre-training then QA fine-tuning. Returns the QA model and both curves. */
export async function trainBertQa(train: readonly QaExample[], dev: readonly QaExample[], options: BertQaOptions = {}): Promise<BertQa & { mlmCurve: CurvePoint[]; qaCurve: CurvePoint[]; seconds: number }> {
  const o = { vocabSize: 4000, hiddenSize: 128, layers: 2, heads: 4, maxLen: 128, docStride: 64, mlmSteps: 200, qaSteps: 200, batchSize: 16, mlmLr: 1e-3, qaLr: 5e-4, maxChars: 2_000_000, seed: 0, ...options };
  const t0 = performance.now();
  let text = options.text ?? `${await loadText('austen')}\n\n${await loadText('gutenberg')}`;
  const rng0 = new Rng(o.seed);
  // Take maxChars as evenly spread paragraphs (so every novel is represented).
  const paras = text.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 20);
  const keepEvery = Math.max(1, Math.ceil(paras.reduce((a, p) => a + p.length, 0) / o.maxChars));
  const corpus = paras.filter((_, i) => i % keepEvery === 0);
  // The QA contexts and questions go into the vocabulary too (their text, never their answers' positions).
  const qaText = [...new Set(train.map((e) => e.context))].concat(train.map((e) => e.question));
  text = '';
  const tok = (await trainWordPiece([...corpus, ...qaText], { vocabSize: o.vocabSize, showProgress: false, signal: o.signal })).tokenizer;
  const sp = specials(tok);
  const firstRegular = Math.max(sp.pad, sp.cls, sp.sep, sp.mask) + 1;
  o.log?.(`WordPiece ${tok.vocabSize} ids; pre-training on ${corpus.length} paragraphs (${corpus.reduce((a, p) => a + p.length, 0).toLocaleString('en')} chars) + QA texts`);
  const stream: number[] = [];
  for (const p of [...corpus, ...qaText]) stream.push(...tok.encode(p, undefined, { addSpecialTokens: false }).ids, sp.sep);
  const base: Omit<BertConfig, 'head'> = { vocabSize: tok.vocabSize, hiddenSize: o.hiddenSize, numLayers: o.layers, numHeads: o.heads, intermediateSize: 4 * o.hiddenSize, activation: 'gelu', maxPositions: o.maxLen, typeVocabSize: 2, layerNormEps: 1e-12, dropout: 0.1, padTokenId: sp.pad, labels: [] };
  const mlm = new Bert({ ...base, head: 'mlm' }).initRandom(o.seed);
  const win = o.maxLen - 2;
  const mlmRow = (rng: Rng) => {
    const s = Math.floor(rng.next() * Math.max(1, stream.length - win));
    return maskTokens([sp.cls, ...stream.slice(s, s + win), sp.sep], rng, sp.mask, tok.vocabSize, firstRegular);
  };
  const mlmLoss = (rows: Array<{ input: number[]; labels: number[] }>, seed?: number): Tensor => {
    const logits = mlm.mlmLogits({ inputIds: rows.map((r) => r.input), dropoutSeed: seed });
    const labels = rows.flatMap((r) => r.labels);
    return crossEntropy(tf.reshape(logits, [labels.length, tok.vocabSize]), labels);
  };
  const evalRng = rng0.split('mlm-eval');
  const mlmEval = [Array.from({ length: o.batchSize }, () => mlmRow(evalRng))];
  const mlmR = await trainLoop(mlm, { steps: o.mlmSteps, lr: o.mlmLr, seed: o.seed, signal: o.signal, log: (l) => o.log?.(`mlm ${l}`) },
    (rng, seed) => mlmLoss(Array.from({ length: o.batchSize }, () => mlmRow(rng)), seed), () => meanLoss(mlmEval, (b) => mlmLoss(b)));
  await o.onPretrained?.(mlm, tok);
  const model = new Bert({ ...base, head: 'question-answering' }).initRandom(o.seed + 1);
  for (const [name, v] of model.weights) {
    const src = mlm.weights.get(name);
    if (src && name.startsWith('bert.')) v.assign(src);
  }
  mlm.dispose();
  const qa: BertQa = { model, tokenizer: tok, maxLen: o.maxLen, docStride: o.docStride };
  // qaSteps 0 (pre-training only): no QA windows are built.
  const feats = o.qaSteps > 0 ? train.flatMap((e) => qaFeatures(qa, e)) : [];
  // Windows without the answer teach "no answer here" ([CLS]); keep all windows with it and a few without.
  const pos = feats.filter((f) => f.start > 0);
  const neg = feats.filter((f) => f.start === 0).filter((_, i) => i % 4 === 0);
  const qaData = [...pos, ...neg];
  const devFeats = o.qaSteps > 0 ? dev.flatMap((e) => qaFeatures(qa, e)).filter((f) => f.start > 0).slice(0, 64) : [];
  const devBatches: QaFeature[][] = [];
  for (let i = 0; i < devFeats.length; i += o.batchSize) devBatches.push(devFeats.slice(i, i + o.batchSize));
  o.log?.(`QA: ${train.length} questions → ${pos.length} windows with the answer + ${neg.length} without; BERT ${model.parameterCount().toLocaleString('en')} parameters`);
  const qaR = await trainLoop(model, { steps: o.qaSteps, lr: o.qaLr, seed: o.seed, signal: o.signal, log: (l) => o.log?.(`qa ${l}`) },
    (rng, seed) => qaLoss(model, Array.from({ length: o.batchSize }, () => qaData[Math.floor(rng.next() * qaData.length)]!), sp.pad, seed),
    () => (devBatches.length ? meanLoss(devBatches, (b) => qaLoss(model, b, sp.pad)) : Promise.resolve(Number.NaN)));
  return { ...qa, mlmCurve: mlmR.curve, qaCurve: qaR.curve, seconds: (performance.now() - t0) / 1000 };
}

/** Answer one question from a context: the best span over all windows (at most 30 tokens). */
export function answerQuestion(qa: BertQa, question: string, context: string): { answer: string; score: number } {
  if (!question.trim()) throw new InputError('the question is empty', { field: 'question' });
  const feats = qaFeatures(qa, { id: 'q', question, context, answers: [] });
  const pad = specials(qa.tokenizer).pad;
  let best = { answer: '', score: Number.NEGATIVE_INFINITY };
  for (const f of feats) {
    const { s, e } = tf.tidy(() => {
      const r = qa.model.spanLogits({ inputIds: [f.ids], tokenTypeIds: [f.typeIds], attentionMask: [f.ids.map(() => 1)] });
      return { s: r.start.dataSync() as Float32Array, e: r.end.dataSync() as Float32Array };
    });
    const first = f.spans.findIndex((x) => x !== undefined);
    const last = f.spans.length - 1;
    const span = bestSpan(s, e, first, last, 30);
    if (span.score > best.score) best = { answer: context.slice(f.spans[span.start]![0], f.spans[span.end]![1]), score: span.score };
  }
  void pad;
  return best;
}

/** Predictions in the official SQuAD layout `{ id: answer }`. */
export async function predictSquad(qa: BertQa, examples: readonly QaExample[], signal?: AbortSignal): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const p = createProgress({ label: 'qa', total: examples.length, unit: 'questions' });
  try {
    for (const ex of examples) {
      throwIfAborted(signal);
      out[ex.id] = answerQuestion(qa, ex.question, ex.context).answer;
      p.tick();
    }
  } finally {
    p.done();
  }
  return out;
}

/** Save in HF layout (config.json with `BertForQuestionAnswering`, model.safetensors, tokenizer.json) plus qa.json. */
export async function saveBertQa(dir: string, qa: BertQa, extra: Record<string, unknown> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await qa.model.save(dir);
  await qa.tokenizer.save(join(dir, 'tokenizer.json'));
  await writeJsonAtomic(join(dir, 'qa.json'), { task: 'qa', maxLen: qa.maxLen, docStride: qa.docStride, ...extra });
}

/** Load a QA folder written by {@link saveBertQa} (or any HF `BertForQuestionAnswering` with a WordPiece tokenizer.json). */
export async function loadBertQa(dir: string): Promise<BertQa> {
  const { loadPretrained } = await import('../hub.js');
  const model = await loadPretrained(dir);
  if (!(model instanceof Bert) || model.config.head !== 'question-answering') {
    model.dispose();
    throw new FormatError('config.json', 'not a BertForQuestionAnswering model', { file: join(dir, 'config.json'), field: 'architectures' });
  }
  const tokenizer = HfTokenizer.load(join(dir, 'tokenizer.json'));
  let maxLen = model.config.maxPositions;
  let docStride = Math.floor(maxLen / 2);
  const metaPath = join(dir, 'qa.json');
  if (await stat(metaPath).then(() => true, () => false)) {
    const m = JSON.parse(await readFile(metaPath, 'utf8')) as { maxLen?: number; docStride?: number };
    maxLen = m.maxLen ?? maxLen;
    docStride = m.docStride ?? docStride;
  }
  return { model, tokenizer, maxLen, docStride };
}
