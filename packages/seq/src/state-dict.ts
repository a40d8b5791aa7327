import { ConfigError, InputError, readSafetensors, toFloat32, writeSafetensors } from '@llm/core';
import type { SafeTensor } from '@llm/core';
import { GATE_COUNT, type CellKind } from './cells.js';
import type { RecurrentLayer } from './recurrent.js';

/** A tensor as float32 values and a shape: what state dicts are made of here. */
export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Read a safetensors file into float32 tensors by name (F16, BF16, F64 and integer tensors are
 * converted). This is how a `state_dict` saved from PyTorch (`safetensors.torch.save_file(m.state_dict(), …)`)
 * comes in.
 */
export async function readStateDict(path: string): Promise<{ tensors: Map<string, FloatTensor>; metadata: Record<string, string> }> {
  const { tensors, metadata } = await readSafetensors(path);
  const out = new Map<string, FloatTensor>();
  for (const [name, t] of tensors) {
    if (t.data instanceof Uint8Array && t.dtype !== 'U8' && t.dtype !== 'BOOL') throw new InputError(`tensor '${name}' has raw bytes of ${t.dtype}`, { file: path, field: name });
    out.set(name, { shape: [...t.shape], data: toFloat32(t.dtype, t.data) });
  }
  return { tensors: out, metadata };
}

/** Write float32 tensors as safetensors, atomically. */
export async function writeStateDict(path: string, tensors: ReadonlyMap<string, FloatTensor>, metadata?: Record<string, string>): Promise<void> {
  const st = new Map<string, SafeTensor>();
  for (const [name, t] of tensors) st.set(name, { dtype: 'F32', shape: t.shape, data: t.data });
  await writeSafetensors(path, st, metadata);
}

/**
 * Save a layer's parameters under PyTorch's names (`weight_ih_l0`, …, `*_reverse`), optionally
 * prefixed (`lstm.` as in a module holding `self.lstm`). `torch.nn.LSTM(...).load_state_dict(
 * safetensors.torch.load_file(path))` reads the result.
 */
export async function saveRecurrent(layer: RecurrentLayer, path: string, options: { prefix?: string; metadata?: Record<string, string> } = {}): Promise<void> {
  const sd = await layer.stateDict();
  const out = new Map<string, FloatTensor>();
  for (const [k, v] of sd) out.set((options.prefix ?? '') + k, v);
  await writeStateDict(path, out, options.metadata);
}

/** Load a layer's parameters from a safetensors file with PyTorch names (see {@link RecurrentLayer.loadStateDict}). */
export async function loadRecurrent(layer: RecurrentLayer, path: string, options: { prefix?: string; strict?: boolean } = {}): Promise<void> {
  const { tensors } = await readStateDict(path);
  try {
    layer.loadStateDict(tensors, { prefix: options.prefix, strict: options.strict ?? false });
  } catch (err) {
    if (err instanceof InputError) throw new InputError(err.message, { file: path, field: err.location?.field }, { cause: err });
    throw err;
  }
}

/**
 * One layer-direction of a Keras recurrent layer: `kernel` `[input, G·H]`, `recurrent_kernel`
 * `[H, G·H]` and `bias` (`[G·H]`, or for a GRU with `reset_after=True` `[2, G·H]`: input bias,
 * then recurrent bias). Row-major float32.
 */
export interface KerasWeights {
  kernel: FloatTensor;
  recurrentKernel: FloatTensor;
  bias?: FloatTensor;
}

/** The same layer-direction in PyTorch's layout. */
export interface TorchWeights {
  weightIh: FloatTensor;
  weightHh: FloatTensor;
  biasIh: FloatTensor;
  biasHh: FloatTensor;
}

/**
 * Keras's gate order within the `G·H` axis, as indices into PyTorch's order.
 * - LSTM: Keras `i, f, c, o` = PyTorch `i, f, g, o` (same order).
 * - GRU: Keras `z, r, h` (update, reset, candidate) → PyTorch `r, z, n`: Keras block 0 is PyTorch block 1,
 *   block 1 is PyTorch block 0, block 2 stays.
 * - SimpleRNN: one block.
 */
export const KERAS_TO_TORCH_BLOCK: Readonly<Record<CellKind, readonly number[]>> = {
  rnn: [0],
  lstm: [0, 1, 2, 3],
  gru: [1, 0, 2],
};

function transposeBlocks(src: FloatTensor, rows: number, cols: number, G: number, H: number, kerasToTorch: readonly number[]): Float32Array {
  // src is [rows, G·H] (Keras); result is [G·H, rows] (PyTorch) with blocks reordered.
  if (src.shape.length !== 2 || src.shape[0] !== rows || src.shape[1] !== cols) throw new InputError(`expected shape [${rows}, ${cols}], got ${JSON.stringify(src.shape)}`);
  const out = new Float32Array(cols * rows);
  for (let kb = 0; kb < G; kb++) {
    const tb = kerasToTorch[kb]!;
    for (let j = 0; j < H; j++) {
      const kc = kb * H + j;
      const tr = tb * H + j;
      for (let r = 0; r < rows; r++) out[tr * rows + r] = src.data[r * cols + kc]!;
    }
  }
  return out;
}

function reorderVector(src: Float32Array, offset: number, G: number, H: number, kerasToTorch: readonly number[]): Float32Array {
  const out = new Float32Array(G * H);
  for (let kb = 0; kb < G; kb++) {
    const tb = kerasToTorch[kb]!;
    for (let j = 0; j < H; j++) out[tb * H + j] = src[offset + kb * H + j]!;
  }
  return out;
}

/**
 * Convert one Keras layer-direction to PyTorch's layout: transpose the kernels, reorder the gate
 * blocks ({@link KERAS_TO_TORCH_BLOCK}), and split the bias. A single Keras bias goes to `bias_ih`
 * with `bias_hh` zero (the sum is what both frameworks use, except inside a GRU's new gate, where
 * Keras's `reset_after=False` GRU computes `r ⊙ h` before the product — a different model that
 * PyTorch's GRU cannot express, so a GRU needs the `[2, 3H]` bias of `reset_after=True`).
 */
export function kerasToTorch(kind: CellKind, w: KerasWeights): TorchWeights {
  const G = GATE_COUNT[kind];
  const cols = w.kernel.shape[1]!;
  if (cols % G !== 0) throw new InputError(`kernel has ${cols} columns, not a multiple of ${G} gates`);
  const H = cols / G;
  const input = w.kernel.shape[0]!;
  const order = KERAS_TO_TORCH_BLOCK[kind];
  const weightIh = { shape: [G * H, input], data: transposeBlocks(w.kernel, input, cols, G, H, order) };
  const weightHh = { shape: [G * H, H], data: transposeBlocks(w.recurrentKernel, H, cols, G, H, order) };
  let biasIh: Float32Array = new Float32Array(G * H);
  let biasHh: Float32Array = new Float32Array(G * H);
  if (w.bias) {
    if (w.bias.shape.length === 2 && w.bias.shape[0] === 2 && w.bias.shape[1] === cols) {
      biasIh = reorderVector(w.bias.data, 0, G, H, order);
      biasHh = reorderVector(w.bias.data, cols, G, H, order);
    } else if (w.bias.shape.length === 1 && w.bias.shape[0] === cols) {
      if (kind === 'gru') throw new ConfigError('a Keras GRU with a single bias is reset_after=False, which PyTorch\'s GRU cannot express; use reset_after=True', { field: 'bias' });
      biasIh = reorderVector(w.bias.data, 0, G, H, order);
    } else {
      throw new InputError(`bias shape ${JSON.stringify(w.bias.shape)} fits neither [${cols}] nor [2, ${cols}]`, { field: 'bias' });
    }
  }
  return { weightIh, weightHh, biasIh: { shape: [G * H], data: biasIh }, biasHh: { shape: [G * H], data: biasHh } };
}

/** The inverse of {@link kerasToTorch}: PyTorch layout → Keras (GRU bias as `[2, 3H]`, others summed into one `[G·H]`). */
export function torchToKeras(kind: CellKind, w: TorchWeights): Required<KerasWeights> {
  const G = GATE_COUNT[kind];
  const rowsAll = w.weightIh.shape[0]!;
  const H = rowsAll / G;
  const input = w.weightIh.shape[1]!;
  const inv: number[] = [];
  KERAS_TO_TORCH_BLOCK[kind].forEach((tb, kb) => { inv[tb] = kb; });
  // Transposing a [G·H, rows] PyTorch matrix with the inverse block order is the same routine read the other way.
  const back = (m: FloatTensor, rows: number): Float32Array => {
    const out = new Float32Array(rows * G * H);
    for (let tb = 0; tb < G; tb++) {
      const kb = inv[tb]!;
      for (let j = 0; j < H; j++) for (let r = 0; r < rows; r++) out[r * G * H + kb * H + j] = m.data[(tb * H + j) * rows + r]!;
    }
    return out;
  };
  const kernel = { shape: [input, G * H], data: back(w.weightIh, input) };
  const recurrentKernel = { shape: [H, G * H], data: back(w.weightHh, H) };
  const ih = reorderVector(w.biasIh.data, 0, G, H, inv);
  const hh = reorderVector(w.biasHh.data, 0, G, H, inv);
  let bias: FloatTensor;
  if (kind === 'gru') {
    const d = new Float32Array(2 * G * H);
    d.set(ih, 0);
    d.set(hh, G * H);
    bias = { shape: [2, G * H], data: d };
  } else {
    bias = { shape: [G * H], data: ih.map((v, i) => v + hh[i]!) };
  }
  return { kernel, recurrentKernel, bias };
}
