/**
 * The human-evaluation task file: JSON Lines, one task per line.
 *
 * ```jsonl
 * {"id": "t1", "type": "likert", "prompt": "Translate: …", "output": "…", "system": "baseline", "criteria": ["fluency", "adequacy"]}
 * {"id": "t2", "type": "pairwise", "prompt": "Summarise: …", "outputs": {"baseline": "…", "tuned": "…"}}
 * ```
 *
 * Likert tasks ask for a 1–5 rating per criterion (default criteria: `quality`); pairwise tasks
 * show two outputs, blind (system names hidden) and in an order shuffled per rater, and ask which
 * is better, allowing ties. A JSON file with `{"tasks": [...]}` is accepted too.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { FormatError, InputError, NotFoundError, parseJson } from '@llm/core';

/** A Likert task: rate one output on each criterion from 1 to 5. */
export interface LikertTask {
  id: string;
  type: 'likert';
  prompt: string;
  output: string;
  /** Which system produced the output (hidden from raters). */
  system: string;
  criteria: string[];
}

/** A pairwise task: which of two outputs is better (or a tie)? */
export interface PairwiseTask {
  id: string;
  type: 'pairwise';
  prompt: string;
  /** Exactly two system → output entries. */
  outputs: Record<string, string>;
  /** The question shown (default: "Which response is better?"). */
  question?: string;
}

/** Any task. */
export type HumanTask = LikertTask | PairwiseTask;

function parseTask(value: unknown, where: { file: string; line?: number; field?: string }): HumanTask {
  const fail = (msg: string, field?: string): never => { throw new FormatError('human eval tasks', msg, { ...where, field: field ?? where.field }); };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('a task must be a JSON object');
  const o = value as Record<string, unknown>;
  if (typeof o.id !== 'string' || !o.id) fail('"id" must be a non-empty string', 'id');
  if (typeof o.prompt !== 'string') fail('"prompt" must be a string', 'prompt');
  const type = o.type ?? (typeof o.outputs === 'object' ? 'pairwise' : 'likert');
  if (type === 'likert') {
    if (typeof o.output !== 'string') fail('a likert task needs a string "output"', 'output');
    const criteria = o.criteria ?? ['quality'];
    if (!Array.isArray(criteria) || criteria.length === 0 || !criteria.every((c) => typeof c === 'string' && c)) fail('"criteria" must be a non-empty array of strings', 'criteria');
    return { id: o.id as string, type: 'likert', prompt: o.prompt as string, output: o.output as string, system: typeof o.system === 'string' ? o.system : 'system', criteria: criteria as string[] };
  }
  if (type === 'pairwise') {
    const outputs = o.outputs;
    if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) fail('a pairwise task needs an "outputs" object', 'outputs');
    const entries = Object.entries(outputs as Record<string, unknown>);
    if (entries.length !== 2 || !entries.every(([, v]) => typeof v === 'string')) fail('"outputs" must map exactly two system names to strings', 'outputs');
    return { id: o.id as string, type: 'pairwise', prompt: o.prompt as string, outputs: outputs as Record<string, string>, question: typeof o.question === 'string' ? o.question : undefined };
  }
  return fail(`unknown task type ${JSON.stringify(type)} (likert or pairwise)`, 'type');
}

/** Parse task-file text (JSONL, or JSON with a `tasks` array). */
export function parseTasks(text: string, file = '<tasks>'): HumanTask[] {
  const trimmed = text.trim();
  let tasks: HumanTask[];
  if (trimmed.startsWith('{') && !trimmed.includes('\n{') && trimmed.includes('"tasks"')) {
    const v = parseJson(trimmed, { file }) as { tasks?: unknown };
    if (!Array.isArray(v.tasks)) throw new FormatError('human eval tasks', '"tasks" must be an array', { file, field: 'tasks' });
    tasks = v.tasks.map((t, i) => parseTask(t, { file, field: `tasks[${i}]` }));
  } else {
    tasks = [];
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      tasks.push(parseTask(parseJson(line, { file, line: i + 1 }), { file, line: i + 1 }));
    });
  }
  if (tasks.length === 0) throw new InputError('the task file has no tasks', { file });
  const seen = new Set<string>();
  for (const t of tasks) {
    if (seen.has(t.id)) throw new FormatError('human eval tasks', `duplicate task id "${t.id}"`, { file, field: 'id' });
    seen.add(t.id);
  }
  return tasks;
}

/** Read and parse a task file. */
export async function readTasks(path: string): Promise<HumanTask[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new NotFoundError(`cannot read task file ${path}`, { file: path }, { cause: err });
  }
  return parseTasks(text, path);
}
