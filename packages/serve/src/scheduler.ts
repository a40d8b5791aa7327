import { CancelledError } from '@llm/core';

/** Thrown by {@link ModelQueue.acquire} when the queue is full (the server answers 429). */
export class QueueFullError extends Error {
  /** Suggested wait before retrying, in seconds. */
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.name = 'QueueFullError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Options for {@link ModelQueue}. */
export interface ModelQueueOptions {
  /** Requests running at once. */
  maxConcurrency: number;
  /** Requests waiting at most; one more is refused with {@link QueueFullError}. */
  maxQueue: number;
  /** Called when the number waiting or running changes. */
  onChange?: (waiting: number, running: number) => void;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * A FIFO admission queue for one model: at most `maxConcurrency` holders of a slot, at most
 * `maxQueue` waiters. A waiter whose signal aborts leaves the queue; a holder frees its slot by
 * calling the release function it got (idempotent).
 */
export class ModelQueue {
  readonly maxConcurrency: number;
  readonly maxQueue: number;
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private readonly onChange?: (waiting: number, running: number) => void;
  /** Moving average of how long a slot is held, for Retry-After. */
  private avgHoldMs = 1000;

  constructor(options: ModelQueueOptions) {
    if (!(options.maxConcurrency >= 1)) throw new RangeError('maxConcurrency must be >= 1');
    if (!(options.maxQueue >= 0)) throw new RangeError('maxQueue must be >= 0');
    this.maxConcurrency = options.maxConcurrency;
    this.maxQueue = options.maxQueue;
    this.onChange = options.onChange;
  }

  /** Requests waiting for a slot. */
  get depth(): number {
    return this.waiting.length;
  }

  /** Requests holding a slot. */
  get active(): number {
    return this.running;
  }

  /** Wait for a slot; resolves to its release function. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new CancelledError('request cancelled before it was scheduled'));
    if (this.running < this.maxConcurrency && this.waiting.length === 0) {
      this.running++;
      this.changed();
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueue) {
      const waves = Math.ceil((this.waiting.length + 1) / this.maxConcurrency);
      const seconds = Math.max(1, Math.ceil((waves * this.avgHoldMs) / 1000));
      return Promise.reject(new QueueFullError(`the queue for this model is full (${this.running} running, ${this.waiting.length} waiting); retry later`, seconds));
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiting.indexOf(w);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            this.changed();
          }
          reject(new CancelledError('request cancelled while queued'));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiting.push(w);
      this.changed();
    });
  }

  private releaser(): () => void {
    let done = false;
    const start = performance.now();
    return () => {
      if (done) return;
      done = true;
      this.avgHoldMs = 0.8 * this.avgHoldMs + 0.2 * (performance.now() - start);
      this.running--;
      this.next();
    };
  }

  private next(): void {
    while (this.running < this.maxConcurrency && this.waiting.length > 0) {
      const w = this.waiting.shift()!;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      this.running++;
      w.resolve(this.releaser());
    }
    this.changed();
  }

  private changed(): void {
    this.onChange?.(this.waiting.length, this.running);
  }
}
