/**
 * Language-model metrics from per-token log-likelihoods: perplexity and bits per token.
 *
 * @packageDocumentation
 */
import { InputError } from '@llm/core';

/** Perplexity and cross-entropy of a sequence of token log-probabilities. */
export interface LmMetrics {
  /** Number of tokens. */
  tokens: number;
  /** Mean negative log-likelihood in nats. */
  nll: number;
  /** exp(nll). */
  perplexity: number;
  /** nll / ln 2. */
  bitsPerToken: number;
}

/**
 * Metrics from log-probabilities (natural log by default; `base: 2` or `base: 10` for others).
 *
 * @example
 * ```ts
 * lmMetrics([Math.log(0.5), Math.log(0.25)]).perplexity; // 2.828…
 * ```
 */
export function lmMetrics(logProbs: ArrayLike<number>, options: { base?: number } = {}): LmMetrics {
  const n = logProbs.length;
  if (n === 0) throw new InputError('no log-probabilities given');
  const scale = Math.log(options.base ?? Math.E);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const lp = logProbs[i]!;
    if (Number.isNaN(lp) || lp > 1e-9) throw new InputError(`log-probability ${lp} at index ${i} is not ≤ 0`, { field: `logProbs[${i}]` });
    sum += lp * scale;
  }
  const nll = -sum / n;
  return { tokens: n, nll, perplexity: Math.exp(nll), bitsPerToken: nll / Math.LN2 };
}

/** Perplexity from log-probabilities (natural log). */
export function perplexity(logProbs: ArrayLike<number>): number {
  return lmMetrics(logProbs).perplexity;
}

/** Bits per token from log-probabilities (natural log). */
export function bitsPerToken(logProbs: ArrayLike<number>): number {
  return lmMetrics(logProbs).bitsPerToken;
}
