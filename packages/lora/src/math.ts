import type { Rng } from '@llm/core';
import type { LoraPair } from './peft.js';

/**
 * LoRA's arithmetic on plain arrays (row-major, torch layout: `weight` is `[out, in]`):
 * initialisation as PEFT does it, and exact merge / unmerge `W ± scaling · B A`.
 */

/** PEFT's default init: A Kaiming-uniform with a = √5 (bound 1/√in), B zero. `gaussian`: A ~ N(0, 1/r). */
export function initLoraPair(rng: Rng, r: number, inFeatures: number, outFeatures: number, init: boolean | 'gaussian' = true): LoraPair {
  const A = init === 'gaussian' ? rng.normalArray(r * inFeatures, 0, 1 / r) : rng.uniformArray(r * inFeatures, -1 / Math.sqrt(inFeatures), 1 / Math.sqrt(inFeatures));
  // init false: B random too (PEFT uses this for tests, so the adapter changes outputs from the start).
  const B = init === false ? rng.uniformArray(outFeatures * r, -1 / Math.sqrt(r), 1 / Math.sqrt(r)) : new Float32Array(outFeatures * r);
  return { A, B, r, inFeatures, outFeatures };
}

/** ΔW = scaling · B A, shaped `[out, in]`, accumulated in float64 then rounded once. */
export function loraDelta(p: LoraPair, scaling: number): Float32Array {
  const out = new Float32Array(p.outFeatures * p.inFeatures);
  for (let o = 0; o < p.outFeatures; o++) {
    for (let i = 0; i < p.inFeatures; i++) {
      let s = 0;
      for (let k = 0; k < p.r; k++) s += p.B[o * p.r + k]! * p.A[k * p.inFeatures + i]!;
      out[o * p.inFeatures + i] = scaling * s;
    }
  }
  return out;
}

/** `W + scaling · B A` (a new array). */
export function mergeWeight(weight: Float32Array, p: LoraPair, scaling: number): Float32Array {
  const d = loraDelta(p, scaling);
  const out = new Float32Array(weight.length);
  for (let i = 0; i < weight.length; i++) out[i] = weight[i]! + d[i]!;
  return out;
}

/**
 * Undo {@link mergeWeight}. Float rounding makes `(W + Δ) − Δ` differ from `W` in the last bits,
 * so unmerging exactly needs the original: callers that must restore bit-for-bit keep it (the
 * adapter runtime does); this function gives the arithmetic inverse.
 */
export function unmergeWeight(merged: Float32Array, p: LoraPair, scaling: number): Float32Array {
  const d = loraDelta(p, scaling);
  const out = new Float32Array(merged.length);
  for (let i = 0; i < merged.length; i++) out[i] = merged[i]! - d[i]!;
  return out;
}

/** Trainable parameters of a set of LoRA pairs. */
export function loraParameterCount(pairs: Iterable<LoraPair>): number {
  let n = 0;
  for (const p of pairs) n += p.r * (p.inFeatures + p.outFeatures);
  return n;
}
