import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertHf, GGUFFile, gpt2Forward, gpt2WeightsFromGGUF, loadGGUF, softmax, validateForLlamaCpp, writeTinyGpt2, type HfGpt2Config, type LlamaCppModel, type LlamaWeights } from '../src/index.js';

let dir: string;
let config: HfGpt2Config;
let weights: LlamaWeights;
const loaded: LlamaCppModel[] = [];
beforeAll(async () => { dir = mkdtempSync(join(tmpdir(), 'quant-gpt2-')); ({ config, weights } = await writeTinyGpt2(dir)); });
afterAll(async () => { for (const m of loaded) await m.dispose(); });

const maxDiff = (a: ArrayLike<number>[], b: ArrayLike<number>[]) => { let d = 0; for (let i = 0; i < a.length; i++) for (let v = 0; v < a[i]!.length; v++) d = Math.max(d, Math.abs(a[i]![v]! - b[i]![v]!)); return d; };

describe('HF GPT-2 → GGUF (gpt2 architecture, byte-level BPE vocab) runs in llama.cpp', () => {
  it('F32: llama.cpp probabilities equal our GPT-2 forward pass; the gpt2 vocab tokenizes', async () => {
    const out = join(dir, 'g-f32.gguf');
    const rep = await convertHf(dir, out, { type: 'F32' });
    expect(rep.architecture).toBe('gpt2');
    const f = await GGUFFile.open(out);
    expect(validateForLlamaCpp(f.header).tokenizerModel).toBe('gpt2');
    await f.close();
    const m = await loadGGUF(out, { threads: 1, kvCacheType: 'F32' });
    loaded.push(m);
    const ids = m.tokenize(' the cat was in the house and she said');
    expect(ids).toContain(258); // 'Ġthe' = third merge (ids 256.. are merges)
    expect(m.detokenize(ids)).toBe(' the cat was in the house and she said');
    const got = await m.probabilities(ids);
    const ref = gpt2Forward(config, weights, ids, { ggmlGelu: true }).map(softmax);
    // ≤ 1e-4 (measured 1.1e-5: tanhf vs Math.tanh can flip an F16 rounding of the GELU table).
    expect(maxDiff(got, ref)).toBeLessThanOrEqual(1e-4);
    const exactGelu = gpt2Forward(config, weights, ids).map(softmax);
    expect(maxDiff(got, exactGelu)).toBeLessThan(0.01);
  });

  it('Q8_0 and Q4_0 evaluate as our dequantized weights predict', async () => {
    for (const type of ['Q8_0', 'Q4_0'] as const) {
      const out = join(dir, `g-${type}.gguf`);
      await convertHf(dir, out, { type });
      const m = await loadGGUF(out, { threads: 1, kvCacheType: 'F32' });
      loaded.push(m);
      const ids = m.tokenize(' the cat was in the house');
      const got = await m.probabilities(ids);
      const f = await GGUFFile.open(out);
      const types = new Map<string, string>();
      const deq = await gpt2WeightsFromGGUF(f, config, types);
      await f.close();
      const refW = gpt2Forward(config, deq, ids, { ggmlGelu: true, types }).map(softmax);
      const refF = gpt2Forward(config, weights, ids, { ggmlGelu: true }).map(softmax);
      // Measured ~4e-7 (float32 rounding) once activations are rounded as llama.cpp does (Q8_0
      // blocks); the bound leaves room for a rare rounding-boundary flip on another CPU.
      expect(maxDiff(got, refW), type).toBeLessThan(5e-3);
      expect(maxDiff(got, refF), type).toBeGreaterThan(5 * maxDiff(got, refW));
    }
  });

  it('generate continues exactly as the greedy chain of its own probabilities (no BOS for a GPT-2 vocab)', async () => {
    const out = join(dir, 'g-f32.gguf');
    const m = await loadGGUF(out, { threads: 1, kvCacheType: 'F32' });
    loaded.push(m);
    const prompt = ' the cat was in the house and';
    const g = await m.generate(prompt, { maxTokens: 6 });
    const ids = m.tokenize(prompt);
    const chain: number[] = [];
    for (let i = 0; i < g.tokens.length; i++) {
      const p = (await m.probabilities([...ids, ...chain])).at(-1)!;
      let best = 0;
      for (let v = 1; v < p.length; v++) if (p[v]! > p[best]!) best = v;
      chain.push(best);
    }
    expect(g.tokens.length).toBeGreaterThan(0);
    expect(g.tokens).toEqual(chain);
  });

  it('applyChatTemplate renders the template\'s bos_token/eos_token as the vocabulary\'s strings', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: "{{ bos_token }}{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}" }));
    const out = join(dir, 'g-chat.gguf');
    await convertHf(dir, out, { type: 'F32' });
    const m = await loadGGUF(out, { threads: 1 });
    loaded.push(m);
    const special = m.detokenize([m.bos!], true);
    expect(special.length).toBeGreaterThan(3);
    const chat = m.applyChatTemplate([{ role: 'user', content: 'hi' }]);
    expect(chat.startsWith(`${special}[user] hi`)).toBe(true);
    expect(chat).not.toContain('BOS');
    expect(chat).not.toContain('EOS');
  });
});
