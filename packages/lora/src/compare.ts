import { initBackend, type Tokenizer } from '@llm/core';
import { loadCausalLM, loadTokenizer, type Llama } from '@llm/transformer';
import { join } from 'node:path';
import type { TrainingExample } from './data.js';
import { fineTune, type FineTuneMethod, type FineTuneOptions, type MemoryReport } from './finetune.js';

/** One row of {@link compareFineTuning}. */
export interface MethodComparison {
  method: FineTuneMethod;
  trainableParameters: number;
  totalParameters: number;
  memory: MemoryReport;
  firstLoss: number;
  lastLoss: number;
  seconds: number;
  /** Where the adapter (or model) and its loss curve were written. */
  out: string;
}

/**
 * The level-3 comparison: fine-tune the same base four ways (all weights, LoRA, QLoRA, prompt
 * tuning) on the same examples and report trainable parameters, memory and losses. Each method
 * starts from a fresh copy of the base folder.
 */
export async function compareFineTuning(
  baseDir: string,
  examples: readonly TrainingExample[],
  options: Omit<FineTuneOptions, 'method' | 'out'> & { outDir: string; methods?: readonly FineTuneMethod[]; tokenizer?: Tokenizer },
): Promise<MethodComparison[]> {
  await initBackend();
  const tokenizer = options.tokenizer ?? (await loadTokenizer(baseDir));
  const rows: MethodComparison[] = [];
  for (const method of options.methods ?? (['full', 'lora', 'qlora', 'prompt'] as const)) {
    const model = (await loadCausalLM(baseDir)) as Llama;
    const out = join(options.outDir, method);
    try {
      const r = await fineTune(model, tokenizer, examples, { ...options, method, out });
      rows.push({ method, trainableParameters: r.memory.trainableParameters, totalParameters: r.memory.totalParameters, memory: r.memory, firstLoss: r.losses[0]!, lastLoss: r.losses[r.losses.length - 1]!, seconds: r.seconds, out });
      r.lora?.dispose();
      r.prompt?.dispose();
      r.prefix?.dispose();
    } finally {
      model.dispose();
    }
  }
  return rows;
}
