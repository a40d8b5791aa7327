/**
 * LLM.int8() mixed-precision decomposition (Dettmers et al. 2022): in `Y = X·Wᵀ`, the feature
 * columns where any activation magnitude reaches the threshold (6.0 in the paper and in
 * bitsandbytes) are multiplied in float; every other column goes through vector-wise int8
 * (absmax per row of X and per output row of W, int32 accumulation, rescale by sx·sw/127²).
 */
import { InputError } from '@llm/core';

/** Options for {@link llmInt8Matmul}. */
export interface LlmInt8Options {
  /** Outlier threshold on |X|. Default 6. */
  threshold?: number;
}

/** Result of {@link llmInt8Matmul}. */
export interface LlmInt8Result {
  /** `[tokens, out]` output. */
  y: Float32Array;
  /** Feature columns kept in float. */
  outlierColumns: number[];
  /** Fraction of the inner dimension that went through int8. */
  int8Fraction: number;
}

/** Feature columns of `x` (`[rows, cols]`) with any |value| ≥ threshold. */
export function outlierColumns(x: Float32Array, rows: number, cols: number, threshold: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) if (Math.abs(x[i * cols + j]!) >= threshold) { out.push(j); break; }
  }
  return out;
}

/**
 * `Y = X·Wᵀ` with X `[tokens, inner]` and W `[out, inner]` by the LLM.int8() decomposition.
 * `threshold: Infinity` gives plain vector-wise int8; `threshold: 0` gives a float matmul.
 */
export function llmInt8Matmul(x: Float32Array, tokens: number, w: Float32Array, out: number, inner: number, options: LlmInt8Options = {}): LlmInt8Result {
  if (x.length !== tokens * inner) throw new InputError(`X has ${x.length} elements, expected ${tokens}×${inner}`, { field: 'x' });
  if (w.length !== out * inner) throw new InputError(`W has ${w.length} elements, expected ${out}×${inner}`, { field: 'w' });
  const threshold = options.threshold ?? 6;
  const outliers = outlierColumns(x, tokens, inner, threshold);
  const isOut = new Uint8Array(inner);
  for (const j of outliers) isOut[j] = 1;
  // Vector-wise int8 of the regular columns.
  const qx = new Int8Array(tokens * inner), sx = new Float32Array(tokens);
  for (let i = 0; i < tokens; i++) {
    let a = 0;
    for (let j = 0; j < inner; j++) if (!isOut[j]) a = Math.max(a, Math.abs(x[i * inner + j]!));
    sx[i] = a;
    const inv = a ? 127 / a : 0;
    for (let j = 0; j < inner; j++) if (!isOut[j]) qx[i * inner + j] = Math.round(x[i * inner + j]! * inv);
  }
  const qw = new Int8Array(out * inner), sw = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let a = 0;
    for (let j = 0; j < inner; j++) if (!isOut[j]) a = Math.max(a, Math.abs(w[o * inner + j]!));
    sw[o] = a;
    const inv = a ? 127 / a : 0;
    for (let j = 0; j < inner; j++) if (!isOut[j]) qw[o * inner + j] = Math.round(w[o * inner + j]! * inv);
  }
  const y = new Float32Array(tokens * out);
  for (let i = 0; i < tokens; i++) {
    for (let o = 0; o < out; o++) {
      let acc = 0; // int32 accumulator of int8 products
      let f = 0;
      for (let j = 0; j < inner; j++) {
        if (isOut[j]) f += x[i * inner + j]! * w[o * inner + j]!;
        else acc += qx[i * inner + j]! * qw[o * inner + j]!;
      }
      y[i * out + o] = (acc * sx[i]! * sw[o]!) / (127 * 127) + f;
    }
  }
  return { y, outlierColumns: outliers, int8Fraction: (inner - outliers.length) / inner };
}

/** Plain float `X·Wᵀ` (the reference for the decomposition's error). */
export function matmulTransB(x: Float32Array, tokens: number, w: Float32Array, out: number, inner: number): Float32Array {
  const y = new Float32Array(tokens * out);
  for (let i = 0; i < tokens; i++) for (let o = 0; o < out; o++) {
    let s = 0;
    for (let j = 0; j < inner; j++) s += x[i * inner + j]! * w[o * inner + j]!;
    y[i * out + o] = s;
  }
  return y;
}
