/**
 * BERT (post-norm encoder), HF names:
 *
 *   x = LayerNorm(word_embeddings[ids] + position_embeddings[pos] + token_type_embeddings[tt])
 *   for each bert.encoder.layer.i:
 *     a = attention.output.LayerNorm(x + attention.output.dense(selfattn(x)))   (query/key/value; padding mask)
 *     x = output.LayerNorm(a + output.dense(gelu(intermediate.dense(a))))
 *   heads:
 *     MLM:            cls.predictions: transform.dense → gelu → transform.LayerNorm → x @ word_embeddingsᵀ + bias
 *     classification: bert.pooler (tanh(dense(x[:,0]))) → classifier
 *     QA spans:       qa_outputs → start / end logits
 */
import { tf, type Tensor } from '@llm/core';
import { ConfigError } from '@llm/core';
import { ConfigReader } from '../checkpoint.js';
import { mergeHeads, paddingMask, scaledDotProductAttention, splitHeads } from '../nn/attention.js';
import { activation, dropout, embedding, layerNorm, linear, type ActivationName } from '../nn/layers.js';
import { PretrainedModel, idsTensor, type ParamSpec } from '../model.js';

/** Which head sits on the encoder. */
export type BertHead = 'mlm' | 'sequence-classification' | 'question-answering' | 'none';

/** BERT hyper-parameters. */
export interface BertConfig {
  head: BertHead;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  activation: ActivationName;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  dropout: number;
  padTokenId: number;
  /** Class names for sequence classification (`id2label`). */
  labels: string[];
}

const ARCH: Record<BertHead, string> = {
  mlm: 'BertForMaskedLM',
  'sequence-classification': 'BertForSequenceClassification',
  'question-answering': 'BertForQuestionAnswering',
  none: 'BertModel',
};

/** Parse an HF BERT `config.json`; the head comes from `architectures[0]`. */
export function bertConfigFromHf(raw: Record<string, unknown>, file?: string): BertConfig {
  const r = new ConfigReader(raw, file);
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  r.divisible('hidden_size', hiddenSize, 'num_attention_heads', numHeads);
  const arch = Array.isArray(raw.architectures) && typeof raw.architectures[0] === 'string' ? raw.architectures[0] : 'BertModel';
  const head = (Object.keys(ARCH) as BertHead[]).find((h) => ARCH[h] === arch) ?? (arch === 'BertForPreTraining' ? 'mlm' : undefined);
  if (!head) throw new ConfigError(`unsupported BERT architecture '${arch}' (supported: ${Object.values(ARCH).join(', ')})`, { file, field: 'architectures' });
  const pet = r.str('position_embedding_type', 'absolute');
  if (pet !== 'absolute') throw new ConfigError(`position_embedding_type '${pet}' is not supported (only 'absolute')`, { file, field: 'position_embedding_type' });
  let labels: string[] = [];
  if (head === 'sequence-classification') {
    const id2label = raw.id2label as Record<string, unknown> | undefined;
    const n = id2label && typeof id2label === 'object' ? Object.keys(id2label).length : r.int('num_labels', 2);
    labels = Array.from({ length: n }, (_, i) => String(id2label?.[String(i)] ?? `LABEL_${i}`));
  }
  return {
    head,
    vocabSize: r.int('vocab_size'),
    hiddenSize,
    numLayers: r.int('num_hidden_layers'),
    numHeads,
    intermediateSize: r.int('intermediate_size'),
    activation: r.str<ActivationName>('hidden_act', 'gelu', ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu', 'silu', 'swish']),
    maxPositions: r.int('max_position_embeddings', 512),
    typeVocabSize: r.int('type_vocab_size', 2),
    layerNormEps: r.num('layer_norm_eps', 1e-12),
    dropout: r.num('hidden_dropout_prob', 0.1),
    padTokenId: r.int('pad_token_id', 0, 0),
    labels,
  };
}

/** Inputs to BERT: ids plus optional token types and attention mask (`[B, T]` each). */
export interface BertInputs {
  inputIds: readonly (readonly number[])[];
  tokenTypeIds?: readonly (readonly number[])[];
  attentionMask?: readonly (readonly number[])[];
  /** Training: dropout seed. */
  dropoutSeed?: number;
}

/** BERT encoder with one of its heads. */
export class Bert extends PretrainedModel {
  readonly modelType = 'bert';

  constructor(readonly config: BertConfig) {
    super();
  }

  private get hasPooler(): boolean {
    return this.config.head === 'sequence-classification' || this.config.head === 'none';
  }

  paramSpec(): ParamSpec[] {
    const c = this.config;
    const d = c.hiddenSize;
    const std = 0.02;
    const ln = (p: string): ParamSpec[] => [{ name: `${p}.weight`, shape: [d], init: 'ones' }, { name: `${p}.bias`, shape: [d], init: 'zeros' }];
    const lin = (p: string, out: number, inp: number): ParamSpec[] => [{ name: `${p}.weight`, shape: [out, inp], init: 'normal', std }, { name: `${p}.bias`, shape: [out], init: 'zeros' }];
    const spec: ParamSpec[] = [
      { name: 'bert.embeddings.word_embeddings.weight', shape: [c.vocabSize, d], init: 'normal', std },
      { name: 'bert.embeddings.position_embeddings.weight', shape: [c.maxPositions, d], init: 'normal', std },
      { name: 'bert.embeddings.token_type_embeddings.weight', shape: [c.typeVocabSize, d], init: 'normal', std },
      ...ln('bert.embeddings.LayerNorm'),
    ];
    for (let i = 0; i < c.numLayers; i++) {
      const l = `bert.encoder.layer.${i}`;
      spec.push(
        ...lin(`${l}.attention.self.query`, d, d),
        ...lin(`${l}.attention.self.key`, d, d),
        ...lin(`${l}.attention.self.value`, d, d),
        ...lin(`${l}.attention.output.dense`, d, d),
        ...ln(`${l}.attention.output.LayerNorm`),
        ...lin(`${l}.intermediate.dense`, c.intermediateSize, d),
        ...lin(`${l}.output.dense`, d, c.intermediateSize),
        ...ln(`${l}.output.LayerNorm`),
      );
    }
    if (this.hasPooler) spec.push(...lin('bert.pooler.dense', d, d));
    if (c.head === 'mlm') {
      spec.push(...lin('cls.predictions.transform.dense', d, d), ...ln('cls.predictions.transform.LayerNorm'), { name: 'cls.predictions.bias', shape: [c.vocabSize], init: 'zeros' });
    } else if (c.head === 'sequence-classification') {
      spec.push(...lin('classifier', c.labels.length, d));
    } else if (c.head === 'question-answering') {
      spec.push(...lin('qa_outputs', 2, d));
    }
    return spec;
  }

  protected override aliases(name: string): string[] {
    const out: string[] = [];
    // Original TF-converted checkpoints: LayerNorm.gamma/beta; BertModel files without the `bert.` prefix.
    const old = name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
    if (old !== name) out.push(old);
    if (name.startsWith('bert.')) out.push(name.slice(5), ...(old !== name ? [old.slice(5)] : []));
    if (name === 'cls.predictions.bias') out.push('cls.predictions.decoder.bias');
    return out;
  }

  protected override ignorable(name: string): boolean {
    return name === 'cls.predictions.decoder.weight' || name === 'cls.predictions.decoder.bias' || name.endsWith('embeddings.position_ids') || name.startsWith('cls.seq_relationship') || (!this.hasPooler && name.startsWith('bert.pooler'));
  }

  toHfConfig(): Record<string, unknown> {
    const c = this.config;
    const out: Record<string, unknown> = {
      architectures: [ARCH[c.head]], model_type: 'bert', vocab_size: c.vocabSize, hidden_size: c.hiddenSize, num_hidden_layers: c.numLayers,
      num_attention_heads: c.numHeads, intermediate_size: c.intermediateSize, hidden_act: c.activation, hidden_dropout_prob: c.dropout,
      attention_probs_dropout_prob: c.dropout, max_position_embeddings: c.maxPositions, type_vocab_size: c.typeVocabSize,
      initializer_range: 0.02, layer_norm_eps: c.layerNormEps, pad_token_id: c.padTokenId, position_embedding_type: 'absolute', torch_dtype: 'float32',
    };
    if (c.head === 'sequence-classification') {
      out.id2label = Object.fromEntries(c.labels.map((l, i) => [String(i), l]));
      out.label2id = Object.fromEntries(c.labels.map((l, i) => [l, i]));
    }
    return out;
  }

  /** Encoder output `[B, T, d]`. */
  hiddenStates(inputs: BertInputs): Tensor {
    const c = this.config;
    const ids = inputs.inputIds;
    const b = ids.length;
    const t = ids[0]?.length ?? 0;
    if (t > c.maxPositions) throw new RangeError(`sequence of ${t} tokens exceeds max_position_embeddings ${c.maxPositions}`);
    const act = activation(c.activation);
    const p = inputs.dropoutSeed === undefined ? 0 : c.dropout;
    let seed = inputs.dropoutSeed ?? 0;
    const drop = (x: Tensor): Tensor => dropout(x, p, p > 0 ? seed++ : undefined);
    const tt = inputs.tokenTypeIds ?? ids.map((r) => r.map(() => 0));
    const pos = tf.range(0, t, 1, 'int32');
    let x = tf.add(tf.add(embedding(idsTensor(ids), this.w('bert.embeddings.word_embeddings.weight')), embedding(idsTensor(tt), this.w('bert.embeddings.token_type_embeddings.weight'))), tf.expandDims(embedding(pos, this.w('bert.embeddings.position_embeddings.weight')), 0));
    x = drop(layerNorm(x, this.w('bert.embeddings.LayerNorm.weight'), this.w('bert.embeddings.LayerNorm.bias'), c.layerNormEps));
    const mask = inputs.attentionMask ? paddingMask(idsTensor(inputs.attentionMask)) : undefined;
    void b;
    for (let i = 0; i < c.numLayers; i++) {
      const l = `bert.encoder.layer.${i}`;
      const lin = (name: string, v: Tensor): Tensor => linear(v, this.w(`${l}.${name}.weight`), this.w(`${l}.${name}.bias`));
      const q = splitHeads(lin('attention.self.query', x), c.numHeads);
      const k = splitHeads(lin('attention.self.key', x), c.numHeads);
      const v = splitHeads(lin('attention.self.value', x), c.numHeads);
      const y = mergeHeads(scaledDotProductAttention(q, k, v, { mask }));
      const a = layerNorm(tf.add(x, drop(lin('attention.output.dense', y))), this.w(`${l}.attention.output.LayerNorm.weight`), this.w(`${l}.attention.output.LayerNorm.bias`), c.layerNormEps);
      const f = lin('output.dense', act(lin('intermediate.dense', a)));
      x = layerNorm(tf.add(a, drop(f)), this.w(`${l}.output.LayerNorm.weight`), this.w(`${l}.output.LayerNorm.bias`), c.layerNormEps);
    }
    return x;
  }

  /** Pooled `[CLS]` vector `tanh(dense(h[:, 0]))`, `[B, d]` (classification models). */
  pooled(hidden: Tensor): Tensor {
    const cls = tf.squeeze(tf.slice(hidden, [0, 0, 0], [-1, 1, -1]), [1]);
    return tf.tanh(linear(cls, this.w('bert.pooler.dense.weight'), this.w('bert.pooler.dense.bias')));
  }

  /** Masked-LM logits `[B, T, vocab]` (decoder tied to the word embeddings). */
  mlmLogits(inputs: BertInputs): Tensor {
    if (this.config.head !== 'mlm') throw new ConfigError(`this BERT has a '${this.config.head}' head, not 'mlm'`);
    const c = this.config;
    const h = this.hiddenStates(inputs);
    const tr = layerNorm(activation(c.activation)(linear(h, this.w('cls.predictions.transform.dense.weight'), this.w('cls.predictions.transform.dense.bias'))), this.w('cls.predictions.transform.LayerNorm.weight'), this.w('cls.predictions.transform.LayerNorm.bias'), c.layerNormEps);
    return linear(tr, this.w('bert.embeddings.word_embeddings.weight'), this.w('cls.predictions.bias'));
  }

  /** Sequence-classification logits `[B, numLabels]`. */
  classify(inputs: BertInputs): Tensor {
    if (this.config.head !== 'sequence-classification') throw new ConfigError(`this BERT has a '${this.config.head}' head, not 'sequence-classification'`);
    const pooled = this.pooled(this.hiddenStates(inputs));
    const p = inputs.dropoutSeed === undefined ? 0 : this.config.dropout;
    return linear(dropout(pooled, p, p > 0 ? inputs.dropoutSeed! + 1_000_003 : undefined), this.w('classifier.weight'), this.w('classifier.bias'));
  }

  /** QA span logits: `start` and `end`, each `[B, T]`. */
  spanLogits(inputs: BertInputs): { start: Tensor; end: Tensor } {
    if (this.config.head !== 'question-answering') throw new ConfigError(`this BERT has a '${this.config.head}' head, not 'question-answering'`);
    const lg = linear(this.hiddenStates(inputs), this.w('qa_outputs.weight'), this.w('qa_outputs.bias'));
    const [s, e] = tf.split(lg, 2, -1) as [Tensor, Tensor];
    return { start: tf.squeeze(s, [-1]), end: tf.squeeze(e, [-1]) };
  }
}

/**
 * Best answer span from start/end logits of one example: maximises `start[i] + end[j]` over
 * `i ≤ j < i + maxLength` within `[from, to)` (e.g. the context tokens).
 */
export function bestSpan(start: ArrayLike<number>, end: ArrayLike<number>, from = 0, to = start.length, maxLength = 30): { start: number; end: number; score: number } {
  let best = { start: from, end: from, score: Number.NEGATIVE_INFINITY };
  for (let i = from; i < to; i++) {
    for (let j = i; j < Math.min(to, i + maxLength); j++) {
      const s = start[i]! + end[j]!;
      if (s > best.score) best = { start: i, end: j, score: s };
    }
  }
  return best;
}
