import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '@llm/core';
import { buildReport } from './report.js';
import { pairwiseSides, raterOrder, startHumanEvalServer, type ClientState, type HumanEvalServer } from './server.js';
import { JudgmentStore } from './store.js';
import { parseTasks, type HumanTask } from './tasks.js';

const TASKS = [
  { id: 'l1', type: 'likert', prompt: 'Translate: Hola', output: 'Hello', system: 'mt-a', criteria: ['fluency', 'adequacy'] },
  { id: 'l2', type: 'likert', prompt: 'Translate: Adiós', output: 'Bye bye', system: 'mt-b', criteria: ['fluency', 'adequacy'] },
  { id: 'p1', type: 'pairwise', prompt: 'Summarise: The cat sat on the mat.', outputs: { 'mt-a': 'A cat sat.', 'mt-b': 'Mat.' } },
  { id: 'p2', type: 'pairwise', prompt: 'Summarise: It rained all day.', outputs: { 'mt-a': 'Rain all day.', 'mt-b': 'Sunny.' } },
].map((t) => JSON.stringify(t)).join('\n');

const dir = mkdtempSync(join(tmpdir(), 'llm-eval-human-'));

describe('task files', () => {
  it('parses JSONL and rejects bad tasks with their line', () => {
    expect(parseTasks(TASKS)).toHaveLength(4);
    try {
      parseTasks(`${TASKS}\n{"id": "x", "type": "pairwise", "prompt": "p", "outputs": {"a": "1"}}`, 'tasks.jsonl');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).location).toMatchObject({ file: 'tasks.jsonl', line: 5, field: 'outputs' });
    }
    expect(() => parseTasks('{"id": "a", "prompt": "p", "output": "o"}\n{"id": "a", "prompt": "p", "output": "o"}')).toThrow(/duplicate/);
  });
});

describe('human evaluation server (HTTP API)', () => {
  const tasks: HumanTask[] = parseTasks(TASKS);
  let server: HumanEvalServer;
  const db = join(dir, 'api.sqlite');
  beforeAll(async () => { server = await startHumanEvalServer({ tasks, dbPath: db }); });
  afterAll(async () => { await server.close(); });
  const next = async (rater: string) => (await (await fetch(`${server.url}api/next?rater=${encodeURIComponent(rater)}`)).json()) as ClientState;
  const judge = async (body: unknown) => fetch(`${server.url}api/judge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('serves tasks in a per-rater shuffled order, blind, and resumes', async () => {
    const s = await next('alice');
    expect(s.progress).toEqual({ done: 0, total: 4 });
    expect(s.task!.id).toBe(raterOrder(tasks, 'alice')[0]!.id);
    const orders = ['alice', 'bob', 'carol', 'dave', 'erin'].map((r) => raterOrder(tasks, r).map((t) => t.id).join());
    expect(new Set(orders).size).toBeGreaterThan(1);
    // Blind: no system names leave the server.
    for (const r of ['alice', 'bob']) expect(JSON.stringify(await next(r))).not.toMatch(/mt-a|mt-b/);
    // Judge everything as alice, answering the page's questions.
    for (let i = 0; i < 4; i++) {
      const st = await next('alice');
      const t = st.task!;
      const res = t.type === 'likert' ? await judge({ rater: 'alice', taskId: t.id, ratings: { fluency: 4, adequacy: 5 } }) : await judge({ rater: 'alice', taskId: t.id, choice: 'left' });
      expect(res.status).toBe(200);
    }
    expect(await next('alice')).toMatchObject({ done: true, progress: { done: 4, total: 4 } });
    // Bad judgments are refused.
    expect((await judge({ rater: 'bob', taskId: 'l1', ratings: { fluency: 6, adequacy: 1 } })).status).toBe(400);
    expect((await judge({ rater: 'bob', taskId: 'nope', choice: 'tie' })).status).toBe(404);
    expect((await judge({ rater: '', taskId: 'p1', choice: 'tie' })).status).toBe(400);
  });

  it('stores judgments with rater, time and the system that was on the chosen side', async () => {
    const store = JudgmentStore.open(db);
    const js = store.all();
    store.close();
    expect(js.filter((j) => j.rater === 'alice')).toHaveLength(2 * 2 + 2);
    for (const j of js) expect(Number.isNaN(Date.parse(j.createdAt))).toBe(false);
    const p1 = js.find((j) => j.taskId === 'p1')!;
    expect(p1.winner).toBe(pairwiseSides(tasks[2] as HumanTask & { type: 'pairwise' }, 'alice')[0]);
    expect(p1.leftSystem).toBe(p1.winner);
  });
});

describe('report', () => {
  it('means with CIs, win rates and agreement', () => {
    const tasks = parseTasks(TASKS);
    const t0 = '2026-01-01T00:00:00.000Z';
    const js = [
      ...['r1', 'r2'].flatMap((rater) => [
        { rater, taskId: 'l1', kind: 'likert' as const, criterion: 'fluency', rating: rater === 'r1' ? 4 : 5, winner: null, leftSystem: null, rightSystem: null, system: 'mt-a', createdAt: t0 },
        { rater, taskId: 'l2', kind: 'likert' as const, criterion: 'fluency', rating: 2, winner: null, leftSystem: null, rightSystem: null, system: 'mt-b', createdAt: t0 },
        { rater, taskId: 'p1', kind: 'pairwise' as const, criterion: 'preference', rating: null, winner: 'mt-a', leftSystem: 'mt-a', rightSystem: 'mt-b', system: null, createdAt: t0 },
        { rater, taskId: 'p2', kind: 'pairwise' as const, criterion: 'preference', rating: null, winner: rater === 'r1' ? 'mt-a' : 'tie', leftSystem: 'mt-b', rightSystem: 'mt-a', system: null, createdAt: t0 },
      ]),
    ];
    const r = buildReport(tasks, js);
    expect(r.raters).toEqual(['r1', 'r2']);
    expect(r.likert.find((l) => l.system === 'mt-a')!.mean).toBe(4.5);
    expect(r.pairwise[0]).toMatchObject({ systemA: 'mt-a', systemB: 'mt-b', winsA: 3, winsB: 0, ties: 1 });
    expect(r.pairwise[0]!.winRateA.mean).toBeCloseTo(3.5 / 4, 12);
    expect(r.agreement.preference!.cohensKappa).toBeDefined();
    expect(r.agreement['likert:fluency']!.items).toBe(2);
  });
});

const CHROMIUM = '/usr/bin/chromium';
describe.skipIf(!existsSync(CHROMIUM))(`end to end in headless Chromium (${CHROMIUM}; skipped when absent — apt-get install chromium)`, () => {
  it('a rater judges every task in the browser, stops, and resumes where they left off', async () => {
    const { chromium } = await import('playwright-core');
    const db = join(dir, 'browser.sqlite');
    const taskFile = join(dir, 'tasks.jsonl');
    writeFileSync(taskFile, TASKS);
    const server = await startHumanEvalServer({ tasks: parseTasks(TASKS), dbPath: db });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const judgeOne = async (page: import('playwright-core').Page) => {
        await page.waitForSelector('#work:not(.hidden)');
        if (await page.isVisible('#likert')) {
          await page.check('input[name="crit-fluency"][value="4"]');
          expect(await page.isDisabled('#submit')).toBe(true);
          await page.check('input[name="crit-adequacy"][value="3"]');
          await page.click('#submit');
        } else {
          const left = await page.textContent('#left-output');
          expect(['A cat sat.', 'Mat.', 'Rain all day.', 'Sunny.']).toContain(left);
          await page.click(left === 'A cat sat.' || left === 'Rain all day.' ? '#choose-left' : '#choose-right');
        }
      };
      let page = await browser.newPage();
      await page.goto(server.url);
      await page.fill('#rater', 'zoe');
      await page.click('#start');
      await page.waitForFunction("document.getElementById('progress').textContent === '0 of 4 judged'");
      await judgeOne(page);
      await page.waitForFunction("document.getElementById('progress').textContent === '1 of 4 judged'");
      await judgeOne(page);
      await page.waitForFunction("document.getElementById('progress').textContent === '2 of 4 judged'");
      await page.close();
      // Come back later: the page resumes at task 3 of 4.
      page = await browser.newPage();
      await page.goto(`${server.url}?rater=zoe`);
      await page.waitForFunction("document.getElementById('progress').textContent === '2 of 4 judged'");
      await judgeOne(page);
      await page.waitForFunction("document.getElementById('progress').textContent === '3 of 4 judged'");
      await judgeOne(page);
      await page.waitForSelector('#done:not(.hidden)');
    } finally {
      await browser.close();
      await server.close();
    }
    const store = JudgmentStore.open(db);
    const js = store.all();
    store.close();
    expect(js.filter((j) => j.kind === 'likert')).toHaveLength(4);
    const pair = js.filter((j) => j.kind === 'pairwise');
    expect(pair).toHaveLength(2);
    // The rater always chose the better output, whichever side it was shown on.
    expect(pair.map((j) => j.winner)).toEqual(['mt-a', 'mt-a']);
    const report = buildReport(parseTasks(TASKS), js);
    expect(report.pairwise[0]).toMatchObject({ winsA: 2, winsB: 0, ties: 0 });
  });
});
