import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { datasetFiles, formatTable, initBackend, readJson } from '@llm/core';
import { loadCausalLM, loadTokenizer, type Llama } from '@llm/transformer';
import { fineTune, type FineTuneMethod, type TrainingExample } from '@llm/lora';
import type { TourStep } from './types.js';

/** FAQ question → the first answer, as instruction data (from the bundled SQuAD-layout FAQ set). */
async function faqInstructions(limit: number): Promise<TrainingExample[]> {
  const squad = (await readJson(datasetFiles('faq-squad', 'train')[0]!)) as { data: Array<{ paragraphs: Array<{ qas: Array<{ question: string; answers: Array<{ text: string }> }> }> }> };
  const out: TrainingExample[] = [];
  for (const a of squad.data) for (const p of a.paragraphs) for (const q of p.qas) if (q.answers[0] && out.length < limit) out.push({ prompt: `Question: ${q.question}\nAnswer:`, completion: ` ${q.answers[0].text}` });
  return out;
}

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
    await initBackend();
    const examples = await faqInstructions(ctx.fast ? 8 : 48);
    const tokenizer = await loadTokenizer(base);
    const rows: Array<[string, string, string, string, string]> = [];
    const metrics: Record<string, number> = {};
    for (const method of ['full', 'lora', 'qlora', 'prompt'] as FineTuneMethod[]) {
      const model = (await loadCausalLM(base)) as Llama;
      const out = join(ctx.artifactsDir, 'lora', method);
      const r = await fineTune(model, tokenizer, examples, { method, epochs: ctx.fast ? 1 : 3, batchSize: 8, r: 8, alpha: 16, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], numVirtualTokens: 8, maxLength: 96, seed: 1, out, signal: ctx.signal });
      const m = r.memory;
      rows.push([method, `${m.trainableParameters.toLocaleString()} (${((100 * m.trainableParameters) / m.totalParameters).toFixed(2)}%)`, `${(m.total / 1e6).toFixed(2)} MB`, `${r.losses[0]!.toFixed(3)} → ${r.losses[r.losses.length - 1]!.toFixed(3)}`, `${r.seconds.toFixed(1)} s`]);
      metrics[`${method}TrainableFraction`] = m.trainableParameters / m.totalParameters;
      metrics[`${method}MemoryBytes`] = m.total;
      metrics[`${method}FinalLoss`] = r.losses[r.losses.length - 1]!;
      r.lora?.dispose();
      r.prompt?.dispose();
      model.dispose();
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
