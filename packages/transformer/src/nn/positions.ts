/**
 * Position information, four ways:
 * - sinusoidal (Vaswani et al.): fixed `sin/cos` table added to the embeddings;
 * - learned: a trained `[maxPositions, d]` table (GPT-2's `wpe`, BERT's `position_embeddings`),
 *   just an embedding lookup of `0..T-1` offset by the cache length;
 * - rotary (RoPE, LLaMA): rotate query/key pairs by position-dependent angles, in HF's
 *   `rotate_half` convention (pairs are `(x[i], x[i + hd/2])`, not interleaved);
 * - T5 relative position buckets: a learned per-head scalar bias indexed by a bucketed
 *   key−query distance;
 * - ALiBi: a fixed per-head linear distance penalty.
 */
import { tf, type Tensor } from '@llm/core';

/** Sinusoidal table `[n, d]`: `PE[p, 2i] = sin(p / 10000^(2i/d))`, `PE[p, 2i+1] = cos(…)`. */
export function sinusoidalPositions(n: number, d: number): Tensor {
  const data = new Float32Array(n * d);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < d; i += 2) {
      const angle = p / Math.pow(10000, i / d);
      data[p * d + i] = Math.sin(angle);
      if (i + 1 < d) data[p * d + i + 1] = Math.cos(angle);
    }
  }
  return tf.tensor2d(data, [n, d]);
}

/**
 * RoPE cos/sin for integer positions `[B, T]` (row-major numbers): returns `cos`, `sin` shaped
 * `[B, 1, T, hd]` with `emb = cat(freqs, freqs)` and `freqs = pos · θ^(-2i/hd)` (HF's layout).
 */
export function rotaryCosSin(positions: readonly (readonly number[])[], headDim: number, theta = 10000): { cos: Tensor; sin: Tensor } {
  const b = positions.length;
  const t = positions[0]?.length ?? 0;
  const half = headDim / 2;
  const cos = new Float32Array(b * t * headDim);
  const sin = new Float32Array(b * t * headDim);
  for (let r = 0; r < b; r++) {
    for (let p = 0; p < t; p++) {
      const pos = positions[r]![p]!;
      for (let i = 0; i < half; i++) {
        // Computed in float64, rounded once, as HF computes in float32 from float32 inv_freq: close to 1e-7.
        const invFreq = 1 / Math.pow(theta, (2 * i) / headDim);
        const a = pos * invFreq;
        const o = (r * t + p) * headDim;
        cos[o + i] = cos[o + i + half] = Math.cos(a);
        sin[o + i] = sin[o + i + half] = Math.sin(a);
      }
    }
  }
  return { cos: tf.tensor4d(cos, [b, 1, t, headDim]), sin: tf.tensor4d(sin, [b, 1, t, headDim]) };
}

/** HF's `rotate_half`: `[x1, x2] → [-x2, x1]` on the last axis. */
export function rotateHalf(x: Tensor): Tensor {
  const hd = x.shape[x.shape.length - 1]!;
  const [x1, x2] = tf.split(x, [hd / 2, hd / 2], -1) as [Tensor, Tensor];
  return tf.concat([tf.neg(x2), x1], -1);
}

/** Apply rotary embeddings: `x·cos + rotate_half(x)·sin`. */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin));
}

/**
 * T5's bucket for a relative position `keyPos − queryPos`. Bidirectional (encoder): half the
 * buckets for positive distances. Small distances (< maxExact = buckets/2) get their own bucket;
 * larger ones share log-spaced buckets up to `maxDistance`, clamped to the last bucket.
 */
export function t5RelativeBucket(relativePosition: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let buckets = 0;
  let n = numBuckets;
  let rel = relativePosition;
  if (bidirectional) {
    n = Math.floor(n / 2);
    if (rel > 0) buckets += n;
    rel = Math.abs(rel);
  } else {
    rel = -Math.min(rel, 0);
  }
  const maxExact = Math.floor(n / 2);
  if (rel < maxExact) return buckets + rel;
  // torch computes this in float32 and truncates toward zero (`.to(torch.long)`).
  const f = Math.fround(Math.fround(Math.log(Math.fround(rel / maxExact))) / Math.fround(Math.log(maxDistance / maxExact)) * (n - maxExact));
  const large = Math.min(maxExact + Math.trunc(f), n - 1);
  return buckets + large;
}

/**
 * T5 relative position bias `[1, H, q, k]` for queries at `queryOffset..queryOffset+q-1` over keys
 * `0..k-1`, from the learned table `[numBuckets, H]`.
 */
export function t5PositionBias(table: Tensor, q: number, k: number, bidirectional: boolean, maxDistance: number, queryOffset = 0): Tensor {
  const numBuckets = table.shape[0]!;
  const idx = new Int32Array(q * k);
  for (let i = 0; i < q; i++) for (let j = 0; j < k; j++) idx[i * k + j] = t5RelativeBucket(j - (i + queryOffset), bidirectional, numBuckets, maxDistance);
  const vals = tf.gather(table, tf.tensor2d(idx, [q, k], 'int32')); // [q, k, H]
  return tf.expandDims(tf.transpose(vals, [2, 0, 1]), 0);
}

/** ALiBi slopes for `h` heads (power-of-two case and the standard interpolation otherwise). */
export function alibiSlopes(h: number): number[] {
  const pow2 = (n: number): number[] => {
    const start = Math.pow(2, -Math.pow(2, -(Math.log2(n) - 3)));
    return Array.from({ length: n }, (_, i) => start * Math.pow(start, i));
  };
  if (Number.isInteger(Math.log2(h))) return pow2(h);
  const closest = Math.pow(2, Math.floor(Math.log2(h)));
  return [...pow2(closest), ...pow2(2 * closest).filter((_, i) => i % 2 === 0).slice(0, h - closest)];
}

/** ALiBi bias `[1, H, q, k]`: `−slope_h · (queryPos − keyPos)` for keys at or before the query. */
export function alibiBias(h: number, q: number, k: number, queryOffset = 0): Tensor {
  const slopes = alibiSlopes(h);
  const data = new Float32Array(h * q * k);
  for (let hh = 0; hh < h; hh++) for (let i = 0; i < q; i++) for (let j = 0; j < k; j++) data[(hh * q + i) * k + j] = -slopes[hh]! * Math.max(0, i + queryOffset - j);
  return tf.tensor4d(data, [1, h, q, k]);
}
