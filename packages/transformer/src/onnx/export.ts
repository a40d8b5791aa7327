/**
 * ONNX export (opset 17) of GPT-2 and BERT, op by op from the same weights:
 *
 *   GPT-2: inputs `input_ids`, `attention_mask` `[batch, sequence]` int64 → `logits` `[batch, sequence, vocab]`
 *   BERT:  inputs `input_ids`, `attention_mask`, `token_type_ids` → `last_hidden_state` and the head's
 *          output (`logits`, or `start_logits`/`end_logits`)
 *
 * Written to `DIR/onnx/model.onnx` next to `config.json`, the layout transformers.js and Optimum
 * use. GPT-2 optionally with KV-cache inputs/outputs (`past_key_values.{i}.key|value` →
 * `present.{i}.key|value`). Weights are stored inline, so models must stay under protobuf's 2 GB limit.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, writeFileAtomic, writeJsonAtomic } from '@llm/core';
import type { Bert } from '../models/bert.js';
import { Gpt2 } from '../models/gpt2.js';
import { MASK_VALUE } from '../nn/attention.js';
import { OnnxType, floatTensor, graph, int64Tensor, model as modelProto, node, valueInfo, type AttrValue } from './proto.js';

/** Builds a graph: nodes, initializers and unique value names. */
class GraphBuilder {
  readonly nodes: Uint8Array[] = [];
  readonly inits: Uint8Array[] = [];
  private n = 0;

  /** Add a node; returns its output names. */
  op(type: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => `${type.toLowerCase()}_${this.n++}`);
    this.nodes.push(node(type, inputs, outs, `${type}_${this.n}`, attrs));
    return outs;
  }

  /** Single-output node. */
  op1(type: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.op(type, inputs, attrs)[0]!;
  }

  weight(name: string, dims: readonly number[], data: Float32Array): string {
    this.inits.push(floatTensor(name, dims, data));
    return name;
  }

  i64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = `const_i64_${this.n++}`;
    this.inits.push(int64Tensor(name, dims, values));
    return name;
  }

  f32(value: number): string {
    const name = `const_f32_${this.n++}`;
    this.inits.push(floatTensor(name, [], Float32Array.of(value)));
    return name;
  }
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** Host copy of a weight. */
function host(m: Gpt2 | Bert, name: string): { data: Float32Array; shape: number[] } {
  const t = m.w(name);
  return { data: t.dataSync() as Float32Array, shape: t.shape };
}

/** `x @ W + b` where W is stored `[in, out]` in the graph. */
function dense(g: GraphBuilder, x: string, w: string, b: string | undefined): string {
  const y = g.op1('MatMul', [x, w]);
  return b ? g.op1('Add', [y, b]) : y;
}

/** torch `nn.Linear` weight `[out, in]` → graph initializer `[in, out]`. */
function linearWeight(g: GraphBuilder, m: Gpt2 | Bert, name: string): string {
  const { data, shape } = host(m, name);
  return g.weight(name, [shape[1]!, shape[0]!], transpose2d(data, shape[0]!, shape[1]!));
}

function param(g: GraphBuilder, m: Gpt2 | Bert, name: string): string {
  const { data, shape } = host(m, name);
  return g.weight(name, shape, data);
}

/** Multi-head attention core: q, k, v `[B, T, D]` → `[B, T, D]` with an additive mask. */
function attention(g: GraphBuilder, q: string, k: string, v: string, heads: number, headDim: number, mask: string): string {
  const split = g.i64([0, 0, heads, headDim]);
  const qh = g.op1('Transpose', [g.op1('Reshape', [q, split])], { perm: [0, 2, 1, 3] });
  const kt = g.op1('Transpose', [g.op1('Reshape', [k, split])], { perm: [0, 2, 3, 1] });
  const vh = g.op1('Transpose', [g.op1('Reshape', [v, split])], { perm: [0, 2, 1, 3] });
  const scores = g.op1('Add', [g.op1('Mul', [g.op1('MatMul', [qh, kt]), g.f32(1 / Math.sqrt(headDim))]), mask]);
  const y = g.op1('MatMul', [g.op1('Softmax', [scores], { axis: -1 }), vh]);
  return g.op1('Reshape', [g.op1('Transpose', [y], { perm: [0, 2, 1, 3] }), g.i64([0, 0, heads * headDim])]);
}

/** `(1 − mask) · MASK_VALUE` as `[B, 1, 1, T]`. */
function paddingMaskNode(g: GraphBuilder, attentionMask: string): string {
  const am = g.op1('Cast', [attentionMask], { to: OnnxType.FLOAT });
  const m = g.op1('Mul', [g.op1('Sub', [g.f32(1), am]), g.f32(MASK_VALUE)]);
  return g.op1('Unsqueeze', [m, g.i64([1, 2])]);
}

function geluTanhNode(g: GraphBuilder, x: string): string {
  const x3 = g.op1('Mul', [x, g.op1('Mul', [x, x])]);
  const inner = g.op1('Mul', [g.op1('Add', [x, g.op1('Mul', [x3, g.f32(0.044715)])]), g.f32(Math.sqrt(2 / Math.PI))]);
  return g.op1('Mul', [g.op1('Mul', [x, g.f32(0.5)]), g.op1('Add', [g.f32(1), g.op1('Tanh', [inner])])]);
}

function geluErfNode(g: GraphBuilder, x: string): string {
  const e = g.op1('Erf', [g.op1('Mul', [x, g.f32(Math.SQRT1_2)])]);
  return g.op1('Mul', [g.op1('Mul', [x, g.f32(0.5)]), g.op1('Add', [g.f32(1), e])]);
}

function activationNode(g: GraphBuilder, name: string, x: string): string {
  if (name === 'gelu') return geluErfNode(g, x);
  if (name === 'gelu_new' || name === 'gelu_pytorch_tanh') return geluTanhNode(g, x);
  if (name === 'relu') return g.op1('Relu', [x]);
  if (name === 'silu' || name === 'swish') return g.op1('Mul', [x, g.op1('Sigmoid', [x])]);
  throw new ConfigError(`activation '${name}' has no ONNX export`, { field: 'activation_function' });
}

/** Options for the GPT-2 export. */
export interface Gpt2OnnxOptions {
  /**
   * Add KV-cache inputs `past_key_values.{i}.key|value` `[batch, heads, past, head_dim]` and outputs
   * `present.{i}.key|value` (transformers.js / Optimum naming); `attention_mask` then covers
   * `past + sequence` positions. Feed tensors with `past = 0` for the first step.
   */
  kvCache?: boolean;
}

/** Build GPT-2's ONNX model bytes. */
export function gpt2ToOnnx(m: Gpt2, options: Gpt2OnnxOptions = {}): Uint8Array {
  const c = m.config;
  const g = new GraphBuilder();
  const D = c.nEmbd;
  const hd = D / c.nHead;
  const kv = options.kvCache ?? false;
  const shape = g.op1('Shape', ['input_ids']);
  const T = g.op1('Gather', [shape, g.i64([1], [])], { axis: 0 });
  const Tvec = g.op1('Slice', [shape, g.i64([1]), g.i64([2])]);
  // Past length (0 without a cache) as a scalar and a 1-element vector.
  const pastVec = kv ? g.op1('Slice', [g.op1('Shape', ['past_key_values.0.key']), g.i64([2]), g.i64([3])]) : g.i64([0]);
  const past = kv ? g.op1('Squeeze', [pastVec, g.i64([0])]) : g.i64([0], []);
  const totalVec = g.op1('Add', [pastVec, Tvec]);
  const pos = g.op1('Range', [past, g.op1('Add', [past, T]), g.i64([1], [])]);
  let x = g.op1('Add', [g.op1('Gather', [param(g, m, 'transformer.wte.weight'), 'input_ids'], { axis: 0 }), g.op1('Gather', [param(g, m, 'transformer.wpe.weight'), pos], { axis: 0 })]);
  // Causal mask table [1, 1, P, P]: rows past..past+T, columns 0..past+T; plus the padding mask.
  const P = c.nPositions;
  const causal = new Float32Array(P * P);
  for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) causal[i * P + j] = MASK_VALUE;
  const starts = g.op1('Concat', [pastVec, g.i64([0])], { axis: 0 });
  const ends = g.op1('Concat', [totalVec, totalVec], { axis: 0 });
  const causalT = g.op1('Slice', [g.weight('causal_mask', [1, 1, P, P], causal), starts, ends, g.i64([2, 3])]);
  const mask = g.op1('Add', [causalT, paddingMaskNode(g, 'attention_mask')]);
  const ln = (input: string, p: string) => g.op1('LayerNormalization', [input, param(g, m, `${p}.weight`), param(g, m, `${p}.bias`)], { axis: -1, epsilon: { f: c.layerNormEps } });
  const split = g.i64([0, 0, c.nHead, hd]);
  const inputs = [valueInfo('input_ids', OnnxType.INT64, ['batch_size', 'sequence_length']), valueInfo('attention_mask', OnnxType.INT64, ['batch_size', kv ? 'total_sequence_length' : 'sequence_length'])];
  const outputs = [valueInfo('logits', OnnxType.FLOAT, ['batch_size', 'sequence_length', c.vocabSize])];
  for (let i = 0; i < c.nLayer; i++) {
    const h = `transformer.h.${i}`;
    const a = ln(x, `${h}.ln_1`);
    const qkv = dense(g, a, param(g, m, `${h}.attn.c_attn.weight`), param(g, m, `${h}.attn.c_attn.bias`));
    const [q, k, v] = g.op('Split', [qkv, g.i64([D, D, D])], { axis: 2 }, 3) as [string, string, string];
    let y: string;
    if (!kv) {
      y = attention(g, q, k, v, c.nHead, hd, mask);
    } else {
      // Heads, append to the past, expose the result as present.*.
      const qh = g.op1('Transpose', [g.op1('Reshape', [q, split])], { perm: [0, 2, 1, 3] });
      const kh = g.op1('Transpose', [g.op1('Reshape', [k, split])], { perm: [0, 2, 1, 3] });
      const vh = g.op1('Transpose', [g.op1('Reshape', [v, split])], { perm: [0, 2, 1, 3] });
      const pk = `past_key_values.${i}.key`;
      const pv = `past_key_values.${i}.value`;
      inputs.push(valueInfo(pk, OnnxType.FLOAT, ['batch_size', c.nHead, 'past_sequence_length', hd]), valueInfo(pv, OnnxType.FLOAT, ['batch_size', c.nHead, 'past_sequence_length', hd]));
      g.nodes.push(node('Concat', [pk, kh], [`present.${i}.key`], `present_${i}_key`, { axis: 2 }));
      g.nodes.push(node('Concat', [pv, vh], [`present.${i}.value`], `present_${i}_value`, { axis: 2 }));
      outputs.push(valueInfo(`present.${i}.key`, OnnxType.FLOAT, ['batch_size', c.nHead, 'total_sequence_length', hd]), valueInfo(`present.${i}.value`, OnnxType.FLOAT, ['batch_size', c.nHead, 'total_sequence_length', hd]));
      const kt = g.op1('Transpose', [`present.${i}.key`], { perm: [0, 1, 3, 2] });
      const scores = g.op1('Add', [g.op1('Mul', [g.op1('MatMul', [qh, kt]), g.f32(1 / Math.sqrt(hd))]), mask]);
      const o = g.op1('MatMul', [g.op1('Softmax', [scores], { axis: -1 }), `present.${i}.value`]);
      y = g.op1('Reshape', [g.op1('Transpose', [o], { perm: [0, 2, 1, 3] }), g.i64([0, 0, D])]);
    }
    x = g.op1('Add', [x, dense(g, y, param(g, m, `${h}.attn.c_proj.weight`), param(g, m, `${h}.attn.c_proj.bias`))]);
    const f = activationNode(g, c.activation, dense(g, ln(x, `${h}.ln_2`), param(g, m, `${h}.mlp.c_fc.weight`), param(g, m, `${h}.mlp.c_fc.bias`)));
    x = g.op1('Add', [x, dense(g, f, param(g, m, `${h}.mlp.c_proj.weight`), param(g, m, `${h}.mlp.c_proj.bias`))]);
  }
  x = ln(x, 'transformer.ln_f');
  const wte = host(m, 'transformer.wte.weight');
  g.nodes.push(node('MatMul', [x, g.weight('lm_head.weight.T', [D, c.vocabSize], transpose2d(wte.data, c.vocabSize, D))], ['logits'], 'lm_head'));
  return modelProto(graph('gpt2', g.nodes, g.inits, inputs, outputs), 17);
}

/** Build BERT's ONNX model bytes (encoder plus its head). */
export function bertToOnnx(m: Bert): Uint8Array {
  const c = m.config;
  const g = new GraphBuilder();
  const D = c.hiddenSize;
  const shape = g.op1('Shape', ['input_ids']);
  const T = g.op1('Gather', [shape, g.i64([1], [])], { axis: 0 });
  const pos = g.op1('Range', [g.i64([0], []), T, g.i64([1], [])]);
  const ln = (input: string, p: string) => g.op1('LayerNormalization', [input, param(g, m, `${p}.weight`), param(g, m, `${p}.bias`)], { axis: -1, epsilon: { f: c.layerNormEps } });
  const lin = (input: string, p: string) => dense(g, input, linearWeight(g, m, `${p}.weight`), param(g, m, `${p}.bias`));
  const emb = g.op1('Add', [
    g.op1('Add', [g.op1('Gather', [param(g, m, 'bert.embeddings.word_embeddings.weight'), 'input_ids'], { axis: 0 }), g.op1('Gather', [param(g, m, 'bert.embeddings.token_type_embeddings.weight'), 'token_type_ids'], { axis: 0 })]),
    g.op1('Gather', [param(g, m, 'bert.embeddings.position_embeddings.weight'), pos], { axis: 0 }),
  ]);
  let x = ln(emb, 'bert.embeddings.LayerNorm');
  const mask = paddingMaskNode(g, 'attention_mask');
  for (let i = 0; i < c.numLayers; i++) {
    const l = `bert.encoder.layer.${i}`;
    const y = attention(g, lin(x, `${l}.attention.self.query`), lin(x, `${l}.attention.self.key`), lin(x, `${l}.attention.self.value`), c.numHeads, D / c.numHeads, mask);
    const a = ln(g.op1('Add', [x, lin(y, `${l}.attention.output.dense`)]), `${l}.attention.output.LayerNorm`);
    const f = lin(activationNode(g, c.activation, lin(a, `${l}.intermediate.dense`)), `${l}.output.dense`);
    x = ln(g.op1('Add', [a, f]), `${l}.output.LayerNorm`);
  }
  g.nodes.push(node('Identity', [x], ['last_hidden_state'], 'last_hidden_state'));
  const outputs = [valueInfo('last_hidden_state', OnnxType.FLOAT, ['batch_size', 'sequence_length', D])];
  if (c.head === 'mlm') {
    const t = ln(activationNode(g, c.activation, lin(x, 'cls.predictions.transform.dense')), 'cls.predictions.transform.LayerNorm');
    const we = host(m, 'bert.embeddings.word_embeddings.weight');
    const y = g.op1('MatMul', [t, g.weight('cls.predictions.decoder.weight.T', [D, c.vocabSize], transpose2d(we.data, c.vocabSize, D))]);
    g.nodes.push(node('Add', [y, param(g, m, 'cls.predictions.bias')], ['logits'], 'logits'));
    outputs.push(valueInfo('logits', OnnxType.FLOAT, ['batch_size', 'sequence_length', c.vocabSize]));
  } else if (c.head === 'sequence-classification') {
    const cls = g.op1('Gather', [x, g.i64([0], [])], { axis: 1 });
    const pooled = g.op1('Tanh', [lin(cls, 'bert.pooler.dense')]);
    const y = g.op1('MatMul', [pooled, linearWeight(g, m, 'classifier.weight')]);
    g.nodes.push(node('Add', [y, param(g, m, 'classifier.bias')], ['logits'], 'logits'));
    outputs.push(valueInfo('logits', OnnxType.FLOAT, ['batch_size', c.labels.length]));
  } else if (c.head === 'question-answering') {
    const lg = lin(x, 'qa_outputs');
    const [s, e] = g.op('Split', [lg, g.i64([1, 1])], { axis: 2 }, 2) as [string, string];
    g.nodes.push(node('Squeeze', [s, g.i64([2])], ['start_logits'], 'start_logits'));
    g.nodes.push(node('Squeeze', [e, g.i64([2])], ['end_logits'], 'end_logits'));
    outputs.push(valueInfo('start_logits', OnnxType.FLOAT, ['batch_size', 'sequence_length']), valueInfo('end_logits', OnnxType.FLOAT, ['batch_size', 'sequence_length']));
  }
  const gr = graph('bert', g.nodes, g.inits,
    [valueInfo('input_ids', OnnxType.INT64, ['batch_size', 'sequence_length']), valueInfo('attention_mask', OnnxType.INT64, ['batch_size', 'sequence_length']), valueInfo('token_type_ids', OnnxType.INT64, ['batch_size', 'sequence_length'])],
    outputs);
  return modelProto(gr, 17);
}

/**
 * Export a GPT-2 or BERT model to `outDir/onnx/model.onnx`, with its `config.json` beside it.
 * Returns the written paths.
 */
export async function exportOnnx(m: Gpt2 | Bert, outDir: string, options: Gpt2OnnxOptions = {}): Promise<string[]> {
  const bytes = m instanceof Gpt2 ? gpt2ToOnnx(m, options) : bertToOnnx(m);
  await mkdir(join(outDir, 'onnx'), { recursive: true });
  const onnxPath = join(outDir, 'onnx', 'model.onnx');
  await writeFileAtomic(onnxPath, bytes);
  const cfgPath = join(outDir, 'config.json');
  await writeJsonAtomic(cfgPath, m.toHfConfig());
  return [onnxPath, cfgPath];
}
