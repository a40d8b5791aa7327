import { ConfigError, createProgress, tf, throwIfAborted, type Tensor, type Tokenizer } from '@llm/core';
import { crossEntropy, type ForwardOptions } from '@llm/transformer';
import type { TrainingExample } from './data.js';
import { encodeExample } from './finetune.js';

/**
 * Anything that maps token ids to next-token logits `[B, T, vocab]`: a model (with or without
 * LoRA adapters attached), a {@link PromptTuning} or a {@link PrefixTuning}. `releaseCaches`,
 * when present, is called after each forward pass (prefix tuning's caches).
 */
export interface Completer {
  forward(ids: readonly (readonly number[])[], options?: ForwardOptions): Tensor;
  readonly vocabSize: number;
  releaseCaches?(): void;
}

/** Options of {@link greedyCompletions}. */
export interface CompletionOptions {
  /** Tokens to generate at most (default 32). */
  maxTokens?: number;
  /** Stop at this id (the model's end of sequence). */
  eosId?: number;
  /** Prompts per forward pass (default 16). */
  batchSize?: number;
  /** Keep at most this many prompt tokens (its end). */
  maxPromptTokens?: number;
  signal?: AbortSignal;
}

/**
 * Greedy completions of `prompts`, batched with left padding and an attention mask; each step
 * recomputes the whole sequence (no KV cache), so it works unchanged for soft prompts and
 * prefixes. Returns the decoded completions (without the prompt, cut at `eosId`).
 */
export async function greedyCompletions(lm: Completer, tokenizer: Tokenizer, prompts: readonly string[], options: CompletionOptions = {}): Promise<string[]> {
  const maxTokens = options.maxTokens ?? 32;
  const bs = options.batchSize ?? 16;
  const out: string[] = [];
  const progress = createProgress({ label: 'greedy completions', total: prompts.length, unit: 'prompts' });
  try {
    for (let s = 0; s < prompts.length; s += bs) {
      const rows = prompts.slice(s, s + bs).map((p) => {
        const ids = tokenizer.encode(p, undefined, { addSpecialTokens: false }).ids;
        return options.maxPromptTokens ? ids.slice(-options.maxPromptTokens) : ids;
      });
      const gen: number[][] = rows.map(() => []);
      const done = rows.map(() => false);
      for (let step = 0; step < maxTokens && done.includes(false); step++) {
        throwIfAborted(options.signal);
        const seqs = rows.map((r, i) => [...r, ...gen[i]!]);
        const len = Math.max(...seqs.map((q) => q.length));
        const ids = seqs.map((q) => [...new Array<number>(len - q.length).fill(options.eosId ?? 0), ...q]);
        const mask = seqs.map((q) => [...new Array<number>(len - q.length).fill(0), ...new Array<number>(q.length).fill(1)]);
        const next = tf.tidy(() => {
          const logits = lm.forward(ids, { attentionMask: mask });
          const [b, t, v] = logits.shape as [number, number, number];
          return Array.from(tf.argMax(tf.reshape(tf.slice(logits, [0, t - 1, 0], [b, 1, v]), [b, v]), -1).dataSync());
        });
        lm.releaseCaches?.();
        next.forEach((id, i) => {
          if (done[i]) return;
          if (id === options.eosId) done[i] = true;
          else gen[i]!.push(id);
        });
      }
      for (const g of gen) out.push(tokenizer.decode(g, { skipSpecialTokens: true }));
      progress.tick(rows.length);
    }
  } finally {
    progress.done();
  }
  return out;
}

/**
 * Mean loss (nats per completion token) of `lm` on held-out examples, with the same encoding as
 * training: loss on the completion and end-of-sequence only.
 */
export function heldOutLoss(lm: Completer, tokenizer: Tokenizer, examples: readonly TrainingExample[], options: { eosId?: number; maxLength?: number; batchSize?: number; signal?: AbortSignal } = {}): number {
  const enc = examples.map((e) => encodeExample(tokenizer, e, options.eosId, options.maxLength ?? 128));
  if (enc.length === 0) throw new ConfigError('no held-out examples');
  const bs = options.batchSize ?? 16;
  let sum = 0;
  let count = 0;
  for (let s = 0; s < enc.length; s += bs) {
    throwIfAborted(options.signal);
    const batch = enc.slice(s, s + bs);
    const len = Math.max(...batch.map((b) => b.ids.length));
    const ids = batch.map((b) => [...b.ids, ...new Array<number>(len - b.ids.length).fill(options.eosId ?? 0)].slice(0, -1));
    const mask = batch.map((b) => [...new Array<number>(b.ids.length).fill(1), ...new Array<number>(len - b.ids.length).fill(0)].slice(0, -1));
    const targets = batch.flatMap((b) => [...b.labels, ...new Array<number>(len - b.labels.length).fill(-100)].slice(1));
    const n = targets.filter((t) => t !== -100).length;
    const loss = tf.tidy(() => crossEntropy(tf.reshape(lm.forward(ids, { attentionMask: mask }), [targets.length, lm.vocabSize]), targets).dataSync()[0]!);
    lm.releaseCaches?.();
    sum += loss * n;
    count += n;
  }
  return sum / count;
}
