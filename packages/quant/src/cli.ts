/**
 * `llm quant …`: convert HF LLaMA folders to GGUF, inspect and validate GGUF files, run them in
 * llama.cpp, measure perplexity, and show the error of a quantizer on a checkpoint tensor.
 */
import type { Command } from 'commander';
import { commandAction, ConfigError, formatTable, InputError } from '@llm/core';

const TENSOR_TYPES = ['int8', 'int8-zp', 'int8-block', 'llm-int8', 'nf4', 'fp4', 'nf4-nodq', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'q2_k', 'q3_k', 'q4_k', 'q5_k', 'q6_k'] as const;

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
    q.command(name).description('convert an HF LLaMA or GPT-2 folder (config.json, model.safetensors, tokenizer.json) to GGUF')
      .requiredOption('--model <dir>', 'HF-layout folder')
      .requiredOption('--type <type>', 'f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q2_k|q3_k|q4_k|q5_k|q6_k|q4_k_m')
      .requiredOption('--out <file>', 'output .gguf'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; type: string; out: string }>();
      const { CONVERT_TYPES } = await import('./convert/hf-llama.js');
      const { convertHf } = await import('./convert/hf-gpt2.js');
      const type = o.type.toUpperCase();
      if (!(CONVERT_TYPES as readonly string[]).includes(type)) throw new ConfigError(`--type must be one of ${CONVERT_TYPES.join(', ').toLowerCase()}, got '${o.type}'`, { field: 'type' });
      const r = await convertHf(o.model, o.out, { type: type as (typeof CONVERT_TYPES)[number] });
      const counts: Record<string, number> = {};
      for (const t of r.tensors) counts[t.type] = (counts[t.type] ?? 0) + 1;
      return {
        json: { out: r.out, architecture: r.architecture, type, bytes: r.bytes, parameters: r.parameters, bitsPerWeight: r.bitsPerWeight, tensorTypes: counts },
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
      .option('--temperature <t>', '0 = greedy', '0').option('--gpu <kind>', 'auto, cuda or vulkan (needs the matching prebuilt package; auto falls back to the CPU)')
      .option('--gpu-layers <n>', 'layers to offload: a number, max or auto (default max)'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; prompt: string; maxTokens: string; threads: string; temperature: string; gpu?: string; gpuLayers?: string }>();
      if (o.gpu !== undefined && o.gpu !== 'auto' && o.gpu !== 'cuda' && o.gpu !== 'vulkan') throw new InputError(`--gpu must be auto, cuda or vulkan, got '${o.gpu}'`, { field: 'gpu' });
      const gl = o.gpuLayers;
      const gpuLayers = gl === undefined ? undefined : gl === 'max' || gl === 'auto' ? gl : Number.isInteger(Number(gl)) && Number(gl) >= 0 ? Number(gl) : undefined;
      if (gl !== undefined && gpuLayers === undefined) throw new InputError(`--gpu-layers must be a number, max or auto, got '${gl}'`, { field: 'gpu-layers' });
      const { loadGGUF } = await import('./run/llama-cpp.js');
      const m = await loadGGUF(o.model, { threads: intOpt(o.threads, 'threads', 2), gpu: (o.gpu as 'auto' | 'cuda' | 'vulkan' | undefined) ?? false, gpuLayers });
      try {
        const t0 = performance.now();
        const r = await m.generate(o.prompt, { maxTokens: intOpt(o.maxTokens, 'max-tokens', 32), temperature: Number(o.temperature) });
        const s = (performance.now() - t0) / 1000;
        return { json: { text: r.text, tokens: r.tokens, finishReason: r.finishReason, seconds: s, tokensPerSecond: r.tokens.length / s, threads: m.threads, gpu: m.gpu, gpuLayers: m.gpuLayers }, human: `${o.prompt}${r.text}\n(${r.tokens.length} tokens, ${(r.tokens.length / s).toFixed(1)} tokens/s, ${m.threads} threads, ${m.gpu === false ? 'CPU' : `${m.gpu}, ${m.gpuLayers} layers offloaded`})` };
      } finally {
        await m.dispose();
      }
    },
  );

  commandAction(
    q.command('ppl').description('perplexity on a text file: of a GGUF evaluated by llama.cpp, of an HF folder by our float reference forward pass, or (--types) the per-quant-type table of an HF folder')
      .requiredOption('--model <path>', '.gguf file or HF folder (llama, gpt2)').requiredOption('--text <file>', 'text file')
      .option('--max-tokens <n>', 'tokens of the text to score', '256').option('--threads <n>', 'CPU threads', '2')
      .option('--window <n>', 'tokens per evaluated window (default: the context length)')
      .option('--types <list>', 'with an HF folder: convert to each type (comma-separated, e.g. f16,q8_0,q4_k_m,q4_0; F32 always included) and tabulate size, bits/weight, ppl and its change'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; text: string; maxTokens: string; threads: string; window?: string; types?: string }>();
      const { readText } = await import('@llm/core');
      const { statSync, existsSync } = await import('node:fs');
      const text = await readText(o.text);
      const isDir = existsSync(o.model) && statSync(o.model).isDirectory();
      const opts = { maxTokens: intOpt(o.maxTokens, 'max-tokens', 256), threads: intOpt(o.threads, 'threads', 2), window: o.window === undefined ? undefined : intOpt(o.window, 'window', 0) };
      if (o.types !== undefined) {
        if (!isDir) throw new InputError('--types needs --model to be an HF folder', { field: 'types' });
        const { CONVERT_TYPES } = await import('./convert/hf-llama.js');
        const types = o.types.split(',').map((t) => t.trim().toUpperCase()).filter((t) => t.length > 0);
        for (const t of types) if (!(CONVERT_TYPES as readonly string[]).includes(t)) throw new ConfigError(`--types: '${t.toLowerCase()}' is not one of ${CONVERT_TYPES.join(', ').toLowerCase()}`, { field: 'types' });
        const { perplexityTable } = await import('./run/ppl.js');
        const r = await perplexityTable(o.model, text, types as (typeof CONVERT_TYPES)[number][], opts);
        const f32 = r.rows[0]!;
        return {
          json: { ppl: f32.ppl, tokens: r.tokens, windows: r.windows, window: r.window, architecture: r.architecture, floatPpl: r.floatPpl, f32MaxAbsDiff: r.f32MaxAbsDiff, rows: r.rows },
          human: [
            `${o.model} (${r.architecture}): ${r.tokens} tokens of ${o.text} in ${r.windows} windows of ${r.window}, llama.cpp ${opts.threads} thread(s), F32 KV cache`,
            formatTable(['type', 'file MB', 'bits/weight', 'ppl', 'Δppl vs F32', 'mean KL vs F32', 'same top-1', 'tensors'], r.rows.map((x) => [
              x.type, (x.fileBytes / 1e6).toFixed(3), x.bitsPerWeight.toFixed(2), x.ppl.toFixed(3), `${x.deltaPpl >= 0 ? '+' : ''}${x.deltaPpl.toFixed(4)}`, x.meanKl.toExponential(2), `${(100 * x.sameTop).toFixed(1)}%`,
              Object.entries(x.tensorTypes).map(([k, v]) => `${v}×${k}`).join(' '),
            ])),
            `float weights, our forward pass: ppl ${r.floatPpl.toFixed(3)}; max |p(llama.cpp F32) − p(ours)| = ${r.f32MaxAbsDiff.toExponential(2)}`,
          ].join('\n'),
        };
      }
      if (isDir) {
        const { referencePerplexity } = await import('./model/hf-ref.js');
        const r = await referencePerplexity(o.model, text, opts);
        return { json: { ppl: r.ppl, tokens: r.tokens }, human: `perplexity ${r.ppl.toFixed(3)} over ${r.tokens} tokens (${r.architecture}, float reference forward pass)` };
      }
      const { loadGGUF } = await import('./run/llama-cpp.js');
      const { ggufPerplexity } = await import('./run/ppl.js');
      const m = await loadGGUF(o.model, { threads: opts.threads });
      try {
        const r = await ggufPerplexity(m, text, opts);
        return { json: { ppl: r.ppl, tokens: r.tokens }, human: `perplexity ${r.ppl.toFixed(3)} over ${r.tokens} tokens (${r.windows} window(s) of at most ${opts.window ?? m.contextLength - 1} tokens)` };
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
    q.command('tiny').description('write a tiny seeded checkpoint (HF layout, llama or gpt2) as used by the tests and the tour')
      .requiredOption('--out <dir>', 'output folder').option('--seed <n>', 'seed', '7').option('--arch <arch>', 'llama or gpt2', 'llama'),
    async (cmd: Command) => {
      const o = cmd.opts<{ out: string; seed: string; arch: string }>();
      if (o.arch === 'gpt2') {
        const { writeTinyGpt2 } = await import('./model/gpt2-ref.js');
        const { config } = await writeTinyGpt2(o.out, { seed: Number(o.seed) });
        return { json: { out: o.out, arch: 'gpt2', config }, human: `wrote ${o.out} (gpt2, n_embd ${config.n_embd}, ${config.n_layer} layers, vocab ${config.vocab_size})` };
      }
      if (o.arch !== 'llama') throw new InputError(`--arch must be llama or gpt2, got '${o.arch}'`, { field: 'arch' });
      const { writeTinyLlama } = await import('./model/tiny-llama.js');
      const { config } = await writeTinyLlama(o.out, { seed: Number(o.seed) });
      return { json: { out: o.out, arch: 'llama', config }, human: `wrote ${o.out} (llama, hidden ${config.hidden_size}, ${config.num_hidden_layers} layers, vocab ${config.vocab_size})` };
    },
  );
}
