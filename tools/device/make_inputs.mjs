#!/usr/bin/env node
// Writes tools/device/in/<check>/: files the @llm packages WROTE (HF folders, a PEFT adapter,
// tokenizer.json files, an ONNX export) and ours.json, the outputs @llm computed from them.
// tools/device/verify_outputs.py then loads each with the real library and compares.
// Run after `npm run setup` (uses the built packages): node tools/device/make_inputs.mjs
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, loadText, readSafetensors, tf } from '../../packages/core/dist/index.js';
import { Llama, loadPretrained, exportOnnx, modelFromHfConfig, AdamW, trainStep, causalLmLoss } from '../../packages/transformer/dist/index.js';
import { LoraAdapters, loraConfig } from '../../packages/lora/dist/index.js';
import { trainBpe, trainWordPiece } from '../../packages/tokenize/dist/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const IN = join(root, 'tools', 'device', 'in');
const REF = join(root, 'fixtures', 'reference');
await initBackend();

const tensorJson = (t) => ({ shape: t.shape, data: Array.from(t.dataSync()) });
async function inputsOf(name) {
  const { metadata } = await readSafetensors(join(REF, 'hf', name, 'expected.safetensors'));
  return JSON.parse(metadata.inputs);
}
function write(dir, ours) {
  writeFileSync(join(dir, 'ours.json'), JSON.stringify(ours));
  console.log(`wrote ${dir}`);
}

// 1. HF folders re-saved by our writer, and one model initialised and saved by us alone.
for (const [name, cls] of [['gpt2', 'GPT2LMHeadModel'], ['bert-mlm', 'BertForMaskedLM'], ['t5', 'T5ForConditionalGeneration'], ['llama', 'LlamaForCausalLM']]) {
  const dir = join(IN, `hf-${name}`);
  rmSync(dir, { recursive: true, force: true });
  const m = await loadPretrained(join(REF, 'hf', name));
  await m.save(dir);
  const inp = await inputsOf(name);
  let outputs;
  let inputs;
  if (name === 'bert-mlm') {
    inputs = { input_ids: inp.input_ids, token_type_ids: inp.token_type_ids, attention_mask: inp.attention_mask };
    outputs = { logits: tensorJson(m.mlmLogits({ inputIds: inp.input_ids, tokenTypeIds: inp.token_type_ids, attentionMask: inp.attention_mask })) };
  } else if (name === 't5') {
    inputs = { input_ids: inp.input_ids, attention_mask: inp.attention_mask, decoder_input_ids: inp.decoder_input_ids };
    const enc = m.encode(inp.input_ids, inp.attention_mask);
    outputs = { logits: tensorJson(m.decode(inp.decoder_input_ids, enc, inp.attention_mask)) };
  } else {
    inputs = { input_ids: inp.input_ids, attention_mask: inp.attention_mask };
    outputs = { logits: tensorJson(m.forward(inp.input_ids, { attentionMask: inp.attention_mask })) };
  }
  write(dir, { kind: 'hf', class: cls, inputs, outputs, ...(name === 't5' ? {} : { mask: inp.attention_mask }) });
  m.dispose();
}
{
  const dir = join(IN, 'hf-llama-ours');
  rmSync(dir, { recursive: true, force: true });
  const m = modelFromHfConfig({ model_type: 'llama', vocab_size: 64, hidden_size: 48, intermediate_size: 96, num_hidden_layers: 2, num_attention_heads: 6, num_key_value_heads: 2, max_position_embeddings: 32, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false, bos_token_id: 0, eos_token_id: 1 });
  m.initRandom(11);
  await m.save(dir);
  const ids = [[3, 9, 27, 4, 61, 2], [5, 5, 8, 13, 21, 34]];
  write(dir, { kind: 'hf', class: 'LlamaForCausalLM', inputs: { input_ids: ids }, outputs: { logits: tensorJson(m.forward(ids)) } });
  m.dispose();
}

// 2. A LoRA adapter trained by @llm/lora, loaded by PEFT onto the same base.
{
  const dir = join(IN, 'peft-lora');
  rmSync(dir, { recursive: true, force: true });
  const base = join('fixtures', 'reference', 'peft', 'llama-base');
  const m = await loadPretrained(join(root, base));
  const lora = new LoraAdapters(m);
  lora.add('default', loraConfig({ r: 4, lora_alpha: 16, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj'], lora_dropout: 0 }), { seed: 5 });
  const opt = new AdamW({ lr: 0.02, weightDecay: 0 });
  const batch = [[5, 17, 42, 3, 88, 9, 23, 61], [7, 11, 2, 95, 4, 3, 5, 8]];
  for (let s = 0; s < 10; s++) trainStep(lora.variables(), opt, 1, () => causalLmLoss(m, batch));
  await lora.save(join(dir, 'adapter'));
  const ids = [[5, 17, 42, 3, 88, 9, 23, 61]];
  write(dir, { kind: 'peft', base, inputs: { input_ids: ids }, logits: tensorJson(m.forward(ids)) });
}

// 3. tokenizer.json files trained by @llm/tokenize.
{
  const dir = join(IN, 'tokenizers');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lines = (await loadText('austen', 'emma')).split('\n').filter((l) => l.trim());
  const bpe = (await trainBpe(lines, { vocabSize: 1500, specialTokens: ['<|endoftext|>'] })).tokenizer;
  const wp = (await trainWordPiece(lines, { vocabSize: 1500, specialTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] })).tokenizer;
  await bpe.save(join(dir, 'bpe.json'));
  await wp.save(join(dir, 'wordpiece.json'));
  const samples = [...lines.slice(200, 260), 'EN el principio crió Dios los cielos y la tierra.', 'naïve café — 1999 ½ 日本語 🤗', '  spaces   and\ttabs\n', ''];
  write(dir, { kind: 'tokenizers', samples, tokenizers: { 'bpe.json': { ids: samples.map((s) => bpe.encode(s).ids) }, 'wordpiece.json': { ids: samples.map((s) => wp.encode(s).ids) } } });
}

// 4. An ONNX export of GPT-2 (KV-cache inputs, as transformers.js runs it).
{
  const dir = join(IN, 'onnx-gpt2');
  rmSync(dir, { recursive: true, force: true });
  const m = await loadPretrained(join(REF, 'hf', 'gpt2'));
  await exportOnnx(m, dir);
  const ids = [[5, 17, 42, 3, 88, 9, 23, 61]];
  write(dir, { kind: 'onnx', inputs: { input_ids: ids, attention_mask: [ids[0].map(() => 1)] }, logits: tensorJson(m.forward(ids)) });
}
tf.disposeVariables();
