import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../backend/tf.js';
import { initBackend } from '../backend/select.js';
import { loadTensors, safeToTensor, saveTensors, tensorToSafe } from './tensors.js';

describe('tfjs ↔ safetensors', () => {
  it('round-trips float32 exactly and bf16/f16 approximately, ints as int32', async () => {
    await initBackend();
    const dir = mkdtempSync(join(tmpdir(), 'llm-tensors-'));
    const w = tf.tensor2d([[0.1, -0.2], [3, 1e-3]]);
    const ids = tf.tensor1d([1, -5, 7], 'int32');
    await saveTensors(join(dir, 'a.safetensors'), { w, ids }, { metadata: { format: 'pt' } });
    const back = await loadTensors(join(dir, 'a.safetensors'));
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(Array.from(back.tensors.w!.dataSync())).toEqual(Array.from(w.dataSync()));
    expect(back.tensors.ids!.dtype).toBe('int32');
    expect(Array.from(back.tensors.ids!.dataSync())).toEqual([1, -5, 7]);
    const bf = safeToTensor(tensorToSafe(w, 'BF16'));
    Array.from(bf.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(w.dataSync()[i]!, 2));
    expect(tensorToSafe(w, 'F16').dtype).toBe('F16');
    expect(() => safeToTensor({ dtype: 'I64', shape: [1], data: new BigInt64Array([2n ** 40n]) })).toThrow(/does not fit in int32/);
  });
});
