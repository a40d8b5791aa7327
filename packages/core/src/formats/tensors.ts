import { tf } from '../backend/tf.js';
import { FormatError } from '../errors.js';
import { fromFloat32, toFloat32, type SafeDType } from './dtypes.js';
import { readSafetensors, writeSafetensors, type SafeTensor } from './safetensors.js';

/**
 * Bridges between tfjs tensors and safetensors records: what model code uses to save and
 * load weights (`saveTensors`, `loadTensors`).
 */

/** A tfjs tensor as a safetensors record (float tensors in `dtype`, int32 as I32, bool as BOOL). */
export function tensorToSafe(t: tf.Tensor, dtype: 'F32' | 'F16' | 'BF16' = 'F32'): SafeTensor {
  const values = t.dataSync();
  if (t.dtype === 'float32') return { dtype, shape: t.shape, data: fromFloat32(dtype, values as Float32Array) };
  if (t.dtype === 'int32') return { dtype: 'I32', shape: t.shape, data: new Int32Array(values as Int32Array) };
  if (t.dtype === 'bool') return { dtype: 'BOOL', shape: t.shape, data: new Uint8Array(values as Uint8Array) };
  throw new FormatError('safetensors', `cannot store a ${t.dtype} tensor`);
}

const INT_TYPES: ReadonlySet<SafeDType> = new Set(['I8', 'U8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'BOOL']);

/** A safetensors record as a tfjs tensor: floats become float32, integers int32 (I64/U64 must fit). */
export function safeToTensor(s: SafeTensor, name = 'tensor'): tf.Tensor {
  const shape = [...s.shape];
  if (INT_TYPES.has(s.dtype)) {
    const src = s.data as ArrayLike<number | bigint>;
    const out = new Int32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = Number(src[i]!);
      if (v > 2147483647 || v < -2147483648) throw new FormatError('safetensors', `'${name}': value ${String(src[i])} does not fit in int32`);
      out[i] = v;
    }
    return tf.tensor(out, shape, 'int32');
  }
  return tf.tensor(toFloat32(s.dtype, s.data as Float32Array), shape, 'float32');
}

/** Save named tensors as a safetensors file (atomically). */
export async function saveTensors(path: string, tensors: Readonly<Record<string, tf.Tensor>>, options: { dtype?: 'F32' | 'F16' | 'BF16'; metadata?: Record<string, string> } = {}): Promise<void> {
  const out: Record<string, SafeTensor> = {};
  for (const [k, t] of Object.entries(tensors)) out[k] = tensorToSafe(t, options.dtype);
  await writeSafetensors(path, out, options.metadata);
}

/** Load every tensor of a safetensors file as tfjs tensors. */
export async function loadTensors(path: string): Promise<{ tensors: Record<string, tf.Tensor>; metadata: Record<string, string> }> {
  const { tensors, metadata } = await readSafetensors(path);
  const out: Record<string, tf.Tensor> = {};
  for (const [k, s] of tensors) out[k] = safeToTensor(s, k);
  return { tensors: out, metadata };
}
