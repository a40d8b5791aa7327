import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, FormatError, InputError, NotFoundError, Rng, argmax, parseJson, tf, writeJsonAtomic } from '@llm/core';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tokenizer, Variable } from '@llm/core';
import type { CellKind } from './cells.js';
import { RecurrentLayer, dropoutWithRng } from './recurrent.js';
import { readStateDict, writeStateDict, type FloatTensor } from './state-dict.js';
import { WordTokenizer } from './vocab.js';
import { linearT } from './fast.js';

/**
 * A recurrent text classifier: token ids → embedding → (Bi)RNN/LSTM/GRU → pooling → dense →
 * softmax. Parameters are named as the equivalent PyTorch module would name them
 * (`embedding.weight`, `rnn.weight_ih_l0`, …, `fc.weight` `[C, features]`, `fc.bias`), and a saved
 * model is a folder with `config.json`, `model.safetensors` and, for the built-in word tokenizer,
 * `tokenizer.json`.
 */

/** How the sequence of RNN outputs becomes one vector (`maxmean`: max and mean side by side, twice the width). */
export type Pooling = 'last' | 'mean' | 'max' | 'maxmean';

/** The classifier's architecture (stored in `config.json`). */
export interface ClassifierConfig {
  /** Class labels in output order. */
  labels: string[];
  /** Rows of the embedding table (the tokenizer's vocabulary size). */
  vocabSize: number;
  /** Id used for padding (its embedding row stays zero and receives no gradient effect on outputs). Default 0. */
  padId?: number;
  embeddingDim: number;
  cell: CellKind;
  hiddenSize: number;
  numLayers?: number;
  bidirectional?: boolean;
  /** Dropout between recurrent layers and before the dense layer, when training. Default 0. */
  dropout?: number;
  /** `last` (final state, both directions when bidirectional), `mean`, `max` or both (`maxmean`) over the true steps. Default `last`. */
  pooling?: Pooling;
  /** Texts are cut to this many tokens. Default 200. */
  maxLength?: number;
}

/** Pre-trained word vectors to initialise the embedding from (e.g. from `@llm/embeddings`' word2vec reader). */
export interface PretrainedVectors {
  words: readonly string[];
  /** `words.length × dim` values, row-major. */
  vectors: Float32Array;
  dim: number;
}

/** A prediction for one text. */
export interface Prediction {
  label: string;
  /** Probability of `label`. */
  probability: number;
  /** Probability of every label. */
  probabilities: Record<string, number>;
}

/** Token ids of a batch, padded, with each row's true length. */
export interface EncodedBatch {
  ids: Int32Array;
  lengths: number[];
  /** Padded length T. */
  width: number;
}

type FullConfig = Required<ClassifierConfig>;

function fullConfig(c: ClassifierConfig): FullConfig {
  const f: FullConfig = {
    labels: c.labels,
    vocabSize: c.vocabSize,
    padId: c.padId ?? 0,
    embeddingDim: c.embeddingDim,
    cell: c.cell,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers ?? 1,
    bidirectional: c.bidirectional ?? false,
    dropout: c.dropout ?? 0,
    pooling: c.pooling ?? 'last',
    maxLength: c.maxLength ?? 200,
  };
  if (!Array.isArray(f.labels) || f.labels.length < 2) throw new ConfigError('a classifier needs at least 2 labels', { field: 'labels' });
  if (new Set(f.labels).size !== f.labels.length) throw new ConfigError('labels must be distinct', { field: 'labels' });
  for (const k of ['vocabSize', 'embeddingDim', 'hiddenSize', 'numLayers', 'maxLength'] as const) {
    if (!Number.isInteger(f[k]) || f[k] < 1) throw new ConfigError(`${k} must be a positive integer, got ${f[k]}`, { field: k });
  }
  if (!['last', 'mean', 'max', 'maxmean'].includes(f.pooling)) throw new ConfigError(`pooling must be last, mean, max or maxmean, got ${f.pooling}`, { field: 'pooling' });
  if (!['rnn', 'lstm', 'gru'].includes(f.cell)) throw new ConfigError(`cell must be rnn, lstm or gru, got ${f.cell}`, { field: 'cell' });
  return f;
}

/** The recurrent classifier. Create with {@link RecurrentClassifier.create} or {@link RecurrentClassifier.load}. */
export class RecurrentClassifier {
  readonly config: FullConfig;
  readonly tokenizer: Tokenizer;
  /** `[vocabSize, embeddingDim]`. */
  readonly embedding: Variable;
  readonly rnn: RecurrentLayer;
  /** `[labels, features]` (PyTorch `nn.Linear` layout). */
  readonly fcWeight: Variable;
  readonly fcBias: Variable;

  private constructor(config: FullConfig, tokenizer: Tokenizer, rng: Rng, pretrained?: PretrainedVectors) {
    this.config = config;
    this.tokenizer = tokenizer;
    const V = config.vocabSize;
    const E = config.embeddingDim;
    // nn.Embedding's init: N(0, 1); the padding row is zero.
    const emb = new Float32Array(V * E);
    const er = rng.split('embedding');
    for (let i = 0; i < emb.length; i++) emb[i] = er.normal();
    let covered = 0;
    if (pretrained) {
      if (pretrained.dim !== E) throw new ConfigError(`pre-trained vectors have ${pretrained.dim} dimensions, the embedding has ${E}`, { field: 'embeddingDim' });
      if (pretrained.vectors.length !== pretrained.words.length * pretrained.dim) throw new InputError(`pre-trained vectors hold ${pretrained.vectors.length} values, expected ${pretrained.words.length}×${pretrained.dim}`);
      // Scale random rows to the pre-trained vectors' spread so both kinds start alike.
      let sq = 0;
      for (let i = 0; i < pretrained.vectors.length; i++) sq += pretrained.vectors[i]! ** 2;
      const std = Math.sqrt(sq / Math.max(1, pretrained.vectors.length));
      for (let i = 0; i < emb.length; i++) emb[i]! *= std;
      pretrained.words.forEach((w, k) => {
        const id = tokenizer.tokenToId(w) ?? tokenizer.tokenToId(w.toLowerCase());
        if (id === undefined || id >= V) return;
        emb.set(pretrained.vectors.subarray(k * E, (k + 1) * E), id * E);
        covered++;
      });
    }
    emb.fill(0, config.padId * E, (config.padId + 1) * E);
    this.pretrainedCoverage = covered;
    this.embedding = tf.variable(tf.tensor2d(emb, [V, E]), true);
    this.rnn = new RecurrentLayer({ kind: config.cell, inputSize: E, hiddenSize: config.hiddenSize, numLayers: config.numLayers, bidirectional: config.bidirectional, dropout: config.dropout }, rng.split('rnn'));
    const F = this.rnn.outputSize * (config.pooling === 'maxmean' ? 2 : 1);
    const C = config.labels.length;
    // nn.Linear's init: uniform ±1/√fan_in.
    const k = 1 / Math.sqrt(F);
    const fr = rng.split('fc');
    this.fcWeight = tf.variable(tf.tensor2d(Float32Array.from({ length: C * F }, () => fr.uniform(-k, k)), [C, F]), true);
    this.fcBias = tf.variable(tf.tensor1d(Float32Array.from({ length: C }, () => fr.uniform(-k, k))), true);
  }

  /** Vocabulary entries that got a pre-trained vector at creation (0 without one). */
  readonly pretrainedCoverage: number;

  /**
   * A new, randomly initialised classifier (deterministic by `seed`); `pretrained` vectors
   * overwrite the embedding rows of the words they cover.
   */
  static create(config: Omit<ClassifierConfig, 'vocabSize'> & { vocabSize?: number }, tokenizer: Tokenizer, options: { seed?: number; pretrained?: PretrainedVectors } = {}): RecurrentClassifier {
    const full = fullConfig({ ...config, vocabSize: config.vocabSize ?? tokenizer.vocabSize });
    return new RecurrentClassifier(full, tokenizer, new Rng(options.seed ?? 0).split('init'), options.pretrained);
  }

  /** Every trainable variable by PyTorch-style name, in a fixed order. */
  namedParameters(): Array<[string, Variable]> {
    return [
      ['embedding.weight', this.embedding],
      ...[...this.rnn.parameters].map(([n, v]): [string, Variable] => [`rnn.${n}`, v]),
      ['fc.weight', this.fcWeight],
      ['fc.bias', this.fcBias],
    ];
  }

  /** Number of trainable values. */
  get parameterCount(): number {
    return this.namedParameters().reduce((a, [, v]) => a + v.size, 0);
  }

  /** Tokenize and pad a batch of texts (cut at `maxLength`; an empty text becomes one `[PAD]` step of length 1). */
  encodeBatch(texts: readonly string[]): EncodedBatch {
    return this.batchFromIds(texts.map((t) => this.tokenize(t)));
  }

  /** Token ids of one text, cut at `maxLength`. */
  tokenize(text: string): number[] {
    return this.tokenizer.encode(text, undefined, { addSpecialTokens: false }).ids.slice(0, this.config.maxLength);
  }

  /** Pad already tokenized sequences (see {@link RecurrentClassifier.tokenize}) into a batch. */
  batchFromIds(seqs: ReadonlyArray<readonly number[]>): EncodedBatch {
    const width = Math.max(1, ...seqs.map((s) => s.length));
    const ids = new Int32Array(seqs.length * width).fill(this.config.padId);
    const lengths = seqs.map((s, b) => {
      for (let j = 0; j < s.length; j++) {
        const id = s[j]!;
        ids[b * width + j] = id < this.config.vocabSize ? id : this.config.padId;
      }
      return Math.max(1, s.length);
    });
    return { ids, lengths, width };
  }

  /** Logits `[B, labels]` for an encoded batch. With `training`, dropout draws its masks from `rng`. */
  logits(batch: EncodedBatch, options: { training?: boolean; rng?: Rng } = {}): Tensor2D {
    const B = batch.lengths.length;
    const T = batch.width;
    const training = options.training === true && this.config.dropout > 0;
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.ids, [B, T], 'int32');
      const x = tf.gather(this.embedding, ids) as Tensor3D; // [B, T, E]
      const pooling = this.config.pooling;
      const r = this.rnn.forward(x, { lengths: batch.lengths, training, rng: options.rng?.split('rnn'), returnSequences: pooling !== 'last' });
      let feats: Tensor2D;
      if (pooling === 'last') {
        const D = this.rnn.numDirections;
        const L = this.config.numLayers;
        const last = tf.slice(r.state.h, [(L - 1) * D, 0, 0], [D, B, this.config.hiddenSize]); // [D, B, H]
        feats = tf.reshape(tf.transpose(last, [1, 0, 2]), [B, D * this.config.hiddenSize]);
      } else {
        const m = new Float32Array(B * T);
        batch.lengths.forEach((len, b) => m.fill(1, b * T, b * T + len));
        const mask = tf.tensor3d(m, [B, T, 1]);
        const out = r.output!;
        const mean = () => tf.div(tf.sum(tf.mul(out, mask), 1), tf.tensor2d(batch.lengths.map(Number), [B, 1])) as Tensor2D;
        // Padded steps output 0; push them far below any real value before the max.
        const max = () => tf.max(tf.add(out, tf.mul(tf.sub(mask, 1), 1e9)), 1) as Tensor2D;
        feats = pooling === 'mean' ? mean() : pooling === 'max' ? max() : tf.concat([max(), mean()], 1);
      }
      if (training) feats = dropoutWithRng(feats, this.config.dropout, options.rng!.split('fc'));
      return tf.add(linearT(feats, this.fcWeight as unknown as Tensor2D), this.fcBias) as Tensor2D;
    });
  }

  /** Class probabilities of each text. */
  async predict(texts: readonly string[], options: { batchSize?: number } = {}): Promise<Prediction[]> {
    const bs = options.batchSize ?? 64;
    const out: Prediction[] = [];
    for (let i = 0; i < texts.length; i += bs) {
      const batch = this.encodeBatch(texts.slice(i, i + bs));
      const probs = tf.tidy(() => tf.softmax(this.logits(batch)));
      const p = (await probs.data()) as Float32Array;
      probs.dispose();
      const C = this.config.labels.length;
      for (let b = 0; b < batch.lengths.length; b++) {
        const row = p.subarray(b * C, (b + 1) * C);
        const best = argmax(row);
        const probabilities: Record<string, number> = {};
        this.config.labels.forEach((l, c) => { probabilities[l] = row[c]!; });
        out.push({ label: this.config.labels[best]!, probability: row[best]!, probabilities });
      }
    }
    return out;
  }

  /** Parameter values by name. */
  async stateDict(): Promise<Map<string, FloatTensor>> {
    const out = new Map<string, FloatTensor>();
    for (const [n, v] of this.namedParameters()) out.set(n, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  /** Set every parameter from a name → tensor map (all names required, shapes checked). */
  loadStateDict(values: ReadonlyMap<string, FloatTensor>, file?: string): void {
    for (const [n, v] of this.namedParameters()) {
      const src = values.get(n);
      if (!src) throw new FormatError('safetensors', `missing tensor '${n}'`, { file, field: n });
      if (src.shape.length !== v.shape.length || src.shape.some((d, i) => d !== v.shape[i])) throw new FormatError('safetensors', `'${n}' has shape ${JSON.stringify(src.shape)}, the config needs ${JSON.stringify(v.shape)}`, { file, field: n });
    }
    for (const [n, v] of this.namedParameters()) v.assign(tf.tensor(values.get(n)!.data, v.shape, 'float32'));
  }

  /**
   * Save to `dir`: `config.json` (architecture and labels), `model.safetensors` (weights,
   * PyTorch-style names) and, when the tokenizer is a {@link WordTokenizer}, `tokenizer.json`.
   * Each file is written atomically.
   */
  async save(dir: string, extra: Record<string, unknown> = {}): Promise<void> {
    await writeStateDict(join(dir, 'model.safetensors'), await this.stateDict(), { format: 'pt', framework: '@llm/seq' });
    if (this.tokenizer instanceof WordTokenizer) await writeJsonAtomic(join(dir, 'tokenizer.json'), this.tokenizer.toJSON());
    await writeJsonAtomic(join(dir, 'config.json'), { model_type: 'recurrent-classifier', ...this.config, ...extra });
  }

  /**
   * Load a folder written by {@link RecurrentClassifier.save}. Pass `tokenizer` when the model was
   * trained with one that is not saved in the folder.
   */
  static async load(dir: string, options: { tokenizer?: Tokenizer } = {}): Promise<RecurrentClassifier> {
    const cfgPath = join(dir, 'config.json');
    if (!existsSync(cfgPath)) throw new NotFoundError('no config.json: not a model folder', { file: dir });
    const raw = parseJson(await readFile(cfgPath, 'utf8'), { file: cfgPath }) as Record<string, unknown>;
    if (raw.model_type !== 'recurrent-classifier') throw new FormatError('config.json', `model_type is ${JSON.stringify(raw.model_type)}, expected "recurrent-classifier"`, { file: cfgPath, field: 'model_type' });
    let config: FullConfig;
    try {
      config = fullConfig(raw as unknown as ClassifierConfig);
    } catch (err) {
      throw new FormatError('config.json', (err as Error).message, { file: cfgPath, field: (err as ConfigError).location?.field }, { cause: err });
    }
    let tokenizer = options.tokenizer;
    if (!tokenizer) {
      const tokPath = join(dir, 'tokenizer.json');
      if (!existsSync(tokPath)) throw new NotFoundError('no tokenizer.json in the model folder; pass the tokenizer the model was trained with', { file: dir });
      tokenizer = WordTokenizer.fromJSON(parseJson(await readFile(tokPath, 'utf8'), { file: tokPath }), tokPath);
    }
    const model = new RecurrentClassifier(config, tokenizer, new Rng(0));
    const weights = join(dir, 'model.safetensors');
    if (!existsSync(weights)) throw new NotFoundError('no model.safetensors in the model folder', { file: dir });
    model.loadStateDict((await readStateDict(weights)).tensors, weights);
    return model;
  }

  /** Release every variable. */
  dispose(): void {
    this.embedding.dispose();
    this.rnn.dispose();
    this.fcWeight.dispose();
    this.fcBias.dispose();
  }
}

/**
 * Cross-entropy of `logits` `[B, C]` against integer `labels`, each example weighted by its
 * class's weight and normalised by the weights' sum (PyTorch's `CrossEntropyLoss(weight=…)`).
 */
export function weightedCrossEntropy(logits: Tensor2D, labels: Int32Array, classWeights?: readonly number[]): tf.Scalar {
  return tf.tidy(() => {
    const [B, C] = logits.shape;
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), C);
    const picked = tf.sum(tf.mul(logp, onehot), 1) as Tensor1D; // [B]
    const w = Float32Array.from(labels, (y) => (classWeights ? classWeights[y]! : 1));
    let sum = 0;
    for (let i = 0; i < B; i++) sum += w[i]!;
    return tf.div(tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(w)))), sum) as tf.Scalar;
  });
}

/** Free a list of tensors that may contain undefined. */
export function disposeAll(ts: ReadonlyArray<Tensor | undefined>): void {
  for (const t of ts) t?.dispose();
}
