import { join } from 'node:path';
import { readSafetensors, type Encoding, type Tokenizer } from '@llm/core';

/** Largest absolute difference between two equally long arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A golden fixture folder's `expected.safetensors`: its tensors and the model inputs in its metadata. */
export async function loadExpected(dir: string): Promise<{ expected: Map<string, Float32Array>; ids: number[][]; mask: number[][] }> {
  const ref = await readSafetensors(join(dir, 'expected.safetensors'));
  const inputs = JSON.parse(ref.metadata.inputs!) as { input_ids: number[][]; attention_mask?: number[][] };
  return {
    expected: new Map([...ref.tensors].map(([k, v]) => [k, v.data as Float32Array])),
    ids: inputs.input_ids,
    mask: inputs.attention_mask ?? inputs.input_ids.map((r) => r.map(() => 1)),
  };
}

/** Test tokenizer: one id per character (2..95), enough to exercise the training and decoding paths. */
export const chars: Tokenizer = {
  vocabSize: 96,
  specialTokens: {},
  encode(text: string): Encoding {
    const ids = [...text].map((c) => 2 + (c.codePointAt(0)! % 94));
    return { ids, tokens: [...text], offsets: ids.map((_, i) => [i, i + 1]), typeIds: ids.map(() => 0), attentionMask: ids.map(() => 1), specialTokensMask: ids.map(() => 0) };
  },
  decode: (ids) => Array.from(ids, (i) => String.fromCharCode(94 + i - 2)).join(''),
  tokenToId: () => undefined,
  idToToken: () => undefined,
};
