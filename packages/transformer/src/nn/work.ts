/**
 * A work counter: the layers add the multiply–accumulates they perform, so tests can show that
 * the KV cache makes a decode step's cost independent of the prefix length by counting work,
 * not by timing it.
 */
export const workCounter = {
  /** Multiply–accumulates in linear / Conv1D projections. */
  linearMacs: 0,
  /** Query×key score elements computed by attention (`B·H·T·S`). */
  attentionScores: 0,
  /** Reset both counters. */
  reset(): void {
    this.linearMacs = 0;
    this.attentionScores = 0;
  },
};
