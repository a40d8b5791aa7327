import { argmax, type GenerateOptions, type Rng } from '@llm/core';

/**
 * Draw a token from a probability vector with temperature, top-k and top-p (nucleus) filtering.
 * Temperature 0 is greedy (ties go to the lowest id). The draw uses `rng`, so a seed fixes it.
 */
export function sampleToken(probs: ArrayLike<number>, options: Pick<GenerateOptions, 'temperature' | 'topK' | 'topP'>, rng: Rng): number {
  const n = probs.length;
  const temperature = options.temperature ?? 1;
  if (temperature <= 0) return argmax(probs);
  // w ∝ p^(1/T), scaled so the largest weight is 1.
  const w = new Float64Array(n);
  let maxP = 0;
  for (let i = 0; i < n; i++) if (probs[i]! > maxP) maxP = probs[i]!;
  if (!(maxP > 0)) return 0;
  const inv = 1 / temperature;
  let sum = 0;
  let nonzero = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    if (p > 0) {
      const x = inv === 1 ? p / maxP : Math.pow(p / maxP, inv);
      w[i] = x;
      sum += x;
      nonzero++;
    }
  }
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if ((topK <= 0 || topK >= nonzero) && topP >= 1) {
    // No filtering: draw from the whole tempered distribution (no sort needed).
    let u = rng.next() * sum;
    let last = 0;
    for (let i = 0; i < n; i++) {
      if (w[i]! === 0) continue;
      last = i;
      u -= w[i]!;
      if (u < 0) return i;
    }
    return last;
  }
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (w[i]! > 0) order.push(i);
  order.sort((a, b) => w[b]! - w[a]! || a - b);
  let keep = order.length;
  if (topK > 0 && topK < keep) keep = topK;
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
    if (u < 0) return order[r]!;
  }
  return order[keep - 1]!;
}
