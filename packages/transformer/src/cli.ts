/**
 * `llm transformer …` subcommands:
 *
 * - `generate --model DIR (--prompt TEXT | --ids 1,2,3) [--max-tokens N] [--temperature T] [--top-p P] [--top-k K] [--repetition-penalty R] [--stop S] [--seed S]`
 * - `logits --model DIR (--text TEXT | --ids 1,2,3)`: last-position logits and the top 10
 * - `export-onnx --model DIR --out DIR`: GPT-2 / BERT to `OUT/onnx/model.onnx`
 * - `info --model DIR`: architecture, parameter count, context length
 *
 * Text needs a tokenizer loader (`setTokenizerLoader`, wired by `@llm/cli` to `@llm/tokenize`);
 * `--ids` works without one.
 */
import type { Command } from 'commander';
import { InputError, commandAction } from '@llm/core';

function parseIds(s: string): number[] {
  const ids = s.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (ids.length === 0 || !ids.every((n) => Number.isInteger(n) && n >= 0)) throw new InputError(`--ids must be comma-separated non-negative integers, got '${s}'`, { field: '--ids' });
  return ids;
}

function num(name: string, v: string | undefined, int = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n))) throw new InputError(`${name} must be ${int ? 'an integer' : 'a number'}, got '${v}'`, { field: name });
  return n;
}

interface GenerateFlags { model: string; prompt?: string; ids?: string; maxTokens?: string; temperature?: string; topP?: string; topK?: string; repetitionPenalty?: string; stop?: string[]; seed?: string }

/** Add `transformer` and its subcommands to `program`. */
export function register(program: Command): void {
  const tr = program.command('transformer').description('GPT-2 / BERT / T5 / LLaMA from Hugging Face folders: generate, logits, export-onnx, info');

  commandAction(
    tr.command('generate').description('continue a prompt with a GPT-2 or LLaMA folder')
      .requiredOption('--model <dir>', 'HF model folder (config.json + model.safetensors)')
      .option('--prompt <text>', 'prompt text (needs the tokenizer)')
      .option('--ids <ids>', 'prompt token ids, comma-separated')
      .option('--max-tokens <n>', 'new tokens at most', '32')
      .option('--temperature <t>', '0 = greedy', '1')
      .option('--top-p <p>', 'nucleus mass')
      .option('--top-k <k>', 'keep the k most likely tokens')
      .option('--repetition-penalty <r>', 'HF repetition penalty')
      .option('--stop <s...>', 'stop strings')
      .option('--seed <s>', 'sampling seed', '0'),
    async (cmd: Command) => {
      const o = cmd.opts<GenerateFlags>();
      if ((o.prompt === undefined) === (o.ids === undefined)) throw new InputError('give exactly one of --prompt or --ids', { field: '--prompt' });
      const { initBackend } = await import('@llm/core');
      await initBackend();
      const opts = {
        maxTokens: num('--max-tokens', o.maxTokens, true), temperature: num('--temperature', o.temperature), topP: num('--top-p', o.topP),
        topK: num('--top-k', o.topK, true), repetitionPenalty: num('--repetition-penalty', o.repetitionPenalty), seed: num('--seed', o.seed, true), stop: o.stop,
      };
      if (o.prompt !== undefined) {
        const { loadLanguageModel } = await import('./load.js');
        const lm = await loadLanguageModel(o.model);
        try {
          const r = await lm.generate(o.prompt, opts);
          return { json: { model: o.model, prompt: o.prompt, text: r.text, tokens: r.tokens, finishReason: r.finishReason, usage: r.usage }, human: o.prompt + r.text };
        } finally {
          lm.model.dispose();
        }
      }
      const { loadCausalLM } = await import('./hub.js');
      const { generateIds } = await import('./generate.js');
      const model = await loadCausalLM(o.model);
      try {
        const prompt = parseIds(o.ids!);
        for (const id of prompt) if (id >= model.vocabSize) throw new InputError(`token id ${id} is outside the vocabulary (vocab_size ${model.vocabSize})`, { field: '--ids' });
        const tokens: number[] = [];
        const it = generateIds(model, prompt, opts);
        let r = await it.next();
        while (!r.done) { tokens.push(r.value); r = await it.next(); }
        return { json: { model: o.model, ids: prompt, tokens, finishReason: r.value }, human: tokens.join(',') };
      } finally {
        model.dispose();
      }
    },
  );

  commandAction(
    tr.command('logits').description('next-token logits after a text or ids')
      .requiredOption('--model <dir>', 'HF model folder')
      .option('--text <text>', 'input text (needs the tokenizer)')
      .option('--ids <ids>', 'input token ids, comma-separated'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; text?: string; ids?: string }>();
      if ((o.text === undefined) === (o.ids === undefined)) throw new InputError('give exactly one of --text or --ids', { field: '--text' });
      const { initBackend } = await import('@llm/core');
      await initBackend();
      const { loadCausalLM } = await import('./hub.js');
      const { nextTokenLogits } = await import('./generate.js');
      const { loadTokenizer } = await import('./load.js');
      const model = await loadCausalLM(o.model);
      try {
        const ids = o.ids !== undefined ? parseIds(o.ids) : (await loadTokenizer(o.model)).encode(o.text!).ids;
        const logits = await nextTokenLogits(model, ids);
        const top10 = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!).slice(0, 10).map((i) => [i, logits[i]!] as [number, number]);
        return { json: { ids, logits: Array.from(logits), top10 }, human: ['id  logit', ...top10.map(([i, l]) => `${i}  ${l.toFixed(4)}`)] };
      } finally {
        model.dispose();
      }
    },
  );

  commandAction(
    tr.command('export-onnx').description('export a GPT-2 or BERT folder to OUT/onnx/model.onnx (opset 17, no KV-cache inputs)')
      .requiredOption('--model <dir>', 'HF model folder')
      .requiredOption('--out <dir>', 'output folder (config.json and onnx/model.onnx are written there)'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; out: string }>();
      const { initBackend, ConfigError } = await import('@llm/core');
      await initBackend();
      const { loadPretrained } = await import('./hub.js');
      const { Gpt2 } = await import('./models/gpt2.js');
      const { Bert } = await import('./models/bert.js');
      const { exportOnnx } = await import('./onnx/export.js');
      const m = await loadPretrained(o.model);
      try {
        if (!(m instanceof Gpt2) && !(m instanceof Bert)) throw new ConfigError(`ONNX export supports gpt2 and bert, not '${m.modelType}'`, { file: o.model, field: 'model_type' });
        const files = await exportOnnx(m, o.out);
        return { json: { model: o.model, out: o.out, files }, human: files.map((f) => `wrote ${f}`) };
      } finally {
        m.dispose();
      }
    },
  );

  commandAction(
    tr.command('info').description('architecture, parameter count and context length of a model folder')
      .requiredOption('--model <dir>', 'HF model folder'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string }>();
      const { readHfConfig } = await import('./checkpoint.js');
      const { modelFromHfConfig } = await import('./hub.js');
      const { config, file } = await readHfConfig(o.model);
      const m = modelFromHfConfig(config, file);
      const json = { model: o.model, modelType: m.modelType, architectures: config.architectures ?? null, parameters: m.parameterCount(), config: m.config };
      return { json, human: `${m.modelType}: ${m.parameterCount().toLocaleString('en-US')} parameters` };
    },
  );
}
