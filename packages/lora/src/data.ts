import { datasetFiles, datasetRows, InputError, readJson, readJsonl, Rng } from '@llm/core';

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

/** A verse pair as an instruction, with its reference (`Mark 1:3`). */
export interface VerseInstruction {
  prompt: string;
  completion: string;
  ref: string;
}

/** Options of {@link verseInstructions}. */
export interface VerseInstructionOptions {
  /** Training pairs to draw (default 600). */
  train?: number;
  /** Held-out pairs (default 40), from `testBooks` only (Mark has 154 verses of ≤ 16 words). */
  test?: number;
  /** Books held out entirely (default Mark). */
  testBooks?: readonly string[];
  /** Keep verses whose Spanish and English both have at most this many words (default 16). */
  maxWords?: number;
  seed?: number;
  signal?: AbortSignal;
}

/**
 * Spanish→English instruction pairs from the bundled verse-aligned Bible (Reina-Valera 1909 →
 * KJV): prompt `Spanish: …\nEnglish:`, completion ` <KJV verse>`. Short verses only; the test
 * pairs come from books that no training pair comes from, so the held-out score is on unseen text.
 */
export async function verseInstructions(options: VerseInstructionOptions = {}): Promise<{ train: VerseInstruction[]; test: VerseInstruction[] }> {
  const maxWords = options.maxWords ?? 16;
  const testBooks = new Set(options.testBooks ?? ['Mark']);
  const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
  const train: VerseInstruction[] = [];
  const test: VerseInstruction[] = [];
  for await (const { values: row } of datasetRows('bible-es-en', { signal: options.signal })) {
    const es = row.es_rv1909?.trim();
    const en = row.en_kjv?.trim();
    if (!es || !en || words(es) > maxWords || words(en) > maxWords) continue;
    const ref = row.ref ?? '';
    (testBooks.has(ref.replace(/\s+\d+:\d+$/, '')) ? test : train).push({ prompt: `Spanish: ${es}\nEnglish:`, completion: ` ${en}`, ref });
  }
  const rng = new Rng(options.seed ?? 0);
  const pick = <T>(xs: T[], n: number, label: string): T[] => Array.from(rng.split(label).permutation(xs.length).subarray(0, Math.min(n, xs.length)), (i) => xs[i]!);
  return { train: pick(train, options.train ?? 600, 'train'), test: pick(test, options.test ?? 40, 'test') };
}
