/**
 * `@llm/lora`: LoRA, QLoRA and prompt tuning, with adapter files interchangeable with Hugging Face PEFT.
 *
 * @packageDocumentation
 */
export * from './peft.js';
export * from './math.js';
export * from './data.js';
