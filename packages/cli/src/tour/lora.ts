import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatTable } from '@llm/core';
import { compareFineTuning, faqInstructions } from '@llm/lora';
import type { TourStep } from './types.js';

/**
 * Level 3: parameter-efficient fine-tuning. Takes the tour's Austen GPT (a LLaMA) as the base and
 * fine-tunes it on FAQ question→answer pairs four ways — all weights, LoRA, QLoRA (NF4 base) and
 * prompt tuning — reporting trainable parameters, measured memory and the loss before and after.
 */
export const loraStep: TourStep = {
  id: 'lora',
  level: 3,
  title: 'LoRA, QLoRA and prompt tuning of the Austen GPT on FAQ answers',
  async run(ctx) {
    const base = join(ctx.artifactsDir, 'gpt-austen');
    if (!existsSync(join(base, 'model.safetensors'))) {
      return { summary: 'skipped: no Austen GPT in the artifacts (run the gpt-austen step first)', metrics: {}, artifacts: [], cached: false };
    }
    const examples = await faqInstructions(ctx.fast ? 8 : 48);
    const compared = await compareFineTuning(base, examples, { outDir: join(ctx.artifactsDir, 'lora'), epochs: ctx.fast ? 1 : 3, batchSize: 8, r: 8, alpha: 16, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], numVirtualTokens: 8, maxLength: 96, seed: 1, signal: ctx.signal });
    const rows = compared.map((c) => [c.method, `${c.trainableParameters.toLocaleString()} (${((100 * c.trainableParameters) / c.totalParameters).toFixed(2)}%)`, `${(c.memory.total / 1e6).toFixed(2)} MB`, `${c.firstLoss.toFixed(3)} → ${c.lastLoss.toFixed(3)}`, `${c.seconds.toFixed(1)} s`]);
    const metrics: Record<string, number> = {};
    for (const c of compared) {
      metrics[`${c.method}TrainableFraction`] = c.trainableParameters / c.totalParameters;
      metrics[`${c.method}MemoryBytes`] = c.memory.total;
      metrics[`${c.method}FinalLoss`] = c.lastLoss;
    }
    ctx.log(formatTable(['method', 'trainable', 'memory', 'loss', 'time'], rows).split('\n').join('\n   '));
    const lora = rows.find((r) => r[0] === 'lora')!;
    return {
      summary: `${examples.length} FAQ answers; LoRA trains ${lora[1]} of the weights; losses and memory for full/LoRA/QLoRA/prompt in the report`,
      metrics,
      artifacts: [join(ctx.artifactsDir, 'lora')],
      cached: false,
    };
  },
};
