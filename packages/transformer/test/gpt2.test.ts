import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llm/core';
import { loadPretrained, Gpt2 } from '../src/index.js';
import { FIXTURES, maxAbsDiff, reference, type RefTensor } from './helpers.js';

beforeAll(async () => { await initBackend(); });

describe('GPT-2 against the PyTorch reference', () => {
  it('matches logits and hidden states within 1e-4', async () => {
    const model = await loadPretrained(join(FIXTURES, 'gpt2'));
    expect(model).toBeInstanceOf(Gpt2);
    const ref = reference('gpt2');
    const ids = ref.input_ids as number[][];
    const gpt = model as Gpt2;
    const logits = gpt.forward(ids);
    expect(logits.shape).toEqual((ref.logits as RefTensor).shape);
    expect(maxAbsDiff(logits.dataSync(), ref.logits as RefTensor)).toBeLessThan(1e-4);
    const hidden = gpt.hiddenStates(ids);
    expect(maxAbsDiff(hidden.dataSync(), ref.last_hidden_state as RefTensor)).toBeLessThan(1e-4);
    tf.dispose([logits, hidden]);
    gpt.dispose();
  });
});
