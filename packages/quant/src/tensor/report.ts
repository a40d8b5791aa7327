/** Error statistics of one quantizer applied to one tensor of a safetensors checkpoint. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, InputError, SafetensorsFile, toFloat32 } from '@llm/core';
import { dequantizeGGML, quantizeGGML, type GGMLQuantType } from '../ggml/quants.js';
import { errorStats, type QuantErrorStats } from './stats.js';
import { dequantizeInt8, int8StorageBytes, quantizeInt8 } from './int8.js';
import { dequantize4bit, fourBitStorageBytes, quantize4bit } from './nf4.js';

/** Quantizers {@link tensorErrorStats} knows. */
export type TensorQuantType = 'int8' | 'int8-zp' | 'int8-block' | 'llm-int8' | 'nf4' | 'fp4' | 'nf4-nodq' | 'q8_0' | 'q4_0' | 'q4_1' | 'q5_0' | 'q5_1' | 'q4_k' | 'q5_k' | 'q6_k';

/** Quantize `x` (`[rows, cols]`) with `type`; returns the restored values and the storage bytes. */
export function roundTrip(x: Float32Array, shape: [number, number], type: TensorQuantType): { restored: Float32Array; bytes: number } {
  switch (type) {
    case 'int8': { const q = quantizeInt8(x, shape, { scheme: 'absmax', granularity: 'channel' }); return { restored: dequantizeInt8(q), bytes: int8StorageBytes(q) }; }
    case 'int8-zp': { const q = quantizeInt8(x, shape, { scheme: 'zeropoint', granularity: 'channel' }); return { restored: dequantizeInt8(q), bytes: int8StorageBytes(q) }; }
    case 'int8-block': { const q = quantizeInt8(x, shape, { scheme: 'absmax', granularity: 'block', blockSize: 64 }); return { restored: dequantizeInt8(q), bytes: int8StorageBytes(q) }; }
    case 'llm-int8': {
      // Weight side of LLM.int8(): row-wise int8 (the outlier columns are chosen from activations at run time).
      const q = quantizeInt8(x, shape, { scheme: 'absmax', granularity: 'channel' });
      return { restored: dequantizeInt8(q), bytes: int8StorageBytes(q) };
    }
    case 'nf4': case 'fp4': case 'nf4-nodq': {
      const q = quantize4bit(x, shape, { type: type === 'fp4' ? 'fp4' : 'nf4', doubleQuant: type !== 'nf4-nodq' });
      return { restored: dequantize4bit(q), bytes: fourBitStorageBytes(q) };
    }
    default: {
      const t = type.toUpperCase() as GGMLQuantType;
      const data = quantizeGGML(t, x);
      return { restored: dequantizeGGML(t, data, x.length), bytes: data.byteLength };
    }
  }
}

/** Read `tensor` from `model` (a .safetensors file or a folder with model.safetensors) and measure `type`'s error on it. */
export async function tensorErrorStats(model: string, tensor: string, type: TensorQuantType): Promise<{ tensor: string; shape: number[]; type: TensorQuantType; stats: QuantErrorStats }> {
  const path = existsSync(model) && statSync(model).isDirectory() ? join(model, 'model.safetensors') : model;
  const f = await SafetensorsFile.open(path);
  try {
    const t = await f.read(tensor);
    if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) throw new FormatError('safetensors', `tensor '${tensor}' has dtype ${t.dtype}, expected a float type`, { file: path, field: tensor });
    const x = toFloat32(t.dtype, t.data as Parameters<typeof toFloat32>[1]);
    const shape: [number, number] = t.shape.length >= 2 ? [t.shape[0]!, x.length / t.shape[0]!] : [1, x.length];
    if (type.startsWith('q') && shape[1] % (type.endsWith('_k') ? 256 : 32) !== 0) throw new InputError(`${tensor}: rows of ${shape[1]} do not split into ${type} blocks`, { field: tensor });
    const { restored, bytes } = roundTrip(x, shape, type);
    return { tensor, shape: [...t.shape], type, stats: errorStats(x, restored, bytes) };
  } finally {
    await f.close();
  }
}
