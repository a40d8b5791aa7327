/** Scoring windows for perplexity (shared by the llama.cpp and the float-reference paths). */
import { InputError } from '@llm/core';

/** Windows of `ids` for a model with context `window`: BOS (if any) then up to `window − 1` text tokens. */
export function perplexityWindows(ids: readonly number[], window: number, bos: number | undefined): number[][] {
  const step = bos === undefined ? window : window - 1;
  if (step < 1) throw new InputError(`window ${window} is too short to score anything`, { field: 'window' });
  const out: number[][] = [];
  for (let s = 0; s < ids.length; s += step) {
    const w = ids.slice(s, s + step);
    if (bos !== undefined) w.unshift(bos);
    if (w.length >= 2) out.push(w);
  }
  return out;
}

