/**
 * `llm quant …`: convert HF LLaMA folders to GGUF, inspect and validate GGUF files, run them in
 * llama.cpp, measure perplexity, and show the error of a quantizer on a checkpoint tensor.
 */
import type { Command } from 'commander';
import { commandAction, ConfigError, formatTable, InputError } from '@llm/core';

const TENSOR_TYPES = ['int8', 'int8-zp', 'int8-block', 'llm-int8', 'nf4', 'fp4', 'nf4-nodq', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'q4_k', 'q5_k', 'q6_k'] as const;

function intOpt(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`--${name} must be a positive integer, got '${v}'`, { field: name });
  return n;
}

/** Add `quant` and its subcommands to the `llm` program. */
export function register(program: Command): void {
  const q = program.command('quant').description('quantization: int8/NF4/FP4 tensors, GGUF files, llama.cpp');

  const convert = (name: string) => commandAction(
    q.command(name).description('convert an HF LLaMA folder (config.json, model.safetensors, tokenizer.json) to GGUF')
      .requiredOption('--model <dir>', 'HF-layout folder')
      .requiredOption('--type <type>', 'f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q4_k|q5_k|q6_k|q4_k_m')
      .requiredOption('--out <file>', 'output .gguf'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; type: string; out: string }>();
      const { convertHfLlama, CONVERT_TYPES } = await import('./convert/hf-llama.js');
      const type = o.type.toUpperCase();
      if (!(CONVERT_TYPES as readonly string[]).includes(type)) throw new ConfigError(`--type must be one of ${CONVERT_TYPES.join(', ').toLowerCase()}, got '${o.type}'`, { field: 'type' });
      const r = await convertHfLlama(o.model, o.out, { type: type as (typeof CONVERT_TYPES)[number] });
      const counts: Record<string, number> = {};
      for (const t of r.tensors) counts[t.type] = (counts[t.type] ?? 0) + 1;
      return {
        json: { out: r.out, type, bytes: r.bytes, parameters: r.parameters, bitsPerWeight: r.bitsPerWeight, tensorTypes: counts },
        human: `wrote ${r.out}: ${r.parameters} parameters, ${(r.bytes / 1e6).toFixed(2)} MB of tensors, ${r.bitsPerWeight.toFixed(2)} bits/weight (${Object.entries(counts).map(([k, v]) => `${v}×${k}`).join(', ')})`,
      };
    },
  );
  convert('convert');
  convert('gguf');

  commandAction(
    q.command('inspect').description('metadata, tensor table and llama.cpp-loader validation of a GGUF file').argument('<file>', '.gguf file')
      .option('--all-metadata', 'print long arrays in full'),
    async (file: string, cmd: Command) => {
      const { GGUFFile } = await import('./gguf/reader.js');
      const { validateForLlamaCpp } = await import('./gguf/validate.js');
      const { plainValue } = await import('./gguf/types.js');
      const f = await GGUFFile.open(file);
      try {
        const all = cmd.opts<{ allMetadata?: boolean }>().allMetadata === true;
        const metadata: Record<string, unknown> = {};
        for (const [k, v] of f.metadata) {
          const p = plainValue(v);
          metadata[k] = Array.isArray(p) && p.length > 16 && !all ? { kind: v.kind, items: p.length, first: p.slice(0, 8) } : p;
        }
        let check: unknown = null;
        let problem: string | null = null;
        try { check = validateForLlamaCpp(f.header, file); } catch (err) { problem = (err as Error).message; }
        const tensors = f.tensors.map((t) => ({ name: t.name, type: t.typeName, dims: t.dims, offset: t.fileOffset, bytes: t.byteSize }));
        const bigint = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
        return {
          json: bigint({ file, version: f.header.version, alignment: f.header.alignment, dataStart: f.header.dataStart, fileSize: f.header.fileSize, metadata, tensors, llamaCpp: check, problem }) as Record<string, unknown>,
          human: [
            `${file}: GGUF v${f.header.version}, ${f.metadata.size} metadata keys, ${f.tensors.length} tensors, alignment ${f.header.alignment}, ${f.header.fileSize} bytes`,
            ...Object.entries(metadata).map(([k, v]) => `  ${k} = ${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))}`),
            formatTable(['tensor', 'type', 'dims', 'bytes'], tensors.map((t) => [t.name, t.type, t.dims.join('×'), t.bytes])),
            problem ? `llama.cpp would reject it: ${problem}` : 'llama.cpp loader checks: ok',
          ].join('\n'),
        };
      } finally {
        await f.close();
      }
    },
  );

  commandAction(
    q.command('run').description('generate with a GGUF model in llama.cpp (node-llama-cpp, CPU unless --gpu)')
      .requiredOption('--model <file>', '.gguf file').requiredOption('--prompt <text>', 'prompt')
      .option('--max-tokens <n>', 'tokens to generate', '32').option('--threads <n>', 'CPU threads', '2')
      .option('--temperature <t>', '0 = greedy', '0').option('--gpu <kind>', 'cuda or vulkan (needs the matching prebuilt package)'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; prompt: string; maxTokens: string; threads: string; temperature: string; gpu?: string }>();
      if (o.gpu !== undefined && o.gpu !== 'cuda' && o.gpu !== 'vulkan') throw new InputError(`--gpu must be cuda or vulkan, got '${o.gpu}'`, { field: 'gpu' });
      const { loadGGUF } = await import('./run/llama-cpp.js');
      const m = await loadGGUF(o.model, { threads: intOpt(o.threads, 'threads', 2), gpu: (o.gpu as 'cuda' | 'vulkan' | undefined) ?? false });
      try {
        const t0 = performance.now();
        const r = await m.generate(o.prompt, { maxTokens: intOpt(o.maxTokens, 'max-tokens', 32), temperature: Number(o.temperature) });
        const s = (performance.now() - t0) / 1000;
        return { json: { text: r.text, tokens: r.tokens, finishReason: r.finishReason, seconds: s, tokensPerSecond: r.tokens.length / s, threads: m.threads }, human: `${o.prompt}${r.text}\n(${r.tokens.length} tokens, ${(r.tokens.length / s).toFixed(1)} tokens/s, ${m.threads} threads)` };
      } finally {
        await m.dispose();
      }
    },
  );

  commandAction(
    q.command('ppl').description('perplexity of a GGUF model on a text file, evaluated by llama.cpp')
      .requiredOption('--model <file>', '.gguf file').requiredOption('--text <file>', 'text file')
      .option('--max-tokens <n>', 'tokens of the text to score', '256').option('--threads <n>', 'CPU threads', '2'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; text: string; maxTokens: string; threads: string }>();
      const { readText } = await import('@llm/core');
      const { loadGGUF } = await import('./run/llama-cpp.js');
      const text = await readText(o.text);
      const m = await loadGGUF(o.model, { threads: intOpt(o.threads, 'threads', 2) });
      try {
        const ids = m.tokenize(text).slice(0, Math.min(intOpt(o.maxTokens, 'max-tokens', 256), m.contextLength - 1));
        if (m.bos !== undefined) ids.unshift(m.bos);
        if (ids.length < 2) throw new InputError(`${o.text}: too little text to score`, { file: o.text });
        const probs = await m.probabilities(ids);
        let nll = 0;
        for (let i = 0; i + 1 < ids.length; i++) nll -= Math.log(Math.max(probs[i]![ids[i + 1]!]!, 1e-30));
        const tokens = ids.length - 1;
        const ppl = Math.exp(nll / tokens);
        return { json: { ppl, tokens }, human: `perplexity ${ppl.toFixed(3)} over ${tokens} tokens` };
      } finally {
        await m.dispose();
      }
    },
  );

  const tensorCmd = (name: string) => commandAction(
    q.command(name).description('quantize one tensor of a safetensors checkpoint and report the error statistics')
      .requiredOption('--model <path>', 'model.safetensors or a folder holding it').requiredOption('--tensor <name>', 'tensor name')
      .requiredOption('--type <type>', TENSOR_TYPES.join('|')),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; tensor: string; type: string }>();
      if (!(TENSOR_TYPES as readonly string[]).includes(o.type)) throw new ConfigError(`--type must be one of ${TENSOR_TYPES.join(', ')}`, { field: 'type' });
      const { tensorErrorStats } = await import('./tensor/report.js');
      const r = await tensorErrorStats(o.model, o.tensor, o.type as (typeof TENSOR_TYPES)[number]);
      return { json: { ...r }, human: `${o.tensor} [${r.shape.join('×')}] as ${o.type}: ${r.stats.bitsPerElement.toFixed(3)} bits/element, rmse ${r.stats.rmse.toExponential(3)}, max |err| ${r.stats.maxAbs.toExponential(3)}, SQNR ${r.stats.sqnrDb.toFixed(2)} dB, relative error ${(100 * r.stats.relativeError).toFixed(3)}%` };
    },
  );
  tensorCmd('quantize');
  tensorCmd('tensor');

  commandAction(
    q.command('tiny').description('write the tiny seeded LLaMA checkpoint (HF layout) used by the tests and the tour')
      .requiredOption('--out <dir>', 'output folder').option('--seed <n>', 'seed', '7'),
    async (cmd: Command) => {
      const o = cmd.opts<{ out: string; seed: string }>();
      const { writeTinyLlama } = await import('./model/tiny-llama.js');
      const { config } = await writeTinyLlama(o.out, { seed: Number(o.seed) });
      return { json: { out: o.out, config }, human: `wrote ${o.out} (hidden ${config.hidden_size}, ${config.num_hidden_layers} layers, vocab ${config.vocab_size})` };
    },
  );
}
