import type { Contender } from '../harness.js';

/**
 * onnxruntime-node as a peer: a one-node ONNX graph (`MatMul`, float32, opset 13) encoded here
 * in protobuf wire format (no onnx package needed), run by onnxruntime's CPU provider.
 */

// --- minimal protobuf writer (varint, length-delimited) ---------------------------------------

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

function key(field: number, wire: 0 | 2): number[] {
  return varint((field << 3) | wire);
}

function fInt(field: number, value: number): number[] {
  return [...key(field, 0), ...varint(value)];
}

function fBytes(field: number, bytes: readonly number[]): number[] {
  return [...key(field, 2), ...varint(bytes.length), ...bytes];
}

function fString(field: number, s: string): number[] {
  return fBytes(field, [...new TextEncoder().encode(s)]);
}

/** onnx.TensorProto.DataType.FLOAT */
const FLOAT = 1;

function valueInfo(name: string, shape: readonly number[]): number[] {
  // ValueInfoProto{name=1, type=2}; TypeProto{tensor_type=1}; Tensor{elem_type=1, shape=2};
  // TensorShapeProto{dim=1}; Dimension{dim_value=1}
  const dims = shape.flatMap((d) => fBytes(1, fInt(1, d)));
  const tensorType = [...fInt(1, FLOAT), ...fBytes(2, dims)];
  return [...fString(1, name), ...fBytes(2, fBytes(1, tensorType))];
}

/** An ONNX model computing C = A·B for A [m,k] and B [k,n] float32. */
export function matmulModel(m: number, k: number, n: number): Uint8Array {
  // NodeProto{input=1, output=2, name=3, op_type=4}
  const node = [...fString(1, 'A'), ...fString(1, 'B'), ...fString(2, 'C'), ...fString(3, 'matmul'), ...fString(4, 'MatMul')];
  // GraphProto{node=1, name=2, input=11, output=12}
  const graph = [
    ...fBytes(1, node),
    ...fString(2, 'llm-bench-matmul'),
    ...fBytes(11, valueInfo('A', [m, k])),
    ...fBytes(11, valueInfo('B', [k, n])),
    ...fBytes(12, valueInfo('C', [m, n])),
  ];
  // ModelProto{ir_version=1, producer_name=2, graph=7, opset_import=8}; OperatorSetIdProto{domain=1, version=2}
  const model = [...fInt(1, 8), ...fString(2, '@llm/benchmarks'), ...fBytes(7, graph), ...fBytes(8, [...fString(1, ''), ...fInt(2, 13)])];
  return Uint8Array.from(model);
}

/** The parts of onnxruntime-node used here. */
interface OrtTensor {
  data: unknown;
  dims: readonly number[];
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
}

/** Load onnxruntime-node, or say why not. */
export async function loadOrt(): Promise<OrtModule | { skipped: string }> {
  try {
    const mod = (await import('onnxruntime-node')) as unknown as OrtModule & { default?: OrtModule };
    return mod.InferenceSession ? mod : mod.default!;
  } catch (err) {
    return { skipped: `onnxruntime-node unavailable: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}

/** Create a MatMul session with the given intra-op threads. */
export async function matmulSession(ort: OrtModule, m: number, k: number, n: number, threads: number): Promise<OrtSession> {
  return ort.InferenceSession.create(matmulModel(m, k, n), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // No busy-waiting intra-op threads between runs: they would steal a core from the
    // contender timed next in this process.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
}

/** A harness contender: onnxruntime-node multiplying two n×n float32 matrices. */
export function ortMatmulContender(name: string, n: number, threads: number, a: Float32Array, b: Float32Array): Contender {
  return {
    name,
    side: 'peer',
    prepare: async () => {
      const ort = await loadOrt();
      if ('skipped' in ort) return ort;
      const session = await matmulSession(ort, n, n, n, threads);
      const feeds = { A: new ort.Tensor('float32', a, [n, n]), B: new ort.Tensor('float32', b, [n, n]) };
      return {
        run: async () => {
          await session.run(feeds);
        },
        dispose: async () => {
          await session.release?.();
        },
      };
    },
  };
}
