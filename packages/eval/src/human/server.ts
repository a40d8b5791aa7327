/**
 * `llm eval human serve`: a local web server where raters judge outputs (Likert 1–5 per
 * criterion; blind, shuffled pairwise A/B with ties). Judgments go to SQLite as they are made,
 * with the rater id and time; a rater who comes back continues where they left off. Each rater
 * sees the tasks in their own shuffled order, and the side each system appears on in a pairwise
 * task is drawn per rater and task, deterministically from the rater id (so a reload shows the
 * same layout).
 *
 * @packageDocumentation
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Rng } from '@llm/core';
import { PAGE_HTML } from './page.js';
import { JudgmentStore, type Judgment } from './store.js';
import type { HumanTask } from './tasks.js';

/** What the page receives for one task (system names hidden). */
export interface ClientTask {
  id: string;
  type: 'likert' | 'pairwise';
  prompt: string;
  criteria?: string[];
  output?: string;
  left?: string;
  right?: string;
  question?: string;
}

/** Server state sent to the page. */
export interface ClientState {
  done: boolean;
  progress: { done: number; total: number };
  task?: ClientTask;
}

/** A running server. */
export interface HumanEvalServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Options of {@link startHumanEvalServer}. */
export interface ServeOptions {
  tasks: readonly HumanTask[];
  /** SQLite file for judgments. */
  dbPath: string;
  /** Port (0 = any free port). Default 0. */
  port?: number;
  /** Host to bind. Default 127.0.0.1. */
  host?: string;
  /** Clock for judgment times (tests). */
  now?: () => Date;
}

/** The task order a rater sees: a permutation seeded by the rater id. */
export function raterOrder(tasks: readonly HumanTask[], rater: string): HumanTask[] {
  const perm = new Rng(`order\u0000${rater}`).permutation(tasks.length);
  return Array.from(perm, (i) => tasks[i]!);
}

/** Which system a rater sees on the left and right of a pairwise task. */
export function pairwiseSides(task: HumanTask & { type: 'pairwise' }, rater: string): [left: string, right: string] {
  const [a, b] = Object.keys(task.outputs).sort() as [string, string];
  return new Rng(`sides\u0000${rater}\u0000${task.id}`).next() < 0.5 ? [a, b] : [b, a];
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, limit = 65536): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new HttpError(413, 'request body too large');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

function checkRater(r: unknown): string {
  if (typeof r !== 'string' || !r.trim() || r.length > 100) throw new HttpError(400, 'rater id must be a non-empty string of at most 100 characters');
  return r.trim();
}

/**
 * Start the server.
 *
 * @example
 * ```ts
 * const server = await startHumanEvalServer({ tasks: await readTasks('tasks.jsonl'), dbPath: 'judgments.sqlite' });
 * console.log(server.url);
 * ```
 */
export async function startHumanEvalServer(options: ServeOptions): Promise<HumanEvalServer> {
  const store = JudgmentStore.open(options.dbPath);
  const tasks = options.tasks;
  const byId = new Map(tasks.map((t) => [t.id, t] as const));
  const now = options.now ?? (() => new Date());

  const state = (rater: string): ClientState => {
    const judged = store.judgedTasks(rater);
    const progress = { done: tasks.filter((t) => judged.has(t.id)).length, total: tasks.length };
    const next = raterOrder(tasks, rater).find((t) => !judged.has(t.id));
    if (!next) return { done: true, progress };
    if (next.type === 'likert') return { done: false, progress, task: { id: next.id, type: 'likert', prompt: next.prompt, criteria: next.criteria, output: next.output } };
    const [l, r] = pairwiseSides(next, rater);
    return { done: false, progress, task: { id: next.id, type: 'pairwise', prompt: next.prompt, left: next.outputs[l], right: next.outputs[r], question: next.question } };
  };

  const judge = (body: unknown): ClientState => {
    if (typeof body !== 'object' || body === null) throw new HttpError(400, 'expected a JSON object');
    const b = body as Record<string, unknown>;
    const rater = checkRater(b.rater);
    const task = typeof b.taskId === 'string' ? byId.get(b.taskId) : undefined;
    if (!task) throw new HttpError(404, `unknown task ${JSON.stringify(b.taskId)}`);
    const createdAt = now().toISOString();
    const rows: Judgment[] = [];
    if (task.type === 'likert') {
      const ratings = b.ratings as Record<string, unknown> | undefined;
      if (typeof ratings !== 'object' || ratings === null) throw new HttpError(400, 'a likert judgment needs "ratings"');
      for (const c of task.criteria) {
        const v = ratings[c];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 5) throw new HttpError(400, `rating for "${c}" must be an integer 1–5`);
        rows.push({ rater, taskId: task.id, kind: 'likert', criterion: c, rating: v, winner: null, leftSystem: null, rightSystem: null, system: task.system, createdAt });
      }
    } else {
      const choice = b.choice;
      if (choice !== 'left' && choice !== 'right' && choice !== 'tie') throw new HttpError(400, 'choice must be left, right or tie');
      const [l, r] = pairwiseSides(task, rater);
      rows.push({ rater, taskId: task.id, kind: 'pairwise', criterion: 'preference', rating: null, winner: choice === 'tie' ? 'tie' : choice === 'left' ? l : r, leftSystem: l, rightSystem: r, system: null, createdAt });
    }
    store.save(rows);
    return state(rater);
  };

  const send = (res: ServerResponse, status: number, body: string, type: string) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  };

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (req.method === 'GET' && url.pathname === '/') return send(res, 200, PAGE_HTML, 'text/html; charset=utf-8');
        if (req.method === 'GET' && url.pathname === '/api/next') return send(res, 200, JSON.stringify(state(checkRater(url.searchParams.get('rater')))), 'application/json');
        if (req.method === 'POST' && url.pathname === '/api/judge') return send(res, 200, JSON.stringify(judge(await readBody(req))), 'application/json');
        throw new HttpError(404, 'not found');
      } catch (err) {
        const status = err instanceof HttpError ? err.status : 500;
        send(res, status, JSON.stringify({ error: err instanceof Error ? err.message : String(err) }), 'application/json');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/`,
    port: addr.port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        store.close();
        resolve();
      });
    }),
  };
}
