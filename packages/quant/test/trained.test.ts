// The F32 proof on TRAINED weights (not seeded random ones): a small Austen GPT (LLaMA
// architecture, @llm/transformer's trainAustenGpt, char vocabulary) trained for a few dozen steps
// on part of the bundled novels, saved in HF layout, converted to GGUF and scored on held-out
// Austen text: llama.cpp's next-token probabilities on the F32 file equal our float64 forward pass
// of the saved weights (≤ 1e-4), and the quant types order as llama.cpp's table does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, loadText } from '@llm/core';
import { saveAustenGpt, splitTextTail, trainAustenGpt } from '@llm/transformer';
import { describe, expect, it } from 'vitest';
import { perplexityTable } from '../src/index.js';

describe('a trained Austen GPT in llama.cpp', () => {
  it('F32 GGUF probabilities equal our forward pass on held-out text; Q8_0 ≈ lossless, Q4_0 loses most', async () => {
    await initBackend();
    const text = (await loadText('austen', 'persuasion')).slice(0, 120_000);
    const g = await trainAustenGpt({ text, tokenizer: 'char', context: 48, hiddenSize: 64, layers: 2, heads: 4, steps: 40, batchSize: 8, evalWindows: 4, evalEvery: 40, lr: 5e-3, seed: 1 });
    // It learnt something: validation perplexity per character well below the 257-symbol uniform one.
    expect(g.meta.valPerplexity).toBeLessThan(40);
    const dir = join(mkdtempSync(join(tmpdir(), 'quant-trained-')), 'austen');
    await saveAustenGpt(dir, g);
    g.model.dispose();
    const heldOut = splitTextTail(text).val;
    const t = await perplexityTable(dir, heldOut, ['Q8_0', 'Q4_0'], { maxTokens: 150, threads: 1 });
    expect(t.architecture).toBe('llama');
    expect(t.windows).toBeGreaterThanOrEqual(3);
    expect(t.f32MaxAbsDiff).toBeLessThanOrEqual(1e-4);
    const [f32, q8, q4] = t.rows;
    expect(Math.abs(Math.log(t.floatPpl) - Math.log(f32!.ppl))).toBeLessThan(1e-4);
    expect(f32!.ppl).toBeLessThan(40);
    expect(q8!.meanKl).toBeLessThan(q4!.meanKl);
    expect(Math.abs(q8!.deltaPpl) / f32!.ppl).toBeLessThan(0.02);
  }, 120_000);
});
