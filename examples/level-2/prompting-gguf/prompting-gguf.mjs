#!/usr/bin/env node
// Level 2 — prompting an open model through llama.cpp: the Austen GPT (an HF-layout LLaMA folder)
// becomes a GGUF with a chat template embedded (`tokenizer.chat_template`), llama.cpp runs it through
// node-llama-cpp, and the same prompts go to it and to our own TypeScript forward pass:
//   1. chat templates: the conversation rendered by llama.cpp's side (node-llama-cpp's Jinja wrapper,
//      reading the template from the GGUF) and by ours (@huggingface/jinja, reading the HF folder's
//      tokenizer_config.json) — they must be the same string;
//   2. zero-shot and few-shot prompts (which Austen novel is this character from?) sent to the GGUF
//      (F32 and Q8_0) and to @llm/transformer, greedy: answers, accuracy, and whether llama.cpp's
//      greedy continuation equals ours token for token;
//   3. tokens/s of each.
//
//   node examples/level-2/gpt-austen/gpt-austen.mjs        # first: artifacts/gpt-austen
//   node examples/level-2/prompting-gguf/prompting-gguf.mjs [--model DIR] [--template chatml|llama2|zephyr] [--threads 1]
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../packages/core/dist/index.js';
import { LlamaCppModel, convertHfLlama } from '../../../packages/quant/dist/index.js';
import { CHATML_TEMPLATE, fewShotMessages, fewShotPrompt, loadChatTemplate, loadLanguageModel, renderChatTemplate, zeroShotPrompt } from '../../../packages/transformer/dist/index.js';
import { format, instruction, shots, tests } from '../prompting/austen-characters.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const modelDir = opt('model', join(process.cwd(), 'artifacts', 'gpt-austen'));
// One thread by default: llama.cpp's workers spin while they wait, which is ruinous on a busy 2-core machine.
const threads = Number(opt('threads', '1'));
const which = opt('template', 'chatml');
if (!existsSync(join(modelDir, 'model.safetensors'))) {
  console.error(`no model at ${modelDir}: run node examples/level-2/gpt-austen/gpt-austen.mjs first (or pass --model DIR)`);
  process.exit(2);
}

// Three widely used chat-template shapes, written as Jinja like the tokenizer_config.json files that carry them.
const TEMPLATES = {
  chatml: CHATML_TEMPLATE,
  llama2:
    "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}{% set messages = messages[1:] %}{% else %}{% set system = '' %}{% endif %}" +
    "{% for message in messages %}{% if message['role'] == 'user' %}{% if loop.first and system %}{{ bos_token + '[INST] <<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' + message['content'] + ' [/INST]' }}" +
    "{% else %}{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}{% endif %}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + ' ' + eos_token }}{% endif %}{% endfor %}",
  zephyr:
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}",
};
if (!TEMPLATES[which]) { console.error(`--template must be one of ${Object.keys(TEMPLATES).join(', ')}`); process.exit(2); }

// A copy of the folder with the template in tokenizer_config.json, as an HF chat model ships it.
const work = mkdtempSync(join(tmpdir(), 'prompting-gguf-'));
const dir = join(work, 'model');
cpSync(modelDir, dir, { recursive: true });
writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: TEMPLATES[which], bos_token: '<|endoftext|>', eos_token: '<|endoftext|>' }, null, 2));

await initBackend();
const ours = await loadLanguageModel(dir);
const ggufs = {};
for (const type of ['F32', 'Q8_0']) {
  const out = join(work, `austen-${type.toLowerCase()}.gguf`);
  const t0 = Date.now();
  await convertHfLlama(dir, out, { type });
  ggufs[type] = await LlamaCppModel.load(out, { threads });
  console.log(`${type}: ${out} (converted in ${((Date.now() - t0) / 1000).toFixed(1)} s; llama.cpp ${threads} threads)`);
}

// 1. The chat template, rendered on both sides.
const messages = [{ role: 'system', content: instruction }, ...fewShotMessages(shots, tests[0].input).filter((m) => m.role !== 'system')];
const oursChat = renderChatTemplate(await loadChatTemplate(dir), messages, { addGenerationPrompt: true });
const llamaChat = ggufs.F32.applyChatTemplate(messages, { addGenerationPrompt: true });
console.log(`\n--- ${which} template, rendered by @huggingface/jinja from tokenizer_config.json ---\n${oursChat}`);
console.log(`--- the same conversation rendered by node-llama-cpp from the GGUF's tokenizer.chat_template: ${llamaChat === oursChat ? 'IDENTICAL' : 'DIFFERENT'} ---`);
if (llamaChat !== oursChat) console.log(llamaChat);

// 2. Zero-shot and few-shot prompts, greedy, on each engine.

const norm = (s) => s.trim().split('\n')[0].trim();
const gen = { maxTokens: 16, temperature: 0 };
const engines = { 'ours (TS, f32)': ours, 'llama.cpp F32': ggufs.F32, 'llama.cpp Q8_0': ggufs.Q8_0 };
// A small model has a short context: keep the end of a long prompt (the question must stay), the
// same string for every engine.
const fit = (prompt) => {
  const budget = ours.contextLength - gen.maxTokens;
  if (ours.tokenize(prompt).length <= budget) return prompt;
  let lo = 0, hi = prompt.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ours.tokenize(prompt.slice(mid)).length <= budget) hi = mid; else lo = mid + 1;
  }
  return prompt.slice(lo);
};
const rows = [];
const texts = {};
// Plain continuation of Austen-like openings: what a base model is good at (no "correct" answer).
const openings = ['It is a truth universally acknowledged', 'Emma Woodhouse, handsome, clever, and rich,', 'Mr. Darcy', 'The family of Dashwood', 'Sir Walter Elliot', 'No one who had ever seen Catherine Morland'];
const suites = [
  ['zero-shot', (t) => zeroShotPrompt(t.input, format), tests],
  ['few-shot', (t) => fewShotPrompt(shots, t.input, format), tests],
  ['continue', (t) => t.input, openings.map((o) => ({ input: o, output: '\u0000' }))],
];
for (const [mode, build, items] of suites) {
  for (const [name, lm] of Object.entries(engines)) {
    let ok = 0, tokens = 0, ms = 0;
    const outs = [];
    for (const t of items) {
      const t0 = performance.now();
      const r = await lm.generate(fit(build(t)), gen);
      ms += performance.now() - t0;
      tokens += r.usage?.completionTokens ?? lm.tokenize(r.text).length;
      outs.push(r.text);
      if (norm(r.text).toLowerCase().startsWith(t.output.toLowerCase())) ok++;
    }
    texts[`${mode}/${name}`] = outs;
    rows.push({ mode, name, ok: mode === 'continue' ? '–' : `${ok}/${items.length}`, tps: (tokens / ms) * 1000, first: norm(outs[0]).slice(0, 40) });
  }
}
console.log(`\ncontext ${ours.contextLength} tokens: prompts longer than ${ours.contextLength - gen.maxTokens} keep their end`);
console.log('\nprompt     engine            correct  tokens/s  first output (Emma Woodhouse → / It is a truth… →)');
for (const r of rows) console.log(`${r.mode.padEnd(10)} ${r.name.padEnd(17)} ${r.ok.padStart(7)}  ${r.tps.toFixed(0).padStart(8)}  ${JSON.stringify(r.first)}`);
for (const mode of ['zero-shot', 'few-shot', 'continue']) {
  const a = texts[`${mode}/ours (TS, f32)`];
  const b = texts[`${mode}/llama.cpp F32`];
  const same = a.filter((x, i) => x === b[i]).length;
  console.log(`${mode}: llama.cpp F32 continuation identical to ours for ${same}/${a.length} prompts`);
  if (process.env.DEBUG_PROMPTS) a.forEach((x, i) => x !== b[i] && console.log(`  ours ${JSON.stringify(x)}\n  cpp  ${JSON.stringify(b[i])}`));
}
for (const m of Object.values(ggufs)) await m.dispose();
