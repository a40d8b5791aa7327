/** The exercises' task logic (translation, language modelling, MLM + QA, T5). */
export * from './common.js';
export * from './translate.js';
export * from './lm.js';
export * from './qa.js';
export * from './scorers.js';
export * from './t5.js';
export * from './prompting.js';
