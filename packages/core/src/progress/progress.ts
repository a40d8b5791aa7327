import cliProgress from 'cli-progress';

/**
 * Progress for every long operation in the workspace (training, ingest, index builds,
 * conversions). Bars are drawn with cli-progress on stderr, and only when stderr is a TTY
 * and neither `CI` nor `LLM_QUIET` is set; otherwise every call is a no-op, so libraries may
 * report progress unconditionally.
 */

/** Values shown after the bar, e.g. `{ loss: 2.31, lr: 3e-4 }`. */
export type ProgressPayload = Record<string, string | number>;

/** A running progress indicator. */
export interface Progress {
  /** Advance by `n` (default 1). */
  tick(n?: number, payload?: ProgressPayload): void;
  /** Set the absolute position. */
  update(value: number, payload?: ProgressPayload): void;
  /** Change the total (for streams whose length becomes known later). */
  setTotal(total: number): void;
  /** Stop drawing; the bar stays on screen with its last values. */
  done(): void;
  /** Current position. */
  readonly value: number;
}

/** Options for {@link createProgress}. */
export interface ProgressOptions {
  /** Shown before the bar, e.g. `train bpe`. */
  label: string;
  /** Total units; 0 or undefined draws a counter without a bar. */
  total?: number;
  /** Unit name shown after the counts, e.g. `steps`, `MB`, `docs`. */
  unit?: string;
  /** Force on (true) or off (false); default follows {@link progressEnabled}. */
  enabled?: boolean;
  /** Stream to draw on. Default `process.stderr`. */
  stream?: NodeJS.WriteStream;
}

/** Whether progress bars should be drawn on `stream`: a TTY, and neither `CI` nor `LLM_QUIET` set. */
export function progressEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  const env = process.env;
  if (isTruthy(env.CI) || isTruthy(env.LLM_QUIET)) return false;
  return stream.isTTY === true;
}

function isTruthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function formatPayload(p: ProgressPayload): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`)
    .join(' ');
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toFixed(4);
}

/** Start a progress indicator. Quiet (a no-op that still tracks `value`) when not enabled. */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? progressEnabled(stream);
  let value = 0;
  let total = options.total ?? 0;
  if (!enabled) {
    return {
      tick(n = 1) { value += n; },
      update(v) { value = v; },
      setTotal(t) { total = t; },
      done() { /* quiet */ },
      get value() { return value; },
    };
  }
  const unit = options.unit ? ` ${options.unit}` : '';
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: total > 0
        ? `${options.label} [{bar}] {percentage}% {value}/{total}${unit} eta {eta_formatted} {extra}`
        : `${options.label} {value}${unit} {extra}`,
      barsize: 28,
      hideCursor: false,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { extra: '' });
  let stopped = false;
  return {
    tick(n = 1, payload) {
      value += n;
      bar.update(value, payload ? { extra: formatPayload(payload) } : undefined);
    },
    update(v, payload) {
      value = v;
      bar.update(value, payload ? { extra: formatPayload(payload) } : undefined);
    },
    setTotal(t) {
      total = t;
      bar.setTotal(t);
    },
    done() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
    get value() { return value; },
  };
}

/**
 * Run `fn` with a progress indicator that is closed whether `fn` succeeds, throws or is cancelled.
 */
export async function withProgress<T>(options: ProgressOptions, fn: (p: Progress) => Promise<T>): Promise<T> {
  const p = createProgress(options);
  try {
    return await fn(p);
  } finally {
    p.done();
  }
}
