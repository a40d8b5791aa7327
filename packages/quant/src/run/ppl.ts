/**
 * Perplexity of GGUF files in llama.cpp, and the table llama.cpp prints for its quant types (file
 * size, bits per weight, perplexity change against F32) for one HF folder converted to several
 * types: the text is tokenized by llama.cpp, cut into windows of the model's context length (each
 * window evaluated from scratch, BOS first for LLaMA vocabularies, as llama.cpp's `perplexity` tool
 * evaluates chunks), and every token a window predicts is scored. The same windows go through this
 * package's float64 forward pass of the original weights, which gives the float baseline and the
 * largest next-token probability difference between llama.cpp on the F32 file and our forward pass.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProgress, InputError, throwIfAborted } from '@llm/core';
import { convertHf, readHfGpt2Config } from '../convert/hf-gpt2.js';
import { readHfLlamaConfig, type ConvertType } from '../convert/hf-llama.js';
import { gpt2Forward } from '../model/gpt2-ref.js';
import { readHfWeights } from '../model/hf-ref.js';
import { llamaForward, softmax } from '../model/llama-ref.js';
import { loadGGUF, type LlamaCppModel } from './llama-cpp.js';
import { perplexityWindows } from './windows.js';

export { perplexityWindows };

/** Options of {@link ggufPerplexity} and {@link perplexityTable}. */
export interface PerplexityOptions {
  /** Text tokens to score, from the start of the text (default 1024). */
  maxTokens?: number;
  /** Tokens per window including BOS (default and maximum: the loaded context length − 1). */
  window?: number;
  /** CPU threads for llama.cpp (default 2). */
  threads?: number;
  signal?: AbortSignal;
}

/** Perplexity over the scored tokens. */
export interface PerplexityResult {
  ppl: number;
  /** Tokens scored (predicted). */
  tokens: number;
  /** Windows evaluated. */
  windows: number;
}

function nllOf(probs: ArrayLike<number>[], win: readonly number[]): number {
  let nll = 0;
  for (let i = 0; i + 1 < win.length; i++) nll -= Math.log(Math.max(probs[i]![win[i + 1]!]!, 1e-30));
  return nll;
}

/** Tokenize `text` with the loaded model and cut it into scoring windows. */
function windowsFor(m: LlamaCppModel, text: string, bos: boolean, options: PerplexityOptions): number[][] {
  const ids = m.tokenize(text).slice(0, options.maxTokens ?? 1024);
  // A window filling the whole context makes node-llama-cpp's last position wrong (it makes room
  // for the next token): windows stop one short of the context.
  const windows = perplexityWindows(ids, Math.min(options.window ?? m.contextLength - 1, m.contextLength - 1), bos ? m.bos : undefined);
  if (windows.length === 0) throw new InputError('too little text to score', { field: 'text' });
  return windows;
}

/**
 * Perplexity of `text` under a loaded GGUF model (llama.cpp's next-token probabilities), scored in
 * windows of the context length. Returns the per-window probabilities too (for KL divergences).
 */
export async function ggufPerplexity(m: LlamaCppModel, text: string, options: PerplexityOptions & { windows?: number[][] } = {}): Promise<PerplexityResult & { probs: Float32Array[][]; windowIds: number[][] }> {
  const windows = options.windows ?? windowsFor(m, text, m.check.architecture === 'llama', options);
  let nll = 0, tokens = 0;
  const probs: Float32Array[][] = [];
  for (const w of windows) {
    throwIfAborted(options.signal);
    const p = await m.probabilities(w, options.signal);
    probs.push(p);
    nll += nllOf(p, w);
    tokens += w.length - 1;
  }
  return { ppl: Math.exp(nll / tokens), tokens, windows: windows.length, probs, windowIds: windows };
}

/** One row of {@link perplexityTable}. */
export interface PerplexityRow {
  type: ConvertType;
  /** Size of the GGUF file in bytes. */
  fileBytes: number;
  /** Tensor bits per weight (norms included). */
  bitsPerWeight: number;
  ppl: number;
  /** `ppl − ppl(F32)`. */
  deltaPpl: number;
  /** Mean KL divergence (nats) of this type's next-token distribution from F32's. */
  meanKl: number;
  /** Share of positions whose most likely next token equals F32's. */
  sameTop: number;
  /** How many tensors got each ggml type (norms are F32; rows that do not split into a k-quant's 256-element super-blocks fall back as in llama.cpp). */
  tensorTypes: Record<string, number>;
}

/** What {@link perplexityTable} measured. */
export interface PerplexityTable {
  architecture: string;
  tokens: number;
  windows: number;
  window: number;
  /** Perplexity of the original float weights under this package's float64 forward pass. */
  floatPpl: number;
  /** Largest |p_llama.cpp(F32 GGUF) − p_ours| over every scored position and vocabulary entry. */
  f32MaxAbsDiff: number;
  rows: PerplexityRow[];
}

/**
 * Convert the HF folder `dir` to each of `types` (F32 always first), evaluate each file in
 * llama.cpp on `text` (F32 KV cache, flash attention off) and tabulate size, bits per weight,
 * perplexity, its change from F32, and the mean KL divergence from F32.
 */
export async function perplexityTable(dir: string, text: string, types: readonly ConvertType[], options: PerplexityOptions & { workDir?: string } = {}): Promise<PerplexityTable> {
  const tmp = options.workDir ?? mkdtempSync(join(tmpdir(), 'quant-ppl-'));
  const order: ConvertType[] = ['F32', ...types.filter((t) => t !== 'F32')];
  const progress = createProgress({ label: 'quant ppl', total: order.length + 1, unit: 'models' });
  try {
    const rows: PerplexityRow[] = [];
    let base: { ppl: number; probs: Float32Array[][] } | undefined;
    let windows: number[][] = [];
    let architecture = 'llama';
    let f32MaxAbsDiff = 0;
    let floatPpl = 0;
    let window = 0;
    for (const type of order) {
      throwIfAborted(options.signal);
      const file = join(tmp, `model-${type}.gguf`);
      const rep = await convertHf(dir, file, { type, signal: options.signal });
      architecture = rep.architecture;
      const m = await loadGGUF(file, { threads: options.threads ?? 2, kvCacheType: 'F32' });
      let r: Awaited<ReturnType<typeof ggufPerplexity>>;
      try {
        if (!base) {
          windows = windowsFor(m, text, architecture === 'llama', options);
          window = Math.max(...windows.map((x) => x.length));
        }
        r = await ggufPerplexity(m, text, { ...options, windows });
      } finally {
        await m.dispose();
      }
      if (!base) {
        base = r;
        // Our float64 forward pass of the original weights on the same windows.
        const w = await readHfWeights(dir);
        const cfgL = architecture === 'llama' ? await readHfLlamaConfig(dir) : undefined;
        const cfgG = architecture === 'gpt2' ? await readHfGpt2Config(dir) : undefined;
        let nll = 0;
        windows.forEach((ids, k) => {
          throwIfAborted(options.signal);
          const logits = cfgL ? llamaForward(cfgL, w, ids) : gpt2Forward(cfgG!, w, ids, { ggmlGelu: true });
          const ours = logits.map(softmax);
          nll += nllOf(ours, ids);
          const got = r.probs[k]!;
          for (let i = 0; i < ids.length; i++) for (let v = 0; v < ours[i]!.length; v++) f32MaxAbsDiff = Math.max(f32MaxAbsDiff, Math.abs(got[i]![v]! - ours[i]![v]!));
        });
        floatPpl = Math.exp(nll / r.tokens);
        progress.tick();
      }
      let kl = 0, same = 0;
      r.probs.forEach((pw, k) => {
        const bw = base!.probs[k]!;
        for (let i = 0; i + 1 < windows[k]!.length; i++) {
          const p = bw[i]!, q = pw[i]!;
          let s = 0, ap = 0, aq = 0;
          for (let v = 0; v < p.length; v++) {
            if (p[v]! > 0) s += p[v]! * Math.log(p[v]! / Math.max(q[v]!, 1e-30));
            if (p[v]! > p[ap]!) ap = v;
            if (q[v]! > q[aq]!) aq = v;
          }
          kl += s;
          if (ap === aq) same++;
        }
      });
      const tensorTypes: Record<string, number> = {};
      for (const t of rep.tensors) tensorTypes[t.type] = (tensorTypes[t.type] ?? 0) + 1;
      rows.push({ tensorTypes, type, fileBytes: statSync(file).size, bitsPerWeight: rep.bitsPerWeight, ppl: r.ppl, deltaPpl: r.ppl - base.ppl, meanKl: kl / r.tokens, sameTop: same / r.tokens });
      rmSync(file, { force: true });
      progress.tick();
    }
    return { architecture, tokens: windows.reduce((a, w) => a + w.length - 1, 0), windows: windows.length, window, floatPpl, f32MaxAbsDiff, rows };
  } finally {
    progress.done();
    if (!options.workDir) rmSync(tmp, { recursive: true, force: true });
  }
}
