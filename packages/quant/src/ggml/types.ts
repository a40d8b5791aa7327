/**
 * ggml tensor types as numbered in llama.cpp's `ggml.h` / gguf-py `GGMLQuantizationType`, with
 * their block geometry (elements per block, bytes per block).
 */

/** ggml type ids (the subset this package reads or writes, plus the ids a reader must recognise). */
export const GGMLType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  IQ2_XXS: 16,
  IQ2_XS: 17,
  IQ3_XXS: 18,
  IQ1_S: 19,
  IQ4_NL: 20,
  IQ3_S: 21,
  IQ2_S: 22,
  IQ4_XS: 23,
  I8: 24,
  I16: 25,
  I32: 26,
  I64: 27,
  F64: 28,
  IQ1_M: 29,
  BF16: 30,
  TQ1_0: 34,
  TQ2_0: 35,
  MXFP4: 39,
} as const;

/** Name of a ggml type (`'Q4_K'`). */
export type GGMLTypeName = keyof typeof GGMLType;

/** Block geometry: `blockSize` elements are stored in `typeSize` bytes. */
export interface GGMLTypeInfo {
  name: GGMLTypeName;
  id: number;
  blockSize: number;
  typeSize: number;
}

const QK_K = 256;
const SIZES: Record<GGMLTypeName, [number, number]> = {
  F32: [1, 4], F16: [1, 2], BF16: [1, 2], F64: [1, 8], I8: [1, 1], I16: [1, 2], I32: [1, 4], I64: [1, 8],
  Q4_0: [32, 2 + 16], Q4_1: [32, 4 + 16], Q5_0: [32, 2 + 4 + 16], Q5_1: [32, 4 + 4 + 16], Q8_0: [32, 2 + 32], Q8_1: [32, 4 + 32],
  Q2_K: [QK_K, 2 + 2 + QK_K / 16 + QK_K / 4], Q3_K: [QK_K, 2 + QK_K / 4 + QK_K / 8 + 12], Q4_K: [QK_K, 2 + 2 + 12 + QK_K / 2],
  Q5_K: [QK_K, 2 + 2 + 12 + QK_K / 8 + QK_K / 2], Q6_K: [QK_K, 2 + QK_K / 16 + 3 * QK_K / 4], Q8_K: [QK_K, 4 + QK_K + QK_K / 8],
  IQ2_XXS: [QK_K, 2 + QK_K / 4], IQ2_XS: [QK_K, 2 + QK_K / 4 + QK_K / 32], IQ3_XXS: [QK_K, 2 + QK_K / 4 + QK_K / 8],
  IQ1_S: [QK_K, 2 + QK_K / 8 + QK_K / 16], IQ4_NL: [32, 2 + 16], IQ3_S: [QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4],
  IQ2_S: [QK_K, 2 + QK_K / 4 + QK_K / 16], IQ4_XS: [QK_K, 2 + 2 + QK_K / 2 + QK_K / 64], IQ1_M: [QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32],
  TQ1_0: [QK_K, 2 + 4 * 13], TQ2_0: [QK_K, 2 + 64], MXFP4: [32, 1 + 16],
};

const BY_ID = new Map<number, GGMLTypeInfo>();
for (const [name, id] of Object.entries(GGMLType) as [GGMLTypeName, number][]) {
  const [blockSize, typeSize] = SIZES[name];
  BY_ID.set(id, { name, id, blockSize, typeSize });
}

/** Geometry of a type id, or `undefined` for an id this package does not know. */
export function ggmlTypeInfo(id: number): GGMLTypeInfo | undefined {
  return BY_ID.get(id);
}

/** Geometry of a type by name. */
export function ggmlTypeByName(name: GGMLTypeName): GGMLTypeInfo {
  return BY_ID.get(GGMLType[name])!;
}

/** Bytes needed for `n` elements of a type (`n` must be a multiple of the block size). */
export function ggmlByteSize(info: GGMLTypeInfo, n: number): number {
  return (n / info.blockSize) * info.typeSize;
}
