import type { GenerateOptions, Rng } from '@llm/core';

/**
 * Draw a token from a probability vector with temperature, top-k and top-p (nucleus) filtering.
 * Temperature 0 is greedy (ties go to the lowest id). The draw uses `rng`, so a seed fixes it.
 */
export function sampleToken(probs: ArrayLike<number>, options: Pick<GenerateOptions, 'temperature' | 'topK' | 'topP'>, rng: Rng): number {
  const n = probs.length;
  const temperature = options.temperature ?? 1;
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (probs[i]! > probs[best]!) best = i;
    return best;
  }
  // p^(1/T), in log space for stability.
  const idx: number[] = [];
  const w: number[] = [];
  let maxLog = -Infinity;
  for (let i = 0; i < n; i++) {
    if (probs[i]! <= 0) continue;
    const l = Math.log(probs[i]!) / temperature;
    idx.push(i);
    w.push(l);
    if (l > maxLog) maxLog = l;
  }
  let sum = 0;
  for (let i = 0; i < w.length; i++) {
    w[i] = Math.exp(w[i]! - maxLog);
    sum += w[i]!;
  }
  const order = idx.map((_, i) => i).sort((a, b) => w[b]! - w[a]! || idx[a]! - idx[b]!);
  let keep = order.length;
  const topK = options.topK ?? 0;
  if (topK > 0 && topK < keep) keep = topK;
  const topP = options.topP ?? 1;
  if (topP < 1) {
    let mass = 0;
    for (let r = 0; r < keep; r++) {
      mass += w[order[r]!]! / sum;
      if (mass >= topP) {
        keep = r + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let r = 0; r < keep; r++) kept += w[order[r]!]!;
  let u = rng.next() * kept;
  for (let r = 0; r < keep; r++) {
    u -= w[order[r]!]!;
    if (u < 0) return idx[order[r]!]!;
  }
  return idx[order[keep - 1]!]!;
}
