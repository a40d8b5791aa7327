import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toFloat32, type SafeDType } from './dtypes.js';
import { readSafetensors } from './safetensors.js';

/** Files written and read by the real `safetensors` library (fixtures/reference, see its README). */
const ref = (p: string) => fileURLToPath(new URL(`../../../../fixtures/reference/safetensors/${p}`, import.meta.url));
const decode = (_k: string, v: unknown) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : v);

interface Expected { dtype: string; shape: number[]; values: Array<number | string | boolean>; bits?: number[] }
const TORCH_TO_SAFE: Record<string, SafeDType> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F64', int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL' };

function asComparable(dtype: SafeDType, data: ArrayLike<number | bigint>): Array<number | string | boolean> {
  if (dtype === 'I64' || dtype === 'U64') return Array.from(data, (x) => String(x));
  if (dtype === 'BOOL') return Array.from(data, (x) => x !== 0);
  if (dtype === 'F16' || dtype === 'BF16') return Array.from(toFloat32(dtype, data as Uint16Array));
  return Array.from(data, Number);
}

describe('safetensors: the real library', () => {
  it('wrote a file @llm/core reads exactly, every dtype', async () => {
    const expected = JSON.parse(readFileSync(ref('real.json'), 'utf8'), decode) as { metadata: Record<string, string>; tensors: Record<string, Expected> };
    const { tensors, metadata } = await readSafetensors(ref('real.safetensors'));
    expect(metadata).toEqual(expected.metadata);
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, e] of Object.entries(expected.tensors)) {
      const t = tensors.get(name)!;
      expect(t.dtype).toBe(TORCH_TO_SAFE[e.dtype]);
      expect(t.shape).toEqual(e.shape);
      if (e.bits) expect(Array.from(t.data as Uint16Array)).toEqual(e.bits);
      const got = asComparable(t.dtype, t.data as ArrayLike<number | bigint>);
      if (t.dtype === 'F32') got.forEach((v, i) => expect(v).toBeCloseTo(e.values[i] as number, 6));
      else expect(got).toEqual(e.values);
    }
  });

  it('read the file @llm/core wrote and saw what we wrote', async () => {
    const seen = JSON.parse(readFileSync(ref('ours-read-by-safetensors.json'), 'utf8'), decode) as { metadata: Record<string, string>; tensors: Record<string, Expected> };
    const ours = await readSafetensors(fileURLToPath(new URL('../../../../tools/device/in/ours.safetensors', import.meta.url)));
    expect(seen.metadata).toEqual(ours.metadata);
    for (const [name, t] of ours.tensors) {
      const e = seen.tensors[name]!;
      expect(TORCH_TO_SAFE[e.dtype]).toBe(t.dtype);
      expect(e.shape).toEqual(t.shape);
      const mine = asComparable(t.dtype, t.data as ArrayLike<number | bigint>);
      if (t.dtype === 'F32') mine.forEach((v, i) => expect(v).toBeCloseTo(e.values[i] as number, 6));
      else expect(mine).toEqual(e.values);
    }
  });
});
