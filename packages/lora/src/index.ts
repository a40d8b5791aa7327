/**
 * `@llm/lora`: LoRA, QLoRA and prompt tuning, with adapter files interchangeable with Hugging Face PEFT.
 *
 * @packageDocumentation
 */
export * from './peft.js';
export * from './math.js';
export * from './data.js';
export * from './adapters.js';
export * from './prompt-tuning.js';
export * from './finetune.js';
export * from './compare.js';
export * from './prefix-tuning.js';
export * from './complete.js';
