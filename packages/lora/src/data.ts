import { InputError, readJsonl } from '@llm/core';

/** One training example: a prompt and its completion (loss on the completion only), or plain text. */
export type TrainingExample = { prompt: string; completion: string } | { text: string };

/**
 * Read instruction data: JSONL, one object a line, either `{"prompt", "completion"}` or
 * `{"text"}`. A malformed line is an {@link InputError} naming the file and line.
 */
export async function readTrainingData(path: string, options: { signal?: AbortSignal } = {}): Promise<TrainingExample[]> {
  const out: TrainingExample[] = [];
  for await (const { value, lineNo } of readJsonl<unknown>(path, options)) {
    const where = { file: path, line: lineNo };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError('expected a JSON object', where);
    const v = value as Record<string, unknown>;
    if ('text' in v) {
      if (typeof v.text !== 'string' || v.text === '') throw new InputError('"text" must be a non-empty string', { ...where, field: 'text' });
      out.push({ text: v.text });
    } else if ('prompt' in v || 'completion' in v) {
      if (typeof v.prompt !== 'string') throw new InputError('"prompt" must be a string', { ...where, field: 'prompt' });
      if (typeof v.completion !== 'string' || v.completion === '') throw new InputError('"completion" must be a non-empty string', { ...where, field: 'completion' });
      out.push({ prompt: v.prompt, completion: v.completion });
    } else {
      throw new InputError('expected {"prompt", "completion"} or {"text"}', where);
    }
  }
  if (out.length === 0) throw new InputError('no training examples', { file: path });
  return out;
}
