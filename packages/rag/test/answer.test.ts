import { describe, expect, it } from 'vitest';
import type { ChatMessage, GenerateResult, LanguageModel, StreamChunk } from '@llm/core';
import { DONT_KNOW, extractiveAnswer, generateAnswer, type RetrievedChunk } from '../src/index.js';

/** Test double: streams a fixed answer word by word and records the prompt. */
class Scripted implements LanguageModel {
  readonly id = 'scripted';
  readonly vocabSize = 1;
  readonly contextLength = 4096;
  prompt = '';
  constructor(private readonly text: string) {}
  async nextTokenLogits() { return { logits: new Float32Array(1) }; }
  tokenize(t: string) { return t.split(' ').map((_, i) => i); }
  applyChatTemplate(m: readonly ChatMessage[]) { return m.map((x) => `${x.role}: ${x.content}`).join('\n'); }
  async generate(): Promise<GenerateResult> { return { text: this.text, tokens: [], finishReason: 'stop', usage: { promptTokens: 0, completionTokens: 0 } }; }
  async *stream(prompt: string): AsyncIterable<StreamChunk> {
    this.prompt = prompt;
    const words = this.text.split(' ');
    for (let i = 0; i < words.length; i++) yield { text: (i ? ' ' : '') + words[i], token: i };
  }
}

const chunks: RetrievedChunk[] = [
  { id: 'faq#1', source: 'faq.pdf', ordinal: 1, page: 10, text: 'The Debian Project was created by Ian Murdock in 1993, initially under the sponsorship of the FSF.', metadata: {}, score: 3, rank: 1 },
  { id: 'faq#2', source: 'faq.pdf', ordinal: 2, page: 51, text: 'You can use cron-apt; this tool updates the system at regular intervals using a cron job.', metadata: {}, score: 2, rank: 2 },
];

describe('generated answers are checked sentence by sentence (@llm/eval support scores)', () => {
  it('keeps supported sentences with their citations and flags or removes the rest', async () => {
    const model = new Scripted('Ian Murdock created the Debian Project in 1993 [1]. It was funded by a large bank in Zurich [2].');
    const a = await generateAnswer('Who created Debian?', chunks, model);
    expect(model.prompt).toContain('[1] (faq.pdf, p. 10)');
    expect(a.sentences.map((s) => s.supported)).toEqual([true, false]);
    expect(a.sentences[0]!.cites).toEqual([1]);
    expect(a.answer).toContain('(unsupported)');
    expect(a.citations.map((c) => [c.n, c.page])).toEqual([[1, 10], [2, 51]]);
    const strict = await generateAnswer('Who created Debian?', chunks, new Scripted('Ian Murdock created the Debian Project in 1993 [1]. It was funded by a large bank in Zurich [2].'), { removeUnsupported: true });
    expect(strict.answer).toBe('Ian Murdock created the Debian Project in 1993 [1].');
    expect(strict.citations.map((c) => c.n)).toEqual([1]);
  });

  it('treats a fragment without content words as unsupported, so an answer of only fragments abstains', async () => {
    const model = new Scripted('t/. [1].');
    // The passage contains "t" as a token (from "isn't"), so a bag-of-words scorer alone would support "t/.".
    const passages: RetrievedChunk[] = [{ ...chunks[0]!, text: "Debian isn't a company; it is a project of volunteers." }];
    const a = await generateAnswer('Who created Debian?', passages, model, { removeUnsupported: true });
    expect(a.sentences.every((s) => !s.supported && s.support === 0)).toBe(true);
    expect(a.abstained).toBe(true);
    expect(a.answer).toBe(DONT_KNOW);
  });

  it('says it does not know when nothing was retrieved', async () => {
    const a = await generateAnswer('Anything?', [], new Scripted('made up'));
    expect(a.abstained).toBe(true);
    expect(a.answer).toBe(DONT_KNOW);
  });
});

describe('extractive answers', () => {
  const chunk = (n: number, text: string): RetrievedChunk => ({ id: `ref#${n}`, source: 'ref.pdf', ordinal: n, page: n, text, metadata: {}, score: 1, rank: n });

  it('quotes the sentence holding the rare question terms, not the one sharing more common ones', () => {
    // By plain overlap the first sentence wins (debian, package, tool: 3 terms against 2); weighted by
    // how rare each term is among the passages' sentences, the one about monitoring disks does.
    const passages = [chunk(1, 'Debian package tools are many on Debian. The smartd daemon monitors disks. Debian package tools install software. Debian package tools remove software.')];
    const a = extractiveAnswer('Which Debian package tool monitors disks?', passages);
    expect(a.citations[0]!.quote).toMatch(/^The smartd daemon monitors disks\./);
  });

  it('adds the short sentence that follows (often the command it introduces), but not a long one', () => {
    const short = extractiveAnswer('How do I shut down the system from the commandline?', [chunk(1, 'You can shut down the system from the commandline by the following. # shutdown -h now. Other text about something else entirely.')]);
    expect(short.citations[0]!.quote).toBe('You can shut down the system from the commandline by the following. # shutdown -h now.');
    const long = extractiveAnswer('How do I shut down the system from the commandline?', [chunk(1, `You can shut down the system from the commandline by the following. ${'Many unrelated words follow here and continue for quite a while '.repeat(3)}now.`)]);
    expect(long.citations[0]!.quote).toBe('You can shut down the system from the commandline by the following.');
  });

  it('prefers the better-ranked passage on a near tie, and abstains without shared content words', () => {
    const two = [chunk(1, 'The backup tool bacula saves files over the network.'), chunk(2, 'The backup tool amanda saves files over the network daily.')];
    expect(extractiveAnswer('Which backup tool saves files over the network?', two).citations[0]!.n).toBe(1);
    const off = extractiveAnswer('What is the airspeed velocity of an unladen swallow?', two);
    expect(off.abstained).toBe(true);
    expect(off.answer).toBe(DONT_KNOW);
  });
});
