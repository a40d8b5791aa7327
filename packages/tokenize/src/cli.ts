import { commandAction, formatTable, InputError, ConfigError } from '@llm/core';
import type { Command } from 'commander';

/**
 * `llm tokenize …`: train, encode, decode, bench.
 *
 * @packageDocumentation
 */

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Add `tokenize` and its subcommands to a commander program. */
export function register(program: Command): void {
  const tok = program.command('tokenize').description('BPE / WordPiece tokenizers: train, encode, decode, bench');

  commandAction(
    tok.command('train')
      .description('train a tokenizer on text files and write tokenizer.json')
      .option('--algo <algo>', 'bpe (byte-level) or wordpiece', 'bpe')
      .requiredOption('--vocab <n>', 'vocabulary size')
      .requiredOption('--in <file>', 'training text file (repeatable; .gz ok)', collect, [])
      .requiredOption('--out <file>', 'tokenizer.json to write')
      .option('--min-frequency <n>', 'minimum pair/word frequency', '2')
      .option('--special <tokens>', 'comma-separated special tokens'),
    async (cmd: Command) => {
      const o = cmd.opts<{ algo: string; vocab: string; in: string[]; out: string; minFrequency: string; special?: string }>();
      const vocabSize = Number(o.vocab);
      if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new ConfigError(`--vocab must be a positive integer, got ${o.vocab}`, { field: '--vocab' });
      if (o.algo !== 'bpe' && o.algo !== 'wordpiece') throw new ConfigError(`--algo must be bpe or wordpiece, got ${o.algo}`, { field: '--algo' });
      const { trainBpe, trainWordPiece, linesOfFiles } = await import('./index.js');
      const specialTokens = o.special ? o.special.split(',').filter(Boolean) : undefined;
      const opts = { vocabSize, minFrequency: Number(o.minFrequency), specialTokens };
      const { existsSync } = await import('node:fs');
      for (const f of o.in) if (!existsSync(f)) throw new InputError('no such file', { file: f });
      const t0 = performance.now();
      const r = o.algo === 'bpe' ? await trainBpe(linesOfFiles(o.in), opts) : await trainWordPiece(linesOfFiles(o.in), opts);
      await r.tokenizer.save(o.out);
      const seconds = (performance.now() - t0) / 1000;
      return {
        json: { out: o.out, algo: o.algo, vocabSize: r.tokenizer.vocabSize, uniqueWords: r.stats.uniqueWords, seconds },
        human: `wrote ${o.out}: ${o.algo}, ${r.tokenizer.vocabSize} tokens, ${r.stats.uniqueWords} distinct words, ${seconds.toFixed(2)} s`,
      };
    },
  );

  commandAction(
    tok.command('encode')
      .description('ids of a text')
      .requiredOption('--tokenizer <spec>', 'tokenizer.json, a .gguf file, or cl100k_base | o200k_base | r50k_base | p50k_base')
      .option('--text <text>', 'text to encode')
      .option('--in <file>', 'file to encode (whole content)')
      .option('--allow-special', 'encode special-token text as special tokens (tiktoken encodings)'),
    async (cmd: Command) => {
      const o = cmd.opts<{ tokenizer: string; text?: string; in?: string; allowSpecial?: boolean }>();
      if ((o.text === undefined) === (o.in === undefined)) throw new ConfigError('give exactly one of --text or --in');
      const { loadTokenizer, encodeWith } = await import('./load.js');
      const { readText } = await import('@llm/core');
      const text = o.text ?? (await readText(o.in!));
      const t = loadTokenizer(o.tokenizer);
      const ids = encodeWith(t, text, o.allowSpecial ?? false);
      return { json: { ids, count: ids.length }, human: [ids.join(' '), `${ids.length} tokens`] };
    },
  );

  commandAction(
    tok.command('decode')
      .description('text of ids')
      .requiredOption('--tokenizer <spec>', 'tokenizer.json, a .gguf file, or an encoding name')
      .requiredOption('--ids <ids>', 'comma-separated ids'),
    async (cmd: Command) => {
      const o = cmd.opts<{ tokenizer: string; ids: string }>();
      const ids = o.ids.split(',').map((s, i) => {
        const v = Number(s.trim());
        if (s.trim() === '' || !Number.isInteger(v) || v < 0) throw new InputError(`id ${i + 1} (${JSON.stringify(s)}) is not a non-negative integer`, { field: '--ids' });
        return v;
      });
      const { loadTokenizer } = await import('./load.js');
      const text = loadTokenizer(o.tokenizer).decode(ids);
      return { json: { text }, human: text };
    },
  );

  commandAction(
    tok.command('bench')
      .description('encode speed vs gpt-tokenizer, tiktoken, js-tiktoken, @huggingface/tokenizers, tokenizers; training time vs tokenizers and sentencepiece')
      .option('--encodings <list>', 'comma-separated encodings', 'cl100k_base,o200k_base')
      .option('--repeats <n>', 'repeats per library (median reported)', '3')
      .option('--min-mb <n>', 'minimum corpus size in MB', '8')
      .option('--peers <list>', 'comma-separated peers to run (default all installed)')
      .option('--train', 'also benchmark BPE training (vocab 8000 and 30000)'),
    async (cmd: Command) => {
      const o = cmd.opts<{ encodings: string; repeats: string; minMb: string; peers?: string; train?: boolean }>();
      const { runEncodeBenchmark, runTrainBenchmark } = await import('./bench.js');
      const log = (l: string) => process.stderr.write(`${l}\n`);
      const enc = await runEncodeBenchmark({
        encodings: o.encodings.split(',') as Array<'cl100k_base' | 'o200k_base' | 'r50k_base'>,
        repeats: Number(o.repeats), minBytes: Number(o.minMb) * 1e6, peers: o.peers?.split(','), log,
      });
      const train = o.train ? await runTrainBenchmark({ log }) : [];
      const human: string[] = [
        `corpus ${(enc.corpusBytes / 1e6).toFixed(2)} MB, ${enc.lines} lines; median of ${o.repeats}`,
        formatTable(['encoding', 'library', 'MB/s', 'vs @llm/tokenize', 'identical ids'], enc.rows.map((r) => {
          const ours = enc.rows.find((x) => x.encoding === r.encoding && x.library === '@llm/tokenize')!;
          return [r.encoding, r.library, r.mbPerSec.toFixed(2), `${(ours.mbPerSec / r.mbPerSec).toFixed(2)}x`, String(r.identical)];
        })),
      ];
      if (enc.o200kMemory) human.push(`o200k_base loaded: +${(enc.o200kMemory.heapBytes / 2 ** 20).toFixed(1)} MiB heap, +${(enc.o200kMemory.rssBytes / 2 ** 20).toFixed(1)} MiB RSS, ${enc.o200kMemory.loadSeconds.toFixed(2)} s`);
      if (enc.missingPeers.length) human.push(`not installed: ${enc.missingPeers.join(', ')}`);
      if (train.length) human.push(formatTable(['trainer', 'vocab', 'seconds'], train.map((r) => [r.library, r.vocabSize, r.seconds?.toFixed(2) ?? r.note ?? ''])));
      return { json: { encode: enc, train }, human };
    },
  );
}
