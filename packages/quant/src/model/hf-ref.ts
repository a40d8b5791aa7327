/**
 * Perplexity of an HF folder (llama or gpt2) from this package's float64 reference forward pass,
 * with llama.cpp's tokenization of the text (read from a temporary F32 GGUF of the same folder):
 * the float baseline the quantized GGUFs' perplexities are compared with.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, InputError, SafetensorsFile, toFloat32 } from '@llm/core';
import { convertHf } from '../convert/hf-gpt2.js';
import { readHfGpt2Config } from '../convert/hf-gpt2.js';
import { readHfLlamaConfig } from '../convert/hf-llama.js';
import { loadGGUF } from '../run/llama-cpp.js';
import { perplexityWindows } from '../run/windows.js';
import { gpt2Forward } from './gpt2-ref.js';
import { llamaForward, softmax, type LlamaWeights } from './llama-ref.js';

/** Float weights of an HF folder by HF name (GPT-2's `transformer.` prefix dropped). */
export async function readHfWeights(dir: string): Promise<LlamaWeights> {
  const path = join(dir, 'model.safetensors');
  const f = await SafetensorsFile.open(path);
  const w: LlamaWeights = new Map();
  try {
    for (const name of f.names) {
      const t = await f.read(name);
      if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) throw new FormatError('safetensors', `tensor '${name}' has dtype ${t.dtype}`, { file: path, field: name });
      w.set(name.replace(/^transformer\./, ''), toFloat32(t.dtype, t.data as Parameters<typeof toFloat32>[1]));
    }
  } finally {
    await f.close();
  }
  return w;
}

/**
 * Perplexity of `text` (first `maxTokens` tokens, llama.cpp's tokenization) under the HF model in
 * `dir`, computed in TypeScript, in windows of the context length (or `window`) as the GGUF path does.
 */
export async function referencePerplexity(dir: string, text: string, options: { maxTokens?: number; threads?: number; window?: number } = {}): Promise<{ ppl: number; tokens: number; architecture: string }> {
  const tmp = mkdtempSync(join(tmpdir(), 'quant-ppl-'));
  try {
    const rep = await convertHf(dir, join(tmp, 'f32.gguf'), { type: 'F32' });
    const m = await loadGGUF(join(tmp, 'f32.gguf'), { threads: options.threads ?? 1 });
    let windows: number[][];
    try {
      const ids = m.tokenize(text).slice(0, options.maxTokens ?? 256);
      windows = perplexityWindows(ids, Math.min(options.window ?? m.contextLength - 1, m.contextLength - 1), rep.architecture === 'llama' ? m.bos : undefined);
    } finally {
      await m.dispose();
    }
    if (windows.length === 0) throw new InputError('too little text to score', { field: 'text' });
    const w = await readHfWeights(dir);
    const cfgG = rep.architecture === 'gpt2' ? await readHfGpt2Config(dir) : undefined;
    const cfgL = rep.architecture === 'llama' ? await readHfLlamaConfig(dir) : undefined;
    let nll = 0, tokens = 0;
    for (const ids of windows) {
      const logits = cfgG ? gpt2Forward(cfgG, w, ids) : llamaForward(cfgL!, w, ids);
      for (let i = 0; i + 1 < ids.length; i++) nll -= Math.log(Math.max(softmax(logits[i]!)[ids[i + 1]!]!, 1e-300));
      tokens += ids.length - 1;
    }
    return { ppl: Math.exp(nll / tokens), tokens, architecture: rep.architecture };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
