/**
 * `@llm/seq`: SimpleRNN, LSTM and GRU cells and layers written with tensor ops (PyTorch's gate
 * layout and `state_dict` names), and a recurrent text classifier.
 *
 * @packageDocumentation
 */
export * from './cells.js';
export * from './recurrent.js';
export * from './state-dict.js';
export * from './vocab.js';
export * from './classifier.js';
export * from './metrics.js';
export * from './train.js';
export * from './data.js';
export * from './email.js';
export * from './fast.js';
export * from './bow.js';
export * from './linear.js';
export * from './lm.js';
