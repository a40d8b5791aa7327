#!/usr/bin/env node
// Level 2 — prompting: zero-shot vs few-shot prompts for a tiny task (which Austen novel is a
// character from), rendered as text for a base model and as chat messages through a Jinja chat
// template (ChatML), sent to (a) the local Austen GPT from examples/level-2/gpt-austen (a base
// model: text completion, greedy) and (b) any OpenAI-compatible endpoint given with --endpoint
// (OpenAI with OPENAI_API_KEY, a llama.cpp / node-llama-cpp server with a GGUF, @llm/serve).
//
//   node examples/level-2/prompting/prompting.mjs [--model artifacts/gpt-austen] [--endpoint http://127.0.0.1:8080/v1 --endpoint-model NAME [--endpoint-mode chat|completions]]
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { initBackend } from '../../../packages/core/dist/index.js';
import { CHATML_TEMPLATE, OpenAiCompatibleClient, fewShotMessages, fewShotPrompt, loadAustenGpt, renderChatTemplate, sampleText, zeroShotPrompt } from '../../../packages/transformer/dist/index.js';
import { format, instruction, shots, tests } from './austen-characters.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const modelDir = opt('--model', join(process.cwd(), 'artifacts', 'gpt-austen'));
const endpoint = opt('--endpoint', undefined);


console.log('--- few-shot text prompt (base model) ---\n' + fewShotPrompt(shots, tests[0].input, format));
console.log('\n--- the same as chat messages through the ChatML template (@huggingface/jinja) ---\n' + renderChatTemplate({ source: CHATML_TEMPLATE, variables: {} }, fewShotMessages(shots, tests[0].input, instruction), { addGenerationPrompt: true }));

const norm = (s) => s.trim().split('\n')[0].trim().toLowerCase();
async function score(name, answer) {
  let ok = 0;
  for (const t of tests) {
    // An endpoint may refuse a prompt (e.g. longer than the model's context): a wrong answer, shown.
    const a = await answer(t).catch((err) => `(refused: ${(/"message":"([^"]*)/.exec(String(err.message))?.[1] ?? String(err.message)).slice(0, 70)})`);
    if (norm(a).startsWith(t.output.toLowerCase())) ok++;
    console.log(`  ${name.padEnd(22)} ${t.input.padEnd(18)} → ${JSON.stringify(norm(a).slice(0, 40))}`);
  }
  console.log(`  ${name}: ${ok}/${tests.length} correct`);
  return ok;
}

const results = {};
if (existsSync(join(modelDir, 'model.safetensors'))) {
  await initBackend();
  const g = await loadAustenGpt(modelDir);
  console.log(`\nlocal base model ${modelDir} (greedy):`);
  results.localZeroShot = await score('Austen GPT zero-shot', (t) => sampleText(g, zeroShotPrompt(t.input, format), { maxTokens: 24, temperature: 0 }));
  results.localFewShot = await score('Austen GPT few-shot', (t) => sampleText(g, fewShotPrompt(shots, t.input, format), { maxTokens: 24, temperature: 0 }));
  g.model.dispose();
} else console.log(`\n(no ${modelDir}: run examples/level-2/gpt-austen first)`);
if (endpoint) {
  const c = new OpenAiCompatibleClient({ baseUrl: endpoint, model: opt('--endpoint-model', 'gpt-3.5-turbo'), apiKey: process.env.OPENAI_API_KEY });
  console.log(`\nendpoint ${endpoint}:`);
  if (opt('--endpoint-mode', 'chat') === 'completions') {
    // A base model behind the endpoint: the plain-text prompts through /v1/completions.
    results.endpointZeroShot = await score('endpoint zero-shot', (t) => c.complete(zeroShotPrompt(t.input, format), { maxTokens: 16 }));
    results.endpointFewShot = await score('endpoint few-shot', (t) => c.complete(fewShotPrompt(shots, t.input, format), { maxTokens: 16 }));
  } else {
    results.endpointZeroShot = await score('endpoint zero-shot', (t) => c.chat(fewShotMessages([], t.input, instruction), { maxTokens: 16 }));
    results.endpointFewShot = await score('endpoint few-shot', (t) => c.chat(fewShotMessages(shots, t.input, instruction), { maxTokens: 16 }));
  }
}
console.log(JSON.stringify(results));
