import { tf } from './tf.js';

/**
 * Kernels the wasm backend lacks but training needs, registered for `wasm`:
 *
 * - `UnsortedSegmentSum` (the gradient of `gather`, i.e. of every embedding lookup), written
 *   directly on the wasm heap;
 * - a few gradient kernels (convolution filters, einsum) run on the cpu backend's
 *   implementation, with their inputs and outputs copied between the two backends.
 *
 * Each is tested numerically against the cpu backend in `wasm-kernels.test.ts`.
 */

type TensorInfo = tf.TensorInfo;
type TypedArray = Float32Array | Int32Array | Uint8Array;

/** The parts of the wasm and cpu backends these kernels touch. */
interface DataBackend {
  readSync(dataId: object): unknown;
  write(values: TypedArray | null, shape: number[], dtype: tf.DataType): object;
  disposeData(dataId: object, force?: boolean): boolean;
}
interface WasmBackendLike extends DataBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): TypedArray;
}

/** Kernels delegated to the cpu backend when missing on wasm. */
export const WASM_DELEGATED_KERNELS: readonly string[] = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Einsum',
];

function unsortedSegmentSumWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const x = args.inputs.x as TensorInfo;
  const ids = args.inputs.segmentIds as TensorInfo;
  const numSegments = Number((args.attrs as { numSegments: number }).numSegments);
  const idShape = ids.shape;
  // segmentIds' shape is a prefix of x's shape; the rest is the inner row.
  for (let i = 0; i < idShape.length; i++) {
    if (x.shape[i] !== idShape[i]) throw new Error(`UnsortedSegmentSum: segmentIds shape ${JSON.stringify(idShape)} is not a prefix of x shape ${JSON.stringify(x.shape)}`);
  }
  const inner = x.shape.slice(idShape.length).reduce((a, b) => a * b, 1);
  const outShape = [numSegments, ...x.shape.slice(idShape.length)];
  const xv = backend.readSync(x.dataId) as Float32Array | Int32Array;
  const iv = backend.readSync(ids.dataId) as Int32Array | Float32Array;
  const out = backend.makeOutput(outShape, x.dtype);
  const ov = backend.typedArrayFromHeap(out);
  ov.fill(0);
  const n = iv.length;
  for (let r = 0; r < n; r++) {
    const seg = iv[r]!;
    if (seg < 0 || seg >= numSegments) continue; // TF drops out-of-range ids
    const src = r * inner;
    const dst = seg * inner;
    for (let j = 0; j < inner; j++) ov[dst + j]! += xv[src + j]!;
  }
  return out;
}

function delegateToCpu(kernelName: string): tf.KernelFunc {
  return (args) => {
    const wasm = args.backend as unknown as DataBackend;
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    if (!cpuKernel) throw new Error(`no cpu kernel ${kernelName} to delegate to`);
    const cpu = tf.findBackend('cpu') as unknown as DataBackend;
    // Ops with a variable number of inputs (Einsum, Concat) pass them as an array: keep its shape.
    const cpuInputs: tf.NamedTensorInfoMap = (Array.isArray(args.inputs) ? [] : {}) as tf.NamedTensorInfoMap;
    const created: object[] = [];
    for (const [name, t] of Object.entries(args.inputs)) {
      if (!t) continue;
      const values = wasm.readSync(t.dataId) as TypedArray;
      const dataId = cpu.write(values, t.shape, t.dtype);
      created.push(dataId);
      cpuInputs[name] = { dataId, shape: t.shape, dtype: t.dtype };
    }
    try {
      const result = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs: args.attrs, backend: cpu as unknown as tf.KernelBackend });
      const outs = Array.isArray(result) ? result : [result];
      const moved = outs.map((o) => {
        const values = cpu.readSync(o.dataId) as TypedArray;
        cpu.disposeData(o.dataId, true);
        return { dataId: wasm.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
      });
      return Array.isArray(result) ? moved : moved[0]!;
    } finally {
      for (const id of created) cpu.disposeData(id, true);
    }
  };
}

let registered = false;

/** Register the missing training kernels for `wasm` (idempotent). Returns their names. */
export function registerWasmTrainingKernels(): string[] {
  const names: string[] = [];
  const have = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  if (registered) return names;
  registered = true;
  if (!have.has('UnsortedSegmentSum')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc });
    names.push('UnsortedSegmentSum');
  }
  for (const k of WASM_DELEGATED_KERNELS) {
    if (have.has(k) || !tf.getKernel(k, 'cpu')) continue;
    tf.registerKernel({ kernelName: k, backendName: 'wasm', kernelFunc: delegateToCpu(k) });
    names.push(k);
  }
  return names;
}
