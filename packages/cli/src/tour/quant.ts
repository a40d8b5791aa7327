import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted, writeJsonAtomic } from '@llm/core';
import { convertHfLlama, GGUFFile, llamaForward, loadGGUF, softmax, weightsFromGGUF, writeTinyLlama, type ConvertType } from '@llm/quant';
import type { TourStep } from './types.js';

interface QuantRow { type: string; bytes: number; bitsPerWeight: number; maxProbDiff: number; tokensPerSecond: number }

/**
 * Level 3: quantization. Writes a tiny seeded LLaMA in HF layout, converts it to GGUF in
 * F32/Q8_0/Q4_0/Q4_K_M with this project's own ggml quantizers, runs each file in llama.cpp
 * (node-llama-cpp, 2 threads) and compares llama.cpp's next-token probabilities with a TypeScript
 * forward pass on the weights the file holds.
 */
export const quantStep: TourStep = {
  id: 'quant',
  level: 3,
  title: 'quantization: GGUF files that llama.cpp runs',
  async run(ctx) {
    const dir = join(ctx.artifactsDir, 'quant');
    const out = join(dir, 'table.json');
    let rows: QuantRow[];
    let cached = false;
    if (!ctx.fresh && existsSync(out)) {
      rows = JSON.parse(await readFile(out, 'utf8')) as QuantRow[];
      cached = true;
    } else {
      const model = join(dir, 'tiny-llama');
      const { config } = await writeTinyLlama(model);
      rows = [];
      for (const type of ['F32', 'Q8_0', 'Q4_0', 'Q4_K_M'] as ConvertType[]) {
        throwIfAborted(ctx.signal);
        const file = join(dir, `tiny-${type.toLowerCase()}.gguf`);
        const rep = await convertHfLlama(model, file, { type, signal: ctx.signal });
        const m = await loadGGUF(file, { threads: 2, kvCacheType: 'F32' });
        try {
          const ids = [m.bos ?? 1, ...m.tokenize('It is a truth universally acknowledged')];
          const got = await m.probabilities(ids, ctx.signal);
          const f = await GGUFFile.open(file);
          const ref = llamaForward(config, await weightsFromGGUF(f, config), ids).map(softmax);
          await f.close();
          let d = 0;
          for (let i = 0; i < ids.length; i++) for (let v = 0; v < config.vocab_size; v++) d = Math.max(d, Math.abs(got[i]![v]! - ref[i]![v]!));
          const g = await m.greedy(ids, 16);
          rows.push({ type, bytes: rep.bytes, bitsPerWeight: rep.bitsPerWeight, maxProbDiff: d, tokensPerSecond: g.tokensPerSecond });
          ctx.log(`${type}: ${(rep.bytes / 1e6).toFixed(2)} MB, ${rep.bitsPerWeight.toFixed(2)} bits/weight, llama.cpp vs our forward max |Δp| ${d.toExponential(2)}, ${g.tokensPerSecond.toFixed(0)} tokens/s`);
        } finally {
          await m.dispose();
        }
      }
      await writeJsonAtomic(out, rows);
    }
    const metrics: Record<string, number> = {};
    for (const r of rows) {
      metrics[`${r.type}_bpw`] = Number(r.bitsPerWeight.toFixed(3));
      metrics[`${r.type}_max_dp`] = r.maxProbDiff;
      metrics[`${r.type}_tok_s`] = Math.round(r.tokensPerSecond);
    }
    const f32 = rows.find((r) => r.type === 'F32');
    return {
      summary: `${rows.length} GGUF types run in llama.cpp; F32 matches our forward pass to ${f32 ? f32.maxProbDiff.toExponential(1) : '?'}; Q4_0 is ${rows.find((r) => r.type === 'Q4_0')?.bitsPerWeight.toFixed(2)} bits/weight`,
      metrics,
      artifacts: [out, ...rows.map((r) => join(dir, `tiny-${r.type.toLowerCase()}.gguf`))],
      cached,
    };
  },
};
