/**
 * `@llm/benchmarks`: the harness (interleaved repetitions, medians, IQR, ours/peer ratios),
 * its statistics, the Python and onnxruntime peers, and this project's workloads.
 *
 * @packageDocumentation
 */
export * from './stats.js';
export * from './harness.js';
export * from './peers/python.js';
export * from './peers/onnx.js';
export * from './workloads.js';
