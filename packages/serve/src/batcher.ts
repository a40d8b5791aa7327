import { CancelledError, type Embedder } from '@llm/core';
import type { ModelQueue } from './scheduler.js';

/** Options for {@link EmbeddingBatcher}. */
export interface EmbeddingBatcherOptions {
  /** Texts per call to the embedder at most. Default: the embedder's `maxBatchSize`. */
  maxBatch?: number;
  /** How long the first waiting request waits for others to join its batch, in ms. Default 5. */
  maxWaitMs?: number;
  /** Admission queue the batches run under (one slot per batch). */
  queue?: ModelQueue;
  /** Called with the number of texts of each batch run. */
  onBatch?: (texts: number, requests: number) => void;
}

interface Pending {
  texts: readonly string[];
  resolve: (v: Float32Array[]) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
}

/**
 * Dynamic batching for embeddings (as Triton's dynamic batcher): requests that arrive within
 * `maxWaitMs` of each other are merged into one `embed` call of at most `maxBatch` texts (a
 * request larger than `maxBatch` runs alone, split by the embedder), and each gets its own rows back.
 */
export class EmbeddingBatcher {
  private readonly embedder: Embedder;
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private readonly queue?: ModelQueue;
  private readonly onBatch?: (texts: number, requests: number) => void;
  private pending: Pending[] = [];
  private pendingTexts = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(embedder: Embedder, options: EmbeddingBatcherOptions = {}) {
    this.embedder = embedder;
    this.maxBatch = Math.max(1, options.maxBatch ?? embedder.maxBatchSize);
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 5);
    this.queue = options.queue;
    this.onBatch = options.onBatch;
  }

  /** Embed `texts` as part of a batch. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (signal?.aborted) return Promise.reject(new CancelledError('request cancelled'));
    return new Promise((resolve, reject) => {
      if (this.pendingTexts > 0 && this.pendingTexts + texts.length > this.maxBatch) this.flush();
      this.pending.push({ texts, resolve, reject, signal });
      this.pendingTexts += texts.length;
      if (this.pendingTexts >= this.maxBatch) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending.filter((p) => {
      if (p.signal?.aborted) {
        p.reject(new CancelledError('request cancelled'));
        return false;
      }
      return true;
    });
    this.pending = [];
    this.pendingTexts = 0;
    if (batch.length > 0) void this.run(batch);
  }

  private async run(batch: Pending[]): Promise<void> {
    let release: (() => void) | undefined;
    try {
      if (this.queue) release = await this.queue.acquire();
      const all = batch.flatMap((p) => p.texts);
      this.onBatch?.(all.length, batch.length);
      const vectors = await this.embedder.embed(all);
      let at = 0;
      for (const p of batch) {
        p.resolve(vectors.slice(at, at + p.texts.length));
        at += p.texts.length;
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      release?.();
    }
  }
}
