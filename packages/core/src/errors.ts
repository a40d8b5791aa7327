/**
 * Typed errors shared by every `@llm/*` package.
 *
 * Each error carries a stable `code` and, where it applies, the place the problem was found:
 * a file with a line and column, a byte offset, or a field path. `@llm/cli` prints them as one
 * line (`formatError`) and maps them to exit codes (`exitCodeFor`).
 *
 * @packageDocumentation
 */

/** Where in an input the problem was found. Every field is optional; give what you know. */
export interface ErrorLocation {
  /** File path (or a label such as `<stdin>` or a URL-like name). */
  file?: string;
  /** 1-based line number. */
  line?: number;
  /** 1-based column number. */
  column?: number;
  /** Byte offset from the start of the file. */
  offset?: number;
  /** Field or JSON path, e.g. `data[3].paragraphs[0].qas[2].answers`. */
  field?: string;
}

/** Base class of every error the workspace throws on purpose. */
export class LlmError extends Error {
  /** Stable machine-readable code, e.g. `E_INPUT`. */
  readonly code: string;
  /** Where the problem was found, if known. */
  readonly location: ErrorLocation;

  constructor(code: string, message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.location = location;
  }

  /** The message prefixed with its location, e.g. `data.tsv:12: expected 3 columns, got 2`. */
  describe(): string {
    const where = formatLocation(this.location);
    return where ? `${where}: ${this.message}` : this.message;
  }
}

/** Bad input from the user: malformed lines, wrong values, mismatched lengths. Exit code 2. */
export class InputError extends LlmError {
  constructor(message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super('E_INPUT', message, location, options);
  }
}

/** A file that breaks its format's rules (bad header, offsets out of range, wrong magic). Exit code 2. */
export class FormatError extends LlmError {
  /** Name of the format, e.g. `safetensors`, `gguf`, `tokenizer.json`. */
  readonly format: string;
  constructor(format: string, message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super('E_FORMAT', `${format}: ${message}`, location, options);
    this.format = format;
  }
}

/** An invalid option or configuration value. Exit code 2. */
export class ConfigError extends LlmError {
  constructor(message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super('E_CONFIG', message, location, options);
  }
}

/** Something asked for does not exist (a dataset, a model folder, a tensor name). Exit code 2. */
export class NotFoundError extends LlmError {
  constructor(message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super('E_NOT_FOUND', message, location, options);
  }
}

/** A tensor backend could not be loaded or initialised. Exit code 1. */
export class BackendError extends LlmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_BACKEND', message, {}, options);
  }
}

/** The operation was cancelled through its `AbortSignal`. Exit code 130 in the CLI. */
export class CancelledError extends LlmError {
  constructor(message = 'operation cancelled', options?: { cause?: unknown }) {
    super('E_CANCELLED', message, {}, options);
  }
}

/** Render a location as `file:line:column`, `file@offset` or `field`, or '' if empty. */
export function formatLocation(loc: ErrorLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) {
    let s = loc.file;
    if (loc.line !== undefined) s += `:${loc.line}${loc.column !== undefined ? `:${loc.column}` : ''}`;
    if (loc.offset !== undefined) s += ` (byte ${loc.offset})`;
    parts.push(s);
  } else {
    if (loc.line !== undefined) parts.push(`line ${loc.line}${loc.column !== undefined ? `:${loc.column}` : ''}`);
    if (loc.offset !== undefined) parts.push(`byte ${loc.offset}`);
  }
  if (loc.field !== undefined) parts.push(`field ${loc.field}`);
  return parts.join(', ');
}

/** True for errors caused by what the user gave (exit code 2), false for internal ones. */
export function isUserError(err: unknown): boolean {
  return err instanceof InputError || err instanceof FormatError || err instanceof ConfigError || err instanceof NotFoundError;
}

/** The CLI exit code for an error: 2 for user errors, 130 for cancellation, 1 otherwise. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CancelledError) return 130;
  return isUserError(err) ? 2 : 1;
}

/** One clear line for an error; with `debug` the stack (and causes) follow. */
export function formatError(err: unknown, debug = false): string {
  if (err instanceof LlmError) {
    const line = `error[${err.code}]: ${err.describe()}`;
    return debug ? `${line}\n${stackWithCauses(err)}` : line;
  }
  if (err instanceof Error) {
    const line = `internal error: ${err.message}`;
    return debug ? `${line}\n${stackWithCauses(err)}` : `${line} (run with --debug for the stack)`;
  }
  return `internal error: ${String(err)}`;
}

function stackWithCauses(err: Error): string {
  let out = err.stack ?? String(err);
  let cause: unknown = err.cause;
  while (cause instanceof Error) {
    out += `\ncaused by: ${cause.stack ?? cause.message}`;
    cause = cause.cause;
  }
  return out;
}

/** Throw a {@link CancelledError} if the signal is aborted. Call it between steps of long loops. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    throw reason instanceof CancelledError ? reason : new CancelledError(reason instanceof Error ? reason.message : undefined);
  }
}
