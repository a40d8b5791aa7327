/** Error statistics of a quantized tensor against its original. */
export interface QuantErrorStats {
  elements: number;
  /** Mean squared error. */
  mse: number;
  rmse: number;
  /** Largest absolute error. */
  maxAbs: number;
  meanAbs: number;
  /** Signal-to-quantization-noise ratio in dB: 10·log10(Σx² / Σ(x−x̂)²). */
  sqnrDb: number;
  /** ‖x − x̂‖ / ‖x‖. */
  relativeError: number;
  /** Storage bits per element of the quantized form (codes and scales). */
  bitsPerElement: number;
}

/** Compare `original` with `restored`; `storageBytes` is the quantized form's size. */
export function errorStats(original: ArrayLike<number>, restored: ArrayLike<number>, storageBytes: number): QuantErrorStats {
  const n = original.length;
  if (restored.length !== n) throw new RangeError(`errorStats: lengths differ (${n} vs ${restored.length})`);
  let se = 0, sx = 0, maxAbs = 0, sa = 0;
  for (let i = 0; i < n; i++) {
    const x = original[i]!, d = x - restored[i]!;
    se += d * d;
    sx += x * x;
    sa += Math.abs(d);
    if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
  }
  const mse = n ? se / n : 0;
  return {
    elements: n,
    mse,
    rmse: Math.sqrt(mse),
    maxAbs,
    meanAbs: n ? sa / n : 0,
    sqnrDb: se === 0 ? Infinity : 10 * Math.log10(sx / se),
    relativeError: sx === 0 ? 0 : Math.sqrt(se / sx),
    bitsPerElement: n ? (storageBytes * 8) / n : 0,
  };
}
