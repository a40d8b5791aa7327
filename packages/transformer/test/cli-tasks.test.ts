import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '@llm/core';
import { runCli } from './helpers.js';
import { parseSquad, saveBertQa, saveT5, saveTranslator, setTaskScorers, trainBertQa, trainT5, trainTranslator, type ParallelPair } from '../src/index.js';

const run = runCli;

let dir = '';
beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(join(tmpdir(), 'cli-tasks-'));
});
afterAll(async () => {
  setTaskScorers({});
  await rm(dir, { recursive: true, force: true });
});

describe('llm transformer task commands', () => {
  it('translate: a saved translator folder answers with a sentence', async () => {
    const pairs: ParallelPair[] = ['casa', 'perro', 'gato', 'agua', 'sol', 'luna'].map((w, i) => ({ ref: `T 1:${i}`, book: 'T', src: `el ${w}`, tgt: `the ${['house', 'dog', 'cat', 'water', 'sun', 'moon'][i]}` }));
    const t = await trainTranslator({ pairs, heldOutBooks: [], vocabSize: 280, dModel: 16, heads: 2, layers: 1, dFf: 32, steps: 3, batchSize: 6, evalPairs: 4 });
    await saveTranslator(join(dir, 'tr'), t);
    t.model.dispose();
    const { json, code } = await run(['translate', '--model', join(dir, 'tr'), '--text', 'el perro', '--beam', '2', '--max-tokens', '5']);
    expect(code).toBe(0);
    expect(typeof json.translation).toBe('string');
  }, 30_000);

  it('qa: one question, and a SQuAD file to official-layout predictions; bad flag combinations are user errors', async () => {
    const squad = { version: '1.1', data: [{ title: 't', paragraphs: [{ context: 'The cat sat on the mat near the door.', qas: [{ id: 'a', question: 'Where did the cat sit?', answers: [{ text: 'on the mat', answer_start: 8 }] }] }] }] };
    const ex = parseSquad(squad);
    const qa = await trainBertQa(ex, ex, { text: 'the cat sat on the mat near the door. '.repeat(20), vocabSize: 120, hiddenSize: 16, layers: 1, heads: 2, maxLen: 32, docStride: 8, mlmSteps: 2, qaSteps: 2, batchSize: 2 });
    await saveBertQa(join(dir, 'qa'), qa);
    qa.model.dispose();
    await writeFile(join(dir, 'ctx.txt'), 'The cat sat on the mat near the door.');
    await writeFile(join(dir, 'squad.json'), JSON.stringify(squad));
    const one = await run(['qa', '--model', join(dir, 'qa'), '--context', join(dir, 'ctx.txt'), '--question', 'Where did the cat sit?']);
    expect(one.code).toBe(0);
    expect('The cat sat on the mat near the door.').toContain(one.json.answer as string);
    const many = await run(['qa', '--model', join(dir, 'qa'), '--data', join(dir, 'squad.json'), '--out', join(dir, 'pred.json')]);
    expect(many.code).toBe(0);
    const pred = JSON.parse(await readFile(join(dir, 'pred.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(pred)).toEqual(['a']);
    expect((await run(['qa', '--model', join(dir, 'qa'), '--data', join(dir, 'squad.json')])).code).toBe(2);
    expect((await run(['qa', '--model', join(dir, 'qa'), '--question', 'x'])).code).toBe(2);
  }, 30_000);

  it('eval --task translate rejects an unknown --domain as a user error', async () => {
    const r = await run(['eval', '--model', join(dir, 'tr'), '--task', 'translate', '--domain', 'news']);
    expect(r.code).toBe(2);
  }, 30_000);

  it('eval --task t5: the held-out books of t5.json, hypotheses and references written', async () => {
    const pairs: ParallelPair[] = ['casa', 'perro', 'gato', 'agua'].map((w, i) => ({ ref: `T 1:${i}`, book: 'T', src: `el ${w}`, tgt: `the ${['house', 'dog', 'cat', 'water'][i]}` }));
    const t = await trainT5({ pairs, heldOutBooks: [], vocabSize: 280, dModel: 16, heads: 2, layers: 1, dFf: 32, steps: 2, batchSize: 4, evalPairs: 2 });
    await saveT5(join(dir, 't5'), t, { heldOutBooks: ['Jonah'] });
    t.model.dispose();
    const out = join(dir, 't5-eval');
    const r = await run(['eval', '--model', join(dir, 't5'), '--task', 't5', '--limit', '2', '--beam', '1', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ task: 't5', heldOutBooks: ['Jonah'], sentences: 2 });
    expect((await readFile(join(out, 'references.txt'), 'utf8')).split('\n')[0]).toMatch(/Jonah|Yahweh|word/);
    expect((await readFile(join(out, 'hypotheses.txt'), 'utf8')).split('\n')).toHaveLength(3);
  }, 60_000);

  it('train rejects an unknown task as a user error', async () => {
    expect((await run(['train', '--task', 'nope', '--out', join(dir, 'x')])).code).toBe(2);
  });
});
