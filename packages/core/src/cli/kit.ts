import { exitCodeFor, formatError } from '../errors.js';

/**
 * The CLI contract every package's subcommands follow (used by `@llm/cli`):
 * human output on stdout, progress on stderr, and with `--json` exactly one JSON object as the
 * last line of stdout. Exit codes: 0 success, 2 bad input or usage, 1 internal error.
 */

/** Global flags every command receives. */
export interface GlobalFlags {
  json?: boolean;
  debug?: boolean;
}

/** What a command handler returns: the JSON result and, optionally, a human rendering. */
export interface CommandOutput<T extends object = Record<string, unknown>> {
  json: T;
  /** Lines printed without `--json`; default: the JSON pretty-printed. */
  human?: string | string[];
}

/** Where output goes (injectable for tests). */
export interface OutputSink {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const processSink: OutputSink = {
  stdout: (s) => { process.stdout.write(s); },
  stderr: (s) => { process.stderr.write(s); },
};

/** Print a command's output per the contract. */
export function emit<T extends object>(out: CommandOutput<T>, flags: GlobalFlags, sink: OutputSink = processSink): void {
  if (flags.json) {
    if (out.human !== undefined && flags.debug) sink.stderr(`${Array.isArray(out.human) ? out.human.join('\n') : out.human}\n`);
    sink.stdout(`${JSON.stringify(out.json)}\n`);
    return;
  }
  const human = out.human ?? JSON.stringify(out.json, null, 2);
  sink.stdout(`${Array.isArray(human) ? human.join('\n') : human}\n`);
}

/**
 * Run a command handler under the contract: print its output, or print the error as one line
 * (with `--json`, also `{"error": …}` as the last stdout line) and return the exit code.
 */
export async function runCommand<T extends object>(flags: GlobalFlags, handler: () => Promise<CommandOutput<T>>, sink: OutputSink = processSink): Promise<number> {
  try {
    emit(await handler(), flags, sink);
    return 0;
  } catch (err) {
    sink.stderr(`${formatError(err, flags.debug)}\n`);
    const code = exitCodeFor(err);
    if (flags.json) {
      const e = err as { code?: string; message?: string; location?: unknown };
      sink.stdout(`${JSON.stringify({ error: { code: e.code ?? 'E_INTERNAL', message: e.message ?? String(err), location: e.location ?? {} }, exitCode: code })}\n`);
    }
    return code;
  }
}

/** Format rows as an aligned text table. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [header.map(String), ...rows.map((r) => r.map((c) => String(c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/**
 * The shape of a commander `Command` that {@link commandAction} needs (structural, so
 * `@llm/core` does not depend on commander).
 */
export interface CommandLike {
  readonly parent: CommandLike | null;
  opts(): Record<string, unknown>;
  option(flags: string, description?: string): this;
  action(fn: (...args: unknown[]) => void | Promise<void>): this;
}

/** Global flags of a command: its own `--json`/`--debug` or its ancestors'. */
export function commandFlags(cmd: CommandLike): GlobalFlags {
  let json = false;
  let debug = false;
  for (let c: CommandLike | null = cmd; c; c = c.parent) {
    const o = c.opts();
    json ||= o.json === true;
    debug ||= o.debug === true;
  }
  return { json, debug };
}

/**
 * Attach a handler that follows the CLI contract to a commander command: adds `--json`, runs
 * the handler with the positional arguments and the command itself, prints the result (or the
 * error as one line) and sets `process.exitCode` (0, 2 for bad input, 1 for internal errors).
 *
 * @example
 * ```ts
 * commandAction(program.command('count').argument('<file>'), async (file: string, cmd) => ({
 *   json: { lines: (await readText(file)).split('\n').length },
 * }));
 * ```
 */
export function commandAction<C extends CommandLike, A extends unknown[]>(cmd: C, handler: (...args: [...A, C]) => Promise<CommandOutput<object>>): C {
  cmd.option('--json', 'print one JSON object as the last line of stdout');
  cmd.action((async (...args: unknown[]) => {
    const self = args[args.length - 1] as C;
    const code = await runCommand(commandFlags(self), () => handler(...(args.slice(0, -2) as A), self));
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  }));
  return cmd;
}

/** A parsed command tree (commander's `Command`, or anything with its `parseAsync`). */
export interface ParsableProgram {
  parseAsync(argv: readonly string[], options: { from: 'user' }): Promise<unknown>;
}

/** What {@link runInProcess} captured. */
export interface InProcessRun {
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr (progress, errors). */
  stderr: string;
  /** `process.exitCode` after the command (0 when unset). */
  code: number;
  /** The last stdout line parsed as JSON (the `--json` contract), or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

/**
 * Run a command in this process with stdout and stderr captured, per the CLI contract: used by
 * every package's CLI tests and by tools that drive `llm` programmatically. `args` are user
 * arguments (no `node llm` prefix); `process.exitCode` is restored afterwards.
 *
 * ```ts
 * const program = new Command('llm').exitOverride();
 * register(program);
 * const { json, code } = await runInProcess(program, ['quant', 'inspect', 'x.gguf', '--json']);
 * ```
 */
export async function runInProcess(program: ParsableProgram, args: readonly string[]): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  const before = process.exitCode;
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'); return true; }) as typeof process.stderr.write;
  process.exitCode = undefined;
  let code: number;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    code = Number(process.exitCode ?? 0);
    process.exitCode = before;
  }
  const lines = stdout.trim().split('\n');
  let json: Record<string, unknown> | undefined;
  try {
    const v: unknown = JSON.parse(lines[lines.length - 1] ?? '');
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) json = v as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { stdout, stderr, code, json };
}
