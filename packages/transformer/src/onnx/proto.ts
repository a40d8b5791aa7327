/**
 * A minimal protobuf encoder for the parts of `onnx.proto` an exporter writes: ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto (field numbers from
 * onnx/onnx.proto3). Only encoding; every message is built bottom-up as bytes.
 */

/** ONNX TensorProto.DataType values used here. */
export const OnnxType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;

class Writer {
  private chunks: number[] = [];

  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.chunks.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.chunks.push(Number(x));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (let i = 0; i < b.length; i++) this.chunks.push(b[i]!);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.chunks.push(x);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** An attribute value: number (int), float via `{ f }`, ints, string, or a tensor. */
export type AttrValue = number | { f: number } | number[] | string | { tensor: Uint8Array };

/** AttributeProto. */
function attribute(name: string, v: AttrValue): Uint8Array {
  const w = new Writer().string(1, name);
  if (typeof v === 'number') w.int(3, v).int(20, 2); // INT
  else if (typeof v === 'string') w.bytes(4, new TextEncoder().encode(v)).int(20, 3); // STRING
  else if (Array.isArray(v)) {
    for (const x of v) w.int(8, x);
    w.int(20, 7); // INTS
  } else if ('f' in v) w.float(2, v.f).int(20, 1); // FLOAT
  else w.bytes(5, v.tensor).int(20, 4); // TENSOR
  return w.finish();
}

/** NodeProto. */
export function node(opType: string, inputs: readonly string[], outputs: readonly string[], name: string, attrs: Record<string, AttrValue> = {}): Uint8Array {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name).string(4, opType);
  for (const [k, v] of Object.entries(attrs)) w.bytes(5, attribute(k, v));
  return w.finish();
}

/** TensorProto with raw little-endian data. */
export function tensor(name: string, dataType: number, dims: readonly number[], raw: Uint8Array): Uint8Array {
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, dataType).string(8, name).bytes(9, raw);
  return w.finish();
}

/** A float32 tensor. */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): Uint8Array {
  return tensor(name, OnnxType.FLOAT, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** An int64 tensor. */
export function int64Tensor(name: string, dims: readonly number[], data: readonly number[]): Uint8Array {
  const b = new BigInt64Array(data.map((x) => BigInt(x)));
  return tensor(name, OnnxType.INT64, dims, new Uint8Array(b.buffer));
}

/** ValueInfoProto for a tensor with symbolic (string) or fixed (number) dims. */
export function valueInfo(name: string, elemType: number, dims: ReadonlyArray<string | number>): Uint8Array {
  const shape = new Writer();
  for (const d of dims) shape.bytes(1, typeof d === 'number' ? new Writer().int(1, d).finish() : new Writer().string(2, d).finish());
  const tensorType = new Writer().int(1, elemType).bytes(2, shape.finish()).finish();
  const type = new Writer().bytes(1, tensorType).finish();
  return new Writer().string(1, name).bytes(2, type).finish();
}

/** GraphProto. */
export function graph(name: string, nodes: readonly Uint8Array[], initializers: readonly Uint8Array[], inputs: readonly Uint8Array[], outputs: readonly Uint8Array[]): Uint8Array {
  const w = new Writer();
  for (const n of nodes) w.bytes(1, n);
  w.string(2, name);
  for (const t of initializers) w.bytes(5, t);
  for (const i of inputs) w.bytes(11, i);
  for (const o of outputs) w.bytes(12, o);
  return w.finish();
}

/** ModelProto (IR version 8, default-domain opset `opset`). */
export function model(g: Uint8Array, opset: number, producer = '@llm/transformer'): Uint8Array {
  const opsetId = new Writer().string(1, '').int(2, opset).finish();
  return new Writer().int(1, 8).string(2, producer).string(3, '0.1.0').bytes(7, g).bytes(8, opsetId).finish();
}
