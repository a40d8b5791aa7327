import { ConfigError, InputError, Rng, createProgress, tf, throwIfAborted } from '@llm/core';
import type { NamedTensorMap, Tensor2D, Tensor3D, Variable } from '@llm/core';
import type { RecurrentClassifier } from './classifier.js';
import { linearT } from './fast.js';
import { clipGradNorm, dropoutWithRng, type RecurrentState } from './recurrent.js';

/**
 * Language-model pre-training of a classifier's encoder (ULMFiT's first step, Howard & Ruder
 * 2018): the classifier's own embedding and recurrent layer learn to predict the next token of
 * unlabelled text before they are fine-tuned on labels. The texts are tokenized with the model's
 * tokenizer, concatenated into one stream and cut into `batchSize` parallel streams read in
 * windows of `bptt` tokens (truncated back-propagation through time, the state carried from one
 * window to the next). A temporary output layer `[vocab, hidden]` maps each step's output to
 * next-token logits and is dropped afterwards; the classifier's dense layer is untouched.
 */

/** Options of {@link pretrainLanguageModel}. */
export interface LanguageModelOptions {
  /** Passes over the text. Default 3. */
  epochs?: number;
  /** Parallel streams. Default 32. */
  batchSize?: number;
  /** Tokens per window (truncated BPTT). Default 50. */
  bptt?: number;
  /** Adam's learning rate. Default 3e-3. */
  learningRate?: number;
  /** Dropout on the embedding output and on the recurrent output, when training. Default 0.2. */
  dropout?: number;
  /** Clip the global gradient norm. Default 1. */
  clipNorm?: number;
  /** Stop after this many optimiser steps (tests). */
  maxSteps?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Draw a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
  /** One line per epoch. */
  log?: (line: string) => void;
}

/** What {@link pretrainLanguageModel} did. */
export interface LanguageModelResult {
  /** Tokens in the stream. */
  tokens: number;
  steps: number;
  /** Mean next-token cross-entropy (nats) of each epoch, on the text trained on. */
  epochLoss: number[];
}

/**
 * Train `model`'s embedding and recurrent layer as a next-token language model on `texts`
 * (in place). Unidirectional models only: a bidirectional layer would see the token it predicts.
 */
export async function pretrainLanguageModel(model: RecurrentClassifier, texts: readonly string[], options: LanguageModelOptions = {}): Promise<LanguageModelResult> {
  const cfg = model.config;
  if (cfg.bidirectional) throw new ConfigError('language-model pre-training needs a unidirectional model (a bidirectional one sees the next token)', { field: 'bidirectional' });
  const epochs = options.epochs ?? 3;
  const B = options.batchSize ?? 32;
  const T = options.bptt ?? 50;
  const lr = options.learningRate ?? 3e-3;
  const p = options.dropout ?? 0.2;
  const clip = options.clipNorm ?? 1;
  for (const [k, v] of [['epochs', epochs], ['batchSize', B], ['bptt', T]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new ConfigError(`${k} must be a positive integer, got ${v}`, { field: k });
  }
  if (!(lr > 0)) throw new ConfigError(`learningRate must be positive, got ${lr}`, { field: 'learningRate' });
  const V = cfg.vocabSize;
  const stream: number[] = [];
  for (const t of texts) {
    for (const id of model.tokenizer.encode(t, undefined, { addSpecialTokens: false }).ids) stream.push(id < V ? id : cfg.padId);
  }
  const cols = Math.floor((stream.length - 1) / B);
  if (cols < 2) throw new InputError(`too little text for language-model pre-training: ${stream.length} tokens for ${B} streams`);
  // Stream b reads stream[b·cols .. (b+1)·cols]; targets are the next token.
  const windows = Math.ceil(cols / T);
  const rng = new Rng(options.seed ?? 0).split('lm');
  const H = cfg.hiddenSize;
  const k = 1 / Math.sqrt(H);
  const wr = rng.split('out');
  const outW = tf.variable(tf.tensor2d(Float32Array.from({ length: V * H }, () => wr.uniform(-k, k)), [V, H]), true, 'lm.out.weight');
  const outB = tf.variable(tf.zeros([V]), true, 'lm.out.bias');
  const vars: Variable[] = [model.embedding, ...model.rnn.parameters.values(), outW, outB];
  const opt = tf.train.adam(lr);
  const totalSteps = Math.min(epochs * windows, options.maxSteps ?? Infinity);
  const progress = createProgress({ label: 'lm pre-train', total: totalSteps, unit: 'steps', enabled: options.progress });
  const epochLoss: number[] = [];
  let step = 0;
  try {
    for (let e = 0; e < epochs && step < totalSteps; e++) {
      let state: RecurrentState | undefined;
      let sum = 0;
      let n = 0;
      for (let w = 0; w < windows && step < totalSteps; w++) {
        throwIfAborted(options.signal);
        const start = w * T;
        const len = Math.min(T, cols - start);
        const ids = new Int32Array(B * len);
        const next = new Int32Array(B * len);
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < len; t++) {
            ids[b * len + t] = stream[b * cols + start + t]!;
            next[b * len + t] = stream[b * cols + start + t + 1]!;
          }
        }
        const dr = rng.split(`dropout:${step}`);
        let newState: RecurrentState | undefined;
        const { value, grads } = tf.variableGrads(() => {
          let x = tf.gather(model.embedding, tf.tensor2d(ids, [B, len], 'int32')) as Tensor3D;
          x = dropoutWithRng(x, p, dr.split('emb'));
          const r = model.rnn.forward(x, { initialState: state, training: true, rng: dr.split('rnn') });
          newState = { h: tf.keep(tf.clone(r.state.h)) as Tensor3D, c: r.state.c ? (tf.keep(tf.clone(r.state.c)) as Tensor3D) : undefined };
          const o = dropoutWithRng(tf.reshape(r.output!, [B * len, H]) as Tensor2D, p, dr.split('out'));
          const logits = tf.add(linearT(o, outW as unknown as Tensor2D), outB) as Tensor2D;
          const oneHot = tf.oneHot(tf.tensor1d(next, 'int32'), V);
          return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
        }, vars);
        let applied: NamedTensorMap = grads;
        if (clip > 0) applied = clipGradNorm(grads, clip).grads;
        opt.applyGradients(vars.map((v) => ({ name: v.name, tensor: applied[v.name]! })));
        const loss = (await value.data())[0]!;
        tf.dispose([value, ...Object.values(grads), ...(applied === grads ? [] : Object.values(applied))]);
        if (state) tf.dispose([state.h, ...(state.c ? [state.c] : [])]);
        state = newState; // carried forward, cut from the graph
        sum += loss;
        n++;
        step++;
        progress.update(step, { epoch: e + 1, loss });
      }
      if (state) tf.dispose([state.h, ...(state.c ? [state.c] : [])]);
      epochLoss.push(sum / Math.max(1, n));
      options.log?.(`lm epoch ${e + 1}: loss ${epochLoss.at(-1)!.toFixed(3)} (perplexity ${Math.exp(epochLoss.at(-1)!).toFixed(1)})`);
    }
  } finally {
    progress.done();
    opt.dispose();
    outW.dispose();
    outB.dispose();
  }
  return { tokens: stream.length, steps: step, epochLoss };
}
