/**
 * GGUF v3 value model: typed metadata values (every GGUF value type, arrays included, nested
 * arrays too) and tensor descriptions.
 */

/** GGUF metadata value type ids (`gguf_type` in llama.cpp). */
export const GGUFValueType = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;

/** Scalar kinds whose values are JavaScript numbers. */
export type GGUFNumberKind = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
/** Scalar kinds whose values are bigints. */
export type GGUFBigKind = 'uint64' | 'int64';
/** Every scalar kind. */
export type GGUFScalarKind = GGUFNumberKind | GGUFBigKind | 'bool' | 'string';

/** One metadata value. Arrays hold plain JS values of their item kind, or nested arrays. */
export type GGUFValue =
  | { kind: GGUFNumberKind; value: number }
  | { kind: GGUFBigKind; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | GGUFArray;

/** A GGUF array: all items share one kind. */
export type GGUFArray =
  | { kind: 'array'; itemKind: GGUFNumberKind; values: number[] }
  | { kind: 'array'; itemKind: GGUFBigKind; values: bigint[] }
  | { kind: 'array'; itemKind: 'bool'; values: boolean[] }
  | { kind: 'array'; itemKind: 'string'; values: string[] }
  | { kind: 'array'; itemKind: 'array'; values: GGUFArray[] };

/** Value constructors: `gv.u32(4)`, `gv.str('llama')`, `gv.strs([...])`. */
export const gv = {
  u8: (value: number): GGUFValue => ({ kind: 'uint8', value }),
  i8: (value: number): GGUFValue => ({ kind: 'int8', value }),
  u16: (value: number): GGUFValue => ({ kind: 'uint16', value }),
  i16: (value: number): GGUFValue => ({ kind: 'int16', value }),
  u32: (value: number): GGUFValue => ({ kind: 'uint32', value }),
  i32: (value: number): GGUFValue => ({ kind: 'int32', value }),
  f32: (value: number): GGUFValue => ({ kind: 'float32', value }),
  f64: (value: number): GGUFValue => ({ kind: 'float64', value }),
  u64: (value: bigint | number): GGUFValue => ({ kind: 'uint64', value: BigInt(value) }),
  i64: (value: bigint | number): GGUFValue => ({ kind: 'int64', value: BigInt(value) }),
  bool: (value: boolean): GGUFValue => ({ kind: 'bool', value }),
  str: (value: string): GGUFValue => ({ kind: 'string', value }),
  strs: (values: string[]): GGUFValue => ({ kind: 'array', itemKind: 'string', values }),
  f32s: (values: number[]): GGUFValue => ({ kind: 'array', itemKind: 'float32', values }),
  i32s: (values: number[]): GGUFValue => ({ kind: 'array', itemKind: 'int32', values }),
  arr: (itemKind: GGUFNumberKind, values: number[]): GGUFValue => ({ kind: 'array', itemKind, values }),
};

export const KIND_TO_TYPE: Readonly<Record<GGUFScalarKind | 'array', number>> = {
  uint8: 0, int8: 1, uint16: 2, int16: 3, uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9, uint64: 10, int64: 11, float64: 12,
};
export const TYPE_TO_KIND: readonly (GGUFScalarKind | 'array')[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64'];
/** Fixed byte size of each scalar kind (strings: 0, variable). */
export const KIND_SIZE: Readonly<Record<GGUFScalarKind | 'array', number>> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, bool: 1, string: 0, array: 0, uint64: 8, int64: 8, float64: 8,
};

/** A metadata value as a plain JS value (number, bigint, boolean, string or array). */
export type GGUFPlain = number | bigint | boolean | string | GGUFPlain[];

/** Unwrap a {@link GGUFValue} to a plain JS value. */
export function plainValue(v: GGUFValue): GGUFPlain {
  if (v.kind !== 'array') return v.value;
  if (v.itemKind === 'array') return v.values.map((a) => plainValue(a));
  return v.values;
}

/** A tensor as described in a GGUF file. */
export interface GGUFTensorInfo {
  name: string;
  /** ggml dims, innermost (contiguous) first: a `[out, in]` PyTorch weight is `[in, out]` here. */
  dims: number[];
  /** ggml type id. */
  type: number;
  /** ggml type name, e.g. `Q4_K`. */
  typeName: string;
  /** Offset from the start of the data section. */
  offset: number;
  /** Absolute offset in the file. */
  fileOffset: number;
  /** Bytes the tensor occupies. */
  byteSize: number;
  /** Number of elements. */
  elements: number;
  /** Where the tensor's info record starts in the file. */
  infoOffset: number;
}
