/**
 * `@llm/core`: the ground every `@llm/*` package stands on: the tensor backend, spec types,
 * tensor file containers, atomic I/O, seeded RNG, bundled data, progress and typed errors.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './rng.js';
export * from './io/atomic.js';
export * from './io/checkpoint.js';
export * from './spec/index.js';
export * from './progress/progress.js';
export * from './progress/metrics.js';
export * from './data/readers.js';
export * from './data/registry.js';
export * from './formats/dtypes.js';
export * from './formats/safetensors.js';
export * from './formats/tensors.js';
export { tf } from './backend/tf.js';
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Scalar, Variable, Rank, DataType, TensorLike, NamedTensorMap } from './backend/tf.js';
export * from './backend/select.js';
export * from './backend/info.js';
export { registerWasmTrainingKernels, WASM_DELEGATED_KERNELS } from './backend/wasm-kernels.js';
export { registerNativeBackend, loadNativeAddon, nativeStatus, nativeAddonCandidates, NativeAdam, FusedAdamOptimizer, NATIVE_KERNELS, NATIVE_BACKEND } from './backend/native.js';
export type { NativeAddon, NativeIsa, NativeStatus } from './backend/native.js';
export { fusedLayerNorm, fusedGelu, fusedMaskedSoftmax, softmaxCrossEntropyRows, lstmSequence, lstmLayer, adamwStep, fusedOpsNative, causalSelfAttention, sumOfSquares } from './backend/fused.js';
export type { SoftmaxCrossEntropyOptions, LstmSequenceOptions, LstmLayerOptions, AdamWStepOptions } from './backend/fused.js';
export * from './cli/kit.js';
export * from './formats/gguf.js';
export * from './math/vector.js';
