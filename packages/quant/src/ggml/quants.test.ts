import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bitsPerWeight, dequantizeGGML, quantizeGGML, quantizedSize, type GGMLQuantType } from './quants.js';
import { tensorTypeFor } from '../convert/hf-llama.js';

interface Golden { n: number; input: string; types: Record<string, { blocks: string; dequant: string }> }
const golden = JSON.parse(gunzipSync(readFileSync(new URL('../../fixtures/ggml-ref.json.gz', import.meta.url))).toString('utf8')) as Golden;
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const input = new Float32Array(b64(golden.input).buffer);

describe('ggml block quantization is bit-exact with llama.cpp (libggml-base.so reference)', () => {
  for (const [type, ref] of Object.entries(golden.types)) {
    it(`${type}: quantize bytes and dequantized floats match`, () => {
      const q = quantizeGGML(type as GGMLQuantType, input);
      const want = b64(ref.blocks);
      expect(q.byteLength).toBe(want.byteLength);
      let firstDiff = -1;
      for (let i = 0; i < q.length; i++) if (q[i] !== want[i]) { firstDiff = i; break; }
      expect(firstDiff).toBe(-1);
      const y = dequantizeGGML(type as GGMLQuantType, want, golden.n);
      const wantY = new Float32Array(b64(ref.dequant).buffer);
      expect(Array.from(y)).toEqual(Array.from(wantY));
    });
  }

  it('covers every quant type the writer offers', () => {
    expect(Object.keys(golden.types).sort()).toEqual(['Q2_K', 'Q3_K', 'Q4_0', 'Q4_1', 'Q4_K', 'Q5_0', 'Q5_1', 'Q5_K', 'Q6_K', 'Q8_0']);
  });
});

describe('float types', () => {
  it('F32 round-trips exactly, F16/BF16 round to nearest even', () => {
    const x = new Float32Array([0, -0, 1, -2.5, 65504, 1e-8, 3.14159, 1 + 2 ** -11, 1 + 3 * 2 ** -11]);
    expect(Array.from(dequantizeGGML('F32', quantizeGGML('F32', x), x.length))).toEqual(Array.from(x));
    const h = dequantizeGGML('F16', quantizeGGML('F16', x), x.length);
    expect(h[7]).toBe(1); // tie to even
    expect(h[8]).toBe(1 + 2 * 2 ** -10);
    const b = dequantizeGGML('BF16', quantizeGGML('BF16', x), x.length);
    expect(b[2]).toBe(1);
    expect(Math.abs(b[6]! - 3.14159)).toBeLessThan(0.02);
  });

  it('sizes and bits per weight follow ggml', () => {
    expect(quantizedSize('Q4_0', 64)).toBe(36);
    expect(quantizedSize('Q6_K', 512)).toBe(420);
    expect(bitsPerWeight('Q4_K')).toBe(4.5);
    expect(bitsPerWeight('Q8_0')).toBe(8.5);
    expect(() => quantizedSize('Q4_K', 100)).toThrow(/multiple of the block size 256/);
  });
});

describe('Q4_K_M tensor policy', () => {
  it("upgrades attn_v/ffn_down of llama.cpp's use_more_bits layers (integer division) and output.weight to Q6_K", () => {
    const q6 = (n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => tensorTypeFor('Q4_K_M', `blk.${i}.attn_v.weight`, [256, 256], n) === 'Q6_K');
    expect(q6(2)).toEqual([1]);
    expect(q6(3)).toEqual([2]);
    expect(q6(32)).toEqual([0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
    expect(tensorTypeFor('Q4_K_M', 'blk.0.ffn_up.weight', [256, 512], 32)).toBe('Q4_K');
    expect(tensorTypeFor('Q4_K_M', 'output.weight', [256, 1000], 32)).toBe('Q6_K');
    // Rows that do not split into 256-element super-blocks fall back as llama.cpp does.
    expect(['Q6_K', 'Q5_K', 'Q4_K', 'Q3_K', 'Q2_K'].map((t) => tensorTypeFor(t as 'Q4_K', 'blk.0.ffn_up.weight', [128, 256], 4))).toEqual(['Q8_0', 'Q5_1', 'Q5_0', 'Q4_0', 'Q4_0']);
    expect(tensorTypeFor('Q4_K', 'blk.0.ffn_down.weight', [336, 128], 4)).toBe('F16');
    expect(tensorTypeFor('Q4_K', 'blk.0.attn_norm.weight', [256], 4)).toBe('F32');
  });
});
