import { datasetFiles, InputError, readJson, readJsonl } from '@llm/core';

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

/**
 * Instruction data from the bundled SQuAD-layout FAQ set (Python and Debian FAQs): each question
 * becomes a prompt and its first annotated answer the completion.
 */
export async function faqInstructions(limit = Infinity, split: 'train' | 'dev' = 'train'): Promise<TrainingExample[]> {
  const squad = (await readJson(datasetFiles('faq-squad', split)[0]!)) as { data: Array<{ paragraphs: Array<{ qas: Array<{ question: string; answers: Array<{ text: string }> }> }> }> };
  const out: TrainingExample[] = [];
  for (const a of squad.data) for (const p of a.paragraphs) for (const q of p.qas) {
    if (q.answers[0] && out.length < limit) out.push({ prompt: `Question: ${q.question}\nAnswer:`, completion: ` ${q.answers[0].text}` });
  }
  return out;
}
