/**
 * `@llm/transformer`: attention to LLaMA in tfjs, with Hugging Face checkpoints in and out.
 *
 * @packageDocumentation
 */
export * from './nn/layers.js';
export * from './nn/attention.js';
export * from './nn/positions.js';
export * from './nn/work.js';
export * from './checkpoint.js';
export * from './model.js';
export * from './models/gpt2.js';
export * from './models/bert.js';
export * from './models/t5.js';
export * from './models/llama.js';
export * from './hub.js';
export * from './generate.js';
export * from './chat-template.js';
export * from './language-model.js';
export * from './train.js';
export * from './load.js';
export * from './nn/blocks.js';
export * from './models/seq2seq.js';
export * from './onnx/export.js';
export * from './onnx/runtime.js';
export * from './seq2seq-language-model.js';
export * from './tasks/index.js';
