import { Command, CommanderError } from 'commander';
import { formatError } from '@llm/core';
import { registerCoreCommands } from './commands/core.js';
import { registerTourCommand } from './commands/tour.js';
import { register as registerRag } from '@llm/rag/cli';
import { register as registerEval } from '@llm/eval/cli';
import { register as registerServe } from '@llm/serve/cli';
import { register as registerTransformer } from '@llm/transformer/cli';
import { setTaskScorers } from '@llm/transformer';
import { corpusBleu, corpusChrf, evaluateSquad } from '@llm/eval';
import { register as registerQuant } from '@llm/quant/cli';
import { register as registerLora } from '@llm/lora/cli';
import { register as registerEmbeddings } from '@llm/embeddings/cli';
import { register as registerTokenize } from '@llm/tokenize/cli';
import { register as registerSeq } from '@llm/seq/cli';

/** The version printed by `llm --version`. */
export const CLI_VERSION = '0.1.0';

/**
 * Build the `llm` program with every package's subcommands. Global flags: `--json` (one JSON
 * object as the last stdout line), `--debug` (stacks on errors).
 */
/** `@llm/transformer`'s task commands score with `@llm/eval` (which it may not import itself). */
function wireTaskScorers(): void {
  setTaskScorers({
    bleu: (hyps, refs) => corpusBleu(hyps, [refs]).score,
    chrf: (hyps, refs) => corpusChrf(hyps, [refs]).score,
    squad: (dataset, predictions) => {
      const r = evaluateSquad(dataset, predictions);
      return { exactMatch: r.exact_match, f1: r.f1 };
    },
  });
}

export function buildProgram(): Command {
  wireTaskScorers();
  const program = new Command('llm')
    .description('The @llm workspace: tokenizers, embeddings, sequence models, transformers, RAG, LoRA, quantization, serving and evaluation.')
    .version(CLI_VERSION)
    .option('--json', 'print exactly one JSON object with the result as the last line of stdout')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError('(add --help for usage)')
    .enablePositionalOptions(false)
    .exitOverride();
  registerCoreCommands(program);
  registerTourCommand(program);
  registerTokenize(program);
  registerEmbeddings(program);
  registerSeq(program);
  registerTransformer(program);
  registerQuant(program);
  registerLora(program);
  registerRag(program);
  registerEval(program);
  registerServe(program);
  return program;
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; usage errors exit 2.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    process.stderr.write(`${formatError(err, argv.includes('--debug'))}\n`);
    return 1;
  }
}
