import type { Command } from 'commander';
import { commandAction, ConfigError, formatTable, initBackend } from '@llm/core';

/** `llm lora train | merge | info`. */
export function register(program: Command): void {
  const lora = program.command('lora').description('LoRA, QLoRA and prompt tuning with PEFT-compatible adapter folders');

  commandAction(
    lora.command('train').description('fine-tune a GPT-2/LLaMA folder on JSONL data ({"prompt","completion"} or {"text"} per line)')
      .requiredOption('--base <dir>', 'HF-layout model folder (config.json, model.safetensors, tokenizer.json)')
      .requiredOption('--data <file>', 'training data, JSONL')
      .option('--method <m>', 'lora | qlora | prompt | prefix | full', 'lora')
      .option('--r <n>', 'LoRA rank', '8')
      .option('--alpha <n>', 'LoRA alpha (scaling alpha/r)', '16')
      .option('--dropout <p>', 'LoRA dropout', '0.05')
      .option('--targets <names>', "comma-separated target modules (default PEFT's: q_proj,v_proj for LLaMA, c_attn for GPT-2)")
      .option('--virtual-tokens <n>', 'prompt/prefix tuning: number of virtual tokens', '16')
      .option('--init-text <text>', 'prompt tuning: initialise from this text')
      .option('--epochs <n>', 'epochs', '3')
      .option('--batch-size <n>', 'examples per step', '8')
      .option('--lr <x>', 'learning rate (default by method)')
      .option('--seed <n>', 'seed', '0')
      .requiredOption('--out <dir>', 'output folder: adapter/ (or model/), metrics.jsonl, loss.svg, summary.json'),
    async (cmd: Command) => {
      const o = cmd.opts<{ base: string; data: string; method: string; r: string; alpha: string; dropout: string; targets?: string; virtualTokens: string; initText?: string; epochs: string; batchSize: string; lr?: string; seed: string; out: string }>();
      if (!['lora', 'qlora', 'prompt', 'prefix', 'full'].includes(o.method)) throw new ConfigError(`--method must be lora, qlora, prompt, prefix or full, got '${o.method}'`);
      await initBackend();
      const { loadCausalLM, loadTokenizer } = await import('@llm/transformer');
      const { readTrainingData } = await import('./data.js');
      const { fineTune } = await import('./finetune.js');
      const examples = await readTrainingData(o.data);
      const model = await loadCausalLM(o.base);
      const tokenizer = await loadTokenizer(o.base);
      const controller = new AbortController();
      const onSigint = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSigint);
      try {
        const r = await fineTune(model, tokenizer, examples, {
          method: o.method as 'lora', r: Number(o.r), alpha: Number(o.alpha), dropout: Number(o.dropout), targets: o.targets?.split(','), baseModelNameOrPath: o.base,
          numVirtualTokens: Number(o.virtualTokens), initText: o.initText, epochs: Number(o.epochs), batchSize: Number(o.batchSize),
          lr: o.lr === undefined ? undefined : Number(o.lr), seed: Number(o.seed), out: o.out, signal: controller.signal,
        });
        const m = r.memory;
        return {
          json: { method: r.method, steps: r.losses.length, firstLoss: r.losses[0], lastLoss: r.losses[r.losses.length - 1], memory: m, seconds: r.seconds, out: o.out },
          human: [
            `${r.method}: ${r.losses.length} steps in ${r.seconds.toFixed(1)} s, loss ${r.losses[0]!.toFixed(3)} → ${r.losses[r.losses.length - 1]!.toFixed(3)}`,
            `trainable ${m.trainableParameters.toLocaleString()} of ${m.totalParameters.toLocaleString()} parameters (${((100 * m.trainableParameters) / m.totalParameters).toFixed(2)}%)`,
            `memory: base ${(m.base / 1e6).toFixed(2)} MB, trainable ${(m.trainable / 1e6).toFixed(2)} MB, optimizer ${(m.optimizerState / 1e6).toFixed(2)} MB`,
            `written to ${o.out}`,
          ],
        };
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    },
  );

  commandAction(
    lora.command('merge').description('fold a LoRA adapter into its base and save a plain HF folder')
      .requiredOption('--base <dir>', 'base model folder')
      .requiredOption('--adapter <dir>', 'PEFT adapter folder')
      .requiredOption('--out <dir>', 'output model folder'),
    async (cmd: Command) => {
      const o = cmd.opts<{ base: string; adapter: string; out: string }>();
      await initBackend();
      const { loadCausalLM } = await import('@llm/transformer');
      const { LoraAdapters } = await import('./adapters.js');
      const model = await loadCausalLM(o.base);
      const adapters = new LoraAdapters(model);
      await adapters.load(o.adapter);
      adapters.merge();
      model.linearHook = undefined;
      const files = await model.save(o.out);
      return { json: { out: o.out, files }, human: `merged ${o.adapter} into ${o.base} → ${o.out}` };
    },
  );

  commandAction(
    lora.command('info').description('an adapter folder: config, trainable parameters, tensor names').requiredOption('--adapter <dir>', 'PEFT adapter folder'),
    async (cmd: Command) => {
      const { loadAdapter, loraTensorName } = await import('./peft.js');
      const { loraParameterCount } = await import('./math.js');
      const a = await loadAdapter(cmd.opts<{ adapter: string }>().adapter);
      const tensors = [...a.lora.entries()].map(([m, p]) => ({ module: m, r: p.r, in: p.inFeatures, out: p.outFeatures }));
      const params = a.promptEmbeddings ? a.promptEmbeddings.data.length : loraParameterCount(a.lora.values());
      const tensorNames = a.promptEmbeddings
        ? [{ name: 'prompt_embeddings', shape: a.promptEmbeddings.shape }]
        : [...a.lora.entries()].flatMap(([m, p]) => [{ name: loraTensorName(m, 'A'), shape: [p.r, p.inFeatures] }, { name: loraTensorName(m, 'B'), shape: [p.outFeatures, p.r] }]);
      return {
        json: { config: a.config, trainableParameters: params, modules: tensors, tensors: tensorNames },
        human: [`${a.config.peft_type} (${a.config.task_type}), ${params.toLocaleString()} trainable parameters`, tensors.length ? formatTable(['module', 'r', 'in', 'out'], tensors.map((t) => [t.module, t.r, t.in, t.out])) : `${a.config.peft_type === 'PREFIX_TUNING' ? 'prefix (per-layer keys and values)' : 'soft prompt'} ${a.promptEmbeddings!.shape.join('×')}`, ...tensorNames.map((t) => `${t.name} [${t.shape.join(', ')}]`)],
      };
    },
  );
}
