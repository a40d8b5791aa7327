import type { Command } from 'commander';
import { runCommand, type CommandOutput, type GlobalFlags } from '@llm/core';

/** The global flags, read from the root program. */
export function globalFlags(cmd: Command): GlobalFlags {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const o = root.opts<{ json?: boolean; debug?: boolean }>();
  const own = cmd.opts<{ json?: boolean; debug?: boolean }>();
  return { json: Boolean(o.json || own.json), debug: Boolean(o.debug || own.debug) };
}

/**
 * Attach a handler following the CLI contract: `--json` is accepted on every command, errors
 * become one line and an exit code (2 for bad input, 1 for internal errors).
 */
export function action<A extends unknown[]>(cmd: Command, handler: (...args: [...A, Command]) => Promise<CommandOutput<object>>): Command {
  cmd.option('--json', 'print one JSON object as the last line of stdout');
  cmd.action(async (...args: unknown[]) => {
    const self = args[args.length - 1] as Command;
    const code = await runCommand(globalFlags(self), () => handler(...(args.slice(0, -2) as A), self));
    (self as Command & { exitCodeValue?: number }).exitCodeValue = code;
  });
  return cmd;
}
