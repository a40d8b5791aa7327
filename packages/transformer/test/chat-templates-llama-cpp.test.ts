// Chat templates rendered with @huggingface/jinja against llama.cpp's own expectations: the test
// cases of llama.cpp's tests/test-chat-template.cpp (template, the shared conversation, and the
// output llama.cpp's Jinja path must produce) and the model templates in models/templates, both
// taken from the llama.cpp source bundled in node-llama-cpp by
// tools/golden/transformer/llama-cpp-chat-templates.mjs (llama.cpp: MIT, The ggml authors).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError } from '@llm/core';
import { renderChatTemplate, supportsSystemRole, type TemplateMessage } from '../src/index.js';

const dir = join(__dirname, '..', 'fixtures', 'chat-templates');
interface Case { name: string; template: string; bosToken: string; eosToken: string; supportedWithJinja: boolean; extraConversation: TemplateMessage[]; expected: string }
const fx = JSON.parse(readFileSync(join(dir, 'llama-cpp-test-cases.json'), 'utf8')) as { source: string; conversation: TemplateMessage[]; cases: Case[] };
const models = JSON.parse(gunzipSync(readFileSync(join(dir, 'llama-cpp-model-templates.json.gz'))).toString('utf8')) as { templates: Array<{ file: string; template: string }> };
const jinjaCases = fx.cases.filter((c) => c.supportedWithJinja);

describe('chat templates vs llama.cpp test-chat-template.cpp', () => {
  it('has the fixture llama.cpp ships: 36 cases, the six-message conversation', () => {
    expect(fx.source).toMatch(/llama\.cpp .* node-llama-cpp/);
    expect(fx.cases.length).toBe(36);
    expect(jinjaCases.length).toBe(35);
    expect(fx.conversation.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
  });

  it.each(jinjaCases.map((c) => [c.name, c] as const))('%s renders exactly what llama.cpp expects', (_name, c) => {
    const out = renderChatTemplate({ source: c.template, variables: { bos_token: c.bosToken, eos_token: c.eosToken } }, [...fx.conversation, ...c.extraConversation], { addGenerationPrompt: true });
    expect(out).toBe(c.expected);
  });

  it('merges the system message into the first user turn only where the template cannot show it (as llama.cpp)', () => {
    const gemma = jinjaCases.find((c) => c.name === 'google/gemma-7b-it')!;
    const t = { source: gemma.template, variables: { bos_token: gemma.bosToken, eos_token: gemma.eosToken } };
    expect(supportsSystemRole(t)).toBe(false);
    // transformers' behaviour (no merging): the template's own raise_exception, as a FormatError.
    expect(() => renderChatTemplate(t, fx.conversation, { systemRole: 'keep' })).toThrow(FormatError);
    expect(() => renderChatTemplate(t, fx.conversation, { systemRole: 'keep' })).toThrow(/System role not supported/);
    const chatml = jinjaCases.find((c) => c.name.startsWith('teknium/OpenHermes'))!;
    expect(supportsSystemRole({ source: chatml.template, variables: {} })).toBe(true);
    // A lone system message with a template that cannot show it is dropped.
    expect(renderChatTemplate(t, [{ role: 'system', content: 'S' }], { addGenerationPrompt: true })).toBe('<start_of_turn>model\n');
  });

  it('renders the conversation with the model templates in models/templates (tool-use ones given tools: [])', () => {
    const failed: string[] = [];
    for (const m of models.templates) {
      try {
        const out = renderChatTemplate({ source: m.template, variables: { bos_token: '<s>', eos_token: '</s>' } }, fx.conversation, { addGenerationPrompt: true, context: { tools: [] } });
        for (const msg of fx.conversation) expect(out, m.file).toContain(msg.content.trim());
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        failed.push(m.file);
      }
    }
    expect(models.templates.length).toBe(68);
    // What @huggingface/jinja cannot run, or what needs llama.cpp-only context: integer dict keys
    // (Seed-OSS), a `functions` string (firefunction), a host function (Hy3).
    expect(failed.sort()).toEqual(['ByteDance-Seed-OSS.jinja', 'fireworks-ai-llama-3-firefunction-v2.jinja', 'tencent-Hy3.jinja'].sort());
  });
});
