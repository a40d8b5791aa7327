/**
 * A frozen quantized linear layer for the tfjs path (the base layer of QLoRA): the weight is
 * stored as NF4/FP4 blocks (or int8 rows) and dequantized on the fly with tf ops inside
 * {@link QuantizedLinear.apply}; gradients flow to the input (and to adapters added on top), never
 * to the frozen weight.
 */
import { InputError, tf, type Tensor, type Tensor1D, type Tensor2D } from '@llm/core';
import { blockScales, FP4_CODE, NF4_CODE, quantize4bit, type FourBitTensor } from './nf4.js';
import { quantizeInt8, type Int8Tensor } from './int8.js';

/** Storage type of a {@link QuantizedLinear}. */
export type QuantLinearType = 'nf4' | 'fp4' | 'int8';

/** Options for {@link QuantizedLinear.fromWeight}. */
export interface QuantizedLinearOptions {
  type: QuantLinearType;
  /** 4-bit block size, default 64. */
  blockSize?: number;
  /** Double-quantize 4-bit scales, default true. */
  doubleQuant?: boolean;
}

/** `y = x · Wᵀ + b` with W `[out, in]` held quantized. */
export class QuantizedLinear {
  private constructor(
    readonly type: QuantLinearType,
    readonly outFeatures: number,
    readonly inFeatures: number,
    /** The 4-bit form (nf4/fp4). */
    readonly fourBit: FourBitTensor | undefined,
    /** The int8 form (per-row absmax). */
    readonly int8: Int8Tensor | undefined,
    readonly bias: Float32Array | undefined,
  ) {}

  /** Quantize a float weight `[out, in]` (row-major) and optional bias. */
  static fromWeight(weight: Float32Array, outFeatures: number, inFeatures: number, options: QuantizedLinearOptions, bias?: Float32Array): QuantizedLinear {
    if (weight.length !== outFeatures * inFeatures) throw new InputError(`weight has ${weight.length} elements, expected ${outFeatures}×${inFeatures}`, { field: 'weight' });
    if (bias && bias.length !== outFeatures) throw new InputError(`bias has ${bias.length} elements, expected ${outFeatures}`, { field: 'bias' });
    if (options.type === 'int8') {
      return new QuantizedLinear('int8', outFeatures, inFeatures, undefined, quantizeInt8(weight, [outFeatures, inFeatures], { scheme: 'absmax', granularity: 'channel' }), bias);
    }
    const q = quantize4bit(weight, [outFeatures, inFeatures], { type: options.type, blockSize: options.blockSize ?? 64, doubleQuant: options.doubleQuant ?? true });
    return new QuantizedLinear(options.type, outFeatures, inFeatures, q, undefined, bias);
  }

  /** The dequantized weight `[out, in]` built with tf ops from the packed codes (caller disposes). */
  dequantizedWeight(): Tensor2D {
    return tf.tidy(() => {
      const n = this.outFeatures * this.inFeatures;
      if (this.int8) {
        const q = tf.tensor2d(Float32Array.from(this.int8.q), [this.outFeatures, this.inFeatures]);
        const s = tf.tensor2d(this.int8.scales, [this.outFeatures, 1]);
        return tf.mul(q, s) as Tensor2D;
      }
      const t = this.fourBit!;
      const packed = tf.tensor1d(Int32Array.from(t.packed), 'int32');
      const hi = tf.floorDiv(packed, tf.scalar(16, 'int32'));
      const lo = tf.mod(packed, tf.scalar(16, 'int32'));
      const codes = tf.reshape(tf.stack([hi, lo], 1), [-1]).slice([0], [n]) as Tensor1D;
      const table = tf.tensor1d([...(t.type === 'nf4' ? NF4_CODE : FP4_CODE)]);
      const values = tf.gather(table, codes);
      const nb = Math.ceil(n / t.blockSize);
      const padded = nb * t.blockSize === n ? values : tf.pad(values, [[0, nb * t.blockSize - n]]);
      const scaled = tf.mul(tf.reshape(padded, [nb, t.blockSize]), tf.tensor2d(blockScales(t), [nb, 1]));
      return tf.reshape(tf.reshape(scaled, [-1]).slice([0], [n]), [this.outFeatures, this.inFeatures]) as Tensor2D;
    });
  }

  /** `x · Wᵀ (+ b)` for x `[..., in]`; the weight is dequantized for this call and freed after. */
  apply(x: Tensor): Tensor {
    return tf.tidy(() => {
      const shape = x.shape;
      if (shape[shape.length - 1] !== this.inFeatures) throw new InputError(`input's last dim is ${shape[shape.length - 1]}, layer expects ${this.inFeatures}`, { field: 'x' });
      const w = this.dequantizedWeight();
      const x2 = tf.reshape(x, [-1, this.inFeatures]) as Tensor2D;
      let y: Tensor = tf.matMul(x2, w, false, true);
      if (this.bias) y = tf.add(y, tf.tensor1d(this.bias));
      return tf.reshape(y, [...shape.slice(0, -1), this.outFeatures]);
    });
  }

  /** Bytes of the quantized weight (codes plus scales). */
  get storageBytes(): number {
    if (this.int8) return this.int8.q.length + this.int8.scales.length * 4;
    const t = this.fourBit!;
    return t.packed.length + (t.absmax ? t.absmax.length * 4 : t.nested!.q.length + t.nested!.absmax2.length * 4 + 4);
  }
}
