export * from '../src/index.js';
export { Rng } from '@llm/core';
