/**
 * `@llm/quant`: tensor quantization (absmax/zero-point int8, LLM.int8, NF4/FP4 with double
 * quantization), ggml block formats bit-exact with llama.cpp, a GGUF v3 writer and reader with
 * llama.cpp-loader validation, an HF LLaMA → GGUF converter and a node-llama-cpp runner.
 *
 * @packageDocumentation
 */
export * from './ggml/types.js';
export * from './ggml/quants.js';
export * from './gguf/types.js';
export * from './gguf/writer.js';
export * from './gguf/reader.js';
export * from './gguf/validate.js';
export * from './convert/vocab.js';
export * from './convert/hf-llama.js';
export * from './model/llama-ref.js';
export * from './model/tiny-llama.js';
export * from './run/llama-cpp.js';
export * from './tensor/stats.js';
export * from './tensor/int8.js';
export * from './tensor/llm-int8.js';
export * from './tensor/nf4.js';
export * from './tensor/linear.js';
export * from './tensor/report.js';
export * from './convert/hf-gpt2.js';
export * from './model/gpt2-ref.js';
export * from './model/hf-ref.js';
export * from './run/ppl.js';
