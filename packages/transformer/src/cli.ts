/**
 * `llm transformer …` subcommands:
 *
 * - `generate --model DIR (--prompt TEXT | --ids 1,2,3) [--max-tokens N] [--temperature T] [--top-p P] [--top-k K] [--repetition-penalty R] [--stop S] [--seed S]`
 * - `logits --model DIR (--text TEXT | --ids 1,2,3)`: last-position logits and the top 10
 * - `export-onnx --model DIR --out DIR`: GPT-2 / BERT to `OUT/onnx/model.onnx`
 * - `info --model DIR`: architecture, parameter count, context length
 * - `train --task translate|lm|mlm|qa|t5 [--config FILE] --out DIR`: the exercises' trainers (`tasks/`)
 * - `translate --model DIR --text TEXT [--beam 4]`: a translator folder
 * - `eval --model DIR --task translate|lm|qa [--out DIR]`: held-out loss/perplexity, plus BLEU/chrF or
 *   EM/F1 when metrics are registered with `setTaskScorers` (`@llm/cli` wires `@llm/eval`)
 * - `qa --model DIR --context FILE --question TEXT`, or `qa --model DIR --data SQUAD.json --out PRED.json`
 *
 * Text needs a tokenizer loader (`setTokenizerLoader`, wired by `@llm/cli` to `@llm/tokenize`);
 * `--ids` works without one.
 */
import type { Command } from 'commander';
import { InputError, commandAction } from '@llm/core';

function parseIds(s: string): number[] {
  const ids = s.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (ids.length === 0 || !ids.every((n) => Number.isInteger(n) && n >= 0)) throw new InputError(`--ids must be comma-separated non-negative integers, got '${s}'`, { field: '--ids' });
  return ids;
}

/**
 * Score translations with the registered BLEU/chrF (null without `@llm/eval`) and, with `out`, write
 * one hypothesis and one reference per line (a newline the model generates becomes a space).
 */
async function scoreTranslations(hypotheses: readonly string[], refs: readonly string[], out: string | undefined): Promise<{ bleu: number | null; chrf: number | null }> {
  const { writeFileAtomic } = await import('@llm/core');
  const { taskScorers } = await import('./tasks/scorers.js');
  const hyps = hypotheses.map((h) => h.replace(/\s*[\r\n]+\s*/g, ' '));
  if (out) {
    const { join } = await import('node:path');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out, { recursive: true });
    await writeFileAtomic(join(out, 'hypotheses.txt'), hyps.join('\n') + '\n');
    await writeFileAtomic(join(out, 'references.txt'), refs.join('\n') + '\n');
  }
  const sc = taskScorers();
  return { bleu: sc.bleu ? sc.bleu(hyps, [...refs]) : null, chrf: sc.chrf ? sc.chrf(hyps, [...refs]) : null };
}

function num(name: string, v: string | undefined, int = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n))) throw new InputError(`${name} must be ${int ? 'an integer' : 'a number'}, got '${v}'`, { field: name });
  return n;
}

interface GenerateFlags { model: string; prompt?: string; ids?: string; maxTokens?: string; temperature?: string; topP?: string; topK?: string; repetitionPenalty?: string; stop?: string[]; seed?: string; backend: string }

/** Add `transformer` and its subcommands to `program`. */
export function register(program: Command): void {
  const tr = program.command('transformer').description('GPT-2 / BERT / T5 / LLaMA from Hugging Face folders: generate, logits, export-onnx, info');

  commandAction(
    tr.command('generate').description('continue a prompt with a GPT-2 or LLaMA folder')
      .requiredOption('--model <dir>', 'HF model folder (config.json + model.safetensors)')
      .option('--prompt <text>', 'prompt text (needs the tokenizer)')
      .option('--ids <ids>', 'prompt token ids, comma-separated')
      .option('--max-tokens <n>', 'new tokens at most', '32')
      .option('--temperature <t>', '0 = greedy', '1')
      .option('--top-p <p>', 'nucleus mass')
      .option('--top-k <k>', 'keep the k most likely tokens')
      .option('--repetition-penalty <r>', 'HF repetition penalty')
      .option('--stop <s...>', 'stop strings')
      .option('--seed <s>', 'sampling seed', '0')
      .option('--backend <b>', 'tfjs, or onnx for a folder exported with export-onnx', 'tfjs'),
    async (cmd: Command) => {
      const o = cmd.opts<GenerateFlags>();
      if (o.backend !== 'tfjs' && o.backend !== 'onnx') throw new InputError(`--backend must be tfjs or onnx, got '${o.backend}'`, { field: '--backend' });
      if ((o.prompt === undefined) === (o.ids === undefined)) throw new InputError('give exactly one of --prompt or --ids', { field: '--prompt' });
      const { initBackend } = await import('@llm/core');
      await initBackend();
      const opts = {
        maxTokens: num('--max-tokens', o.maxTokens, true), temperature: num('--temperature', o.temperature), topP: num('--top-p', o.topP),
        topK: num('--top-k', o.topK, true), repetitionPenalty: num('--repetition-penalty', o.repetitionPenalty), seed: num('--seed', o.seed, true), stop: o.stop,
      };
      if (o.prompt !== undefined) {
        const { loadLanguageModel } = await import('./load.js');
        const lm = await loadLanguageModel(o.model, { backend: o.backend as 'tfjs' | 'onnx' });
        try {
          const r = await lm.generate(o.prompt, opts);
          return { json: { model: o.model, prompt: o.prompt, text: r.text, tokens: r.tokens, finishReason: r.finishReason, usage: r.usage }, human: o.prompt + r.text };
        } finally {
          lm.model.dispose();
        }
      }
      const { loadCausalLM } = await import('./hub.js');
      const { generateIds } = await import('./generate.js');
      const model = o.backend === 'onnx' ? await (await import('./onnx/runtime.js')).OnnxCausalLM.load(o.model) : await loadCausalLM(o.model);
      try {
        const prompt = parseIds(o.ids!);
        for (const id of prompt) if (id >= model.vocabSize) throw new InputError(`token id ${id} is outside the vocabulary (vocab_size ${model.vocabSize})`, { field: '--ids' });
        const tokens: number[] = [];
        const it = generateIds(model, prompt, opts);
        let r = await it.next();
        while (!r.done) { tokens.push(r.value); r = await it.next(); }
        return { json: { model: o.model, ids: prompt, tokens, finishReason: r.value }, human: tokens.join(',') };
      } finally {
        model.dispose();
      }
    },
  );

  commandAction(
    tr.command('logits').description('next-token logits after a text or ids')
      .requiredOption('--model <dir>', 'HF model folder')
      .option('--text <text>', 'input text (needs the tokenizer)')
      .option('--ids <ids>', 'input token ids, comma-separated'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; text?: string; ids?: string }>();
      if ((o.text === undefined) === (o.ids === undefined)) throw new InputError('give exactly one of --text or --ids', { field: '--text' });
      const { initBackend } = await import('@llm/core');
      await initBackend();
      const { loadCausalLM } = await import('./hub.js');
      const { nextTokenLogits } = await import('./generate.js');
      const { loadTokenizer } = await import('./load.js');
      const model = await loadCausalLM(o.model);
      try {
        const ids = o.ids !== undefined ? parseIds(o.ids) : (await loadTokenizer(o.model)).encode(o.text!).ids;
        const logits = await nextTokenLogits(model, ids);
        const top10 = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!).slice(0, 10).map((i) => [i, logits[i]!] as [number, number]);
        return { json: { ids, logits: Array.from(logits), top10 }, human: ['id  logit', ...top10.map(([i, l]) => `${i}  ${l.toFixed(4)}`)] };
      } finally {
        model.dispose();
      }
    },
  );

  commandAction(
    tr.command('export-onnx').description('export a GPT-2 (with KV-cache inputs unless --no-kv-cache) or BERT folder to OUT/onnx/model.onnx (opset 17)')
      .requiredOption('--model <dir>', 'HF model folder')
      .requiredOption('--out <dir>', 'output folder (config.json and onnx/model.onnx are written there)')
      .option('--no-kv-cache', 'GPT-2: leave out the past_key_values inputs / present outputs'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; out: string; kvCache: boolean }>();
      const { initBackend, ConfigError } = await import('@llm/core');
      await initBackend();
      const { loadPretrained } = await import('./hub.js');
      const { Gpt2 } = await import('./models/gpt2.js');
      const { Bert } = await import('./models/bert.js');
      const { exportOnnx } = await import('./onnx/export.js');
      const m = await loadPretrained(o.model);
      try {
        if (!(m instanceof Gpt2) && !(m instanceof Bert)) throw new ConfigError(`ONNX export supports gpt2 and bert, not '${m.modelType}'`, { file: o.model, field: 'model_type' });
        const files = await exportOnnx(m, o.out, { kvCache: o.kvCache });
        return { json: { model: o.model, out: o.out, files }, human: files.map((f) => `wrote ${f}`) };
      } finally {
        m.dispose();
      }
    },
  );

  commandAction(
    tr.command('info').description('architecture, parameter count and context length of a model folder')
      .requiredOption('--model <dir>', 'HF model folder'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string }>();
      const { readHfConfig } = await import('./checkpoint.js');
      const { modelFromHfConfig } = await import('./hub.js');
      const { config, file } = await readHfConfig(o.model);
      const m = modelFromHfConfig(config, file);
      const json = { model: o.model, modelType: m.modelType, architectures: config.architectures ?? null, parameters: m.parameterCount(), config: m.config };
      return { json, human: `${m.modelType}: ${m.parameterCount().toLocaleString('en-US')} parameters` };
    },
  );

  commandAction(
    tr.command('train').description('train an exercise model from scratch: translate (Bible es→en), lm (Austen GPT), mlm, qa (BERT on the FAQ SQuAD set)')
      .requiredOption('--task <task>', 'translate | lm | mlm | qa | t5')
      .option('--config <file>', 'JSON object of the task options (see the TSDoc of trainTranslator / trainAustenGpt / trainBertQa)')
      .requiredOption('--out <dir>', 'output folder (HF layout)'),
    async (cmd: Command) => {
      const o = cmd.opts<{ task: string; config?: string; out: string }>();
      const { initBackend, ConfigError, NotFoundError, FormatError } = await import('@llm/core');
      let cfg: Record<string, unknown> = {};
      if (o.config !== undefined) {
        const { readFile } = await import('node:fs/promises');
        const text = await readFile(o.config, 'utf8').catch((err: unknown) => { throw new NotFoundError(`cannot read --config ${o.config}`, { file: o.config }, { cause: err }); });
        try {
          cfg = JSON.parse(text) as Record<string, unknown>;
        } catch (err) {
          throw new FormatError('json', `not valid JSON (${(err as Error).message})`, { file: o.config }, { cause: err });
        }
        if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new ConfigError('--config must hold a JSON object', { file: o.config });
      }
      await initBackend();
      const log = (l: string) => process.stderr.write(`${l}\n`);
      if (o.task === 'translate') {
        const { trainTranslator, saveTranslator } = await import('./tasks/translate.js');
        const t = await trainTranslator({ ...cfg, log });
        await saveTranslator(o.out, t);
        const last = t.curve.at(-1);
        t.model.dispose();
        return { json: { task: o.task, out: o.out, heldOutBooks: t.meta.heldOutBooks, evalLoss: last?.evalLoss ?? null, seconds: t.seconds }, human: `saved ${o.out} (held-out ${t.meta.heldOutBooks.join(', ')}; val loss ${last?.evalLoss?.toFixed(3)})` };
      }
      if (o.task === 'lm') {
        const { trainAustenGpt, saveAustenGpt } = await import('./tasks/lm.js');
        const g = await trainAustenGpt({ ...cfg, log });
        await saveAustenGpt(o.out, g);
        g.model.dispose();
        return { json: { task: o.task, out: o.out, valPerplexity: g.meta.valPerplexity, bitsPerChar: g.meta.bitsPerChar, seconds: g.meta.trainSeconds }, human: `saved ${o.out} (val perplexity ${g.meta.valPerplexity.toFixed(2)}, ${g.meta.bitsPerChar.toFixed(3)} bits/char)` };
      }
      if (o.task === 'qa' || o.task === 'mlm') {
        const { datasetFiles } = await import('@llm/core');
        const { readSquadFile, trainBertQa, saveBertQa } = await import('./tasks/qa.js');
        const files = datasetFiles('faq-squad');
        const train = await readSquadFile(files.find((f) => f.includes('train'))!);
        const dev = await readSquadFile(files.find((f) => f.includes('dev'))!);
        // --task mlm stops after pre-training and saves the BertForMaskedLM folder.
        const saveMlm = async (mlm: { save(dir: string): Promise<string[]> }, tok: { save(path: string): Promise<void> }): Promise<void> => {
          const { join } = await import('node:path');
          await mlm.save(o.out);
          await tok.save(join(o.out, 'tokenizer.json'));
        };
        const qa = await trainBertQa(train, dev, { ...cfg, ...(o.task === 'mlm' ? { qaSteps: 0, onPretrained: saveMlm } : {}), log });
        if (o.task === 'qa') await saveBertQa(o.out, qa);
        qa.model.dispose();
        return { json: { task: o.task, out: o.out, mlmEvalLoss: qa.mlmCurve.at(-1)?.evalLoss ?? null, qaEvalLoss: qa.qaCurve.at(-1)?.evalLoss ?? null, seconds: qa.seconds }, human: `saved ${o.out}` };
      }
      if (o.task === 't5') {
        const { trainT5, saveT5 } = await import('./tasks/t5.js');
        const t = await trainT5({ ...cfg, log });
        await saveT5(o.out, t, { curve: t.curve, heldOutBooks: Array.isArray(cfg.heldOutBooks) ? (cfg.heldOutBooks as string[]) : undefined });
        t.model.dispose();
        return { json: { task: o.task, out: o.out, evalLoss: t.curve.at(-1)?.evalLoss ?? null, seconds: t.seconds }, human: `saved ${o.out}` };
      }
      throw new ConfigError(`unknown --task '${o.task}' (translate, lm, mlm, qa, t5)`, { field: '--task' });
    },
  );

  commandAction(
    tr.command('translate').description('translate a sentence with a translator or T5 folder (llm transformer train --task translate|t5)')
      .requiredOption('--model <dir>', 'translator folder')
      .requiredOption('--text <text>', 'source sentence')
      .option('--beam <n>', 'beams (1 = greedy)', '4')
      .option('--max-tokens <n>', 'new tokens at most'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; text: string; beam: string; maxTokens?: string }>();
      const { initBackend } = await import('@llm/core');
      await initBackend();
      const { readHfConfig } = await import('./checkpoint.js');
      if ((await readHfConfig(o.model)).config.model_type === 't5') {
        const { loadT5, t5Generate } = await import('./tasks/t5.js');
        const t5 = await loadT5(o.model);
        try {
          const translation = await t5Generate(t5, o.text, { beam: num('--beam', o.beam, true), maxTokens: num('--max-tokens', o.maxTokens, true) });
          return { json: { model: o.model, text: o.text, translation, beam: Number(o.beam) }, human: translation };
        } finally {
          t5.model.dispose();
        }
      }
      const { loadTranslator, translateText } = await import('./tasks/translate.js');
      const t = await loadTranslator(o.model);
      try {
        const translation = await translateText(t, o.text, { beam: num('--beam', o.beam, true), maxTokens: num('--max-tokens', o.maxTokens, true) });
        return { json: { model: o.model, text: o.text, translation, beam: Number(o.beam) }, human: translation };
      } finally {
        t.model.dispose();
      }
    },
  );

  commandAction(
    tr.command('eval').description('evaluate on the held-out split: translate / t5 (held-out books; translate also help pages), lm (Austen tail), qa (FAQ dev set)')
      .requiredOption('--model <dir>', 'model folder')
      .requiredOption('--task <task>', 'translate | t5 | lm | qa')
      .option('--beam <n>', 'translate/t5: beams', '4')
      .option('--limit <n>', 'translate/qa: evaluate at most this many examples (per domain)')
      .option('--domain <d>', "translate: held-out pairs of bible | libreoffice | both (default: the model's training domain)")
      .option('--out <dir>', 'write hypotheses/references or predictions here'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; task: string; beam: string; limit?: string; domain?: string; out?: string }>();
      const { initBackend, ConfigError, writeFileAtomic, writeJsonAtomic } = await import('@llm/core');
      const { join } = await import('node:path');
      const { mkdir } = await import('node:fs/promises');
      const { taskScorers } = await import('./tasks/scorers.js');
      await initBackend();
      const limit = num('--limit', o.limit, true);
      const sc = taskScorers();
      if (o.task === 'translate') {
        const tr2 = await import('./tasks/translate.js');
        const t = await tr2.loadTranslator(o.model);
        try {
          const domain = tr2.parseTranslatorDomain(o.domain ?? t.meta.domain ?? 'bible');
          const pairs: import('./tasks/translate.js').ParallelPair[] = [];
          for (const d of domain === 'both' ? (['bible', 'libreoffice'] as const) : [domain]) {
            const { test } = await tr2.loadDomainSplit(d, { heldOutBooks: t.meta.heldOutBooks, pageTestFraction: t.meta.pageTestFraction });
            pairs.push(...(limit === undefined ? test : tr2.evenlySpaced(test, limit)));
          }
          const { loss, perplexity } = await tr2.translationEvalLoss(t, pairs);
          const hyps = await tr2.translateMany(t, pairs.map((p) => p.src), { beam: num('--beam', o.beam, true) });
          const { bleu, chrf } = await scoreTranslations(hyps, pairs.map((p) => p.tgt), o.out);
          const json = { task: o.task, model: o.model, domain, heldOutBooks: t.meta.heldOutBooks, sentences: pairs.length, loss, perplexity, bleu, chrf };
          const what = domain === 'libreoffice' ? 'held-out help pages' : `held-out ${t.meta.heldOutBooks.join(', ')}${domain === 'both' ? ' + help pages' : ''}`;
          const human = [`${what} (${pairs.length} pairs): loss ${loss.toFixed(3)}, perplexity ${perplexity.toFixed(2)}`, bleu !== null ? `BLEU ${bleu.toFixed(2)}  chrF ${chrf?.toFixed(2)}` : 'BLEU/chrF: no metric registered; score the written files with `llm eval bleu` / `llm eval chrf`'];
          return { json, human };
        } finally {
          t.model.dispose();
        }
      }
      if (o.task === 'lm') {
        const { loadAustenGpt, evaluateAustenGpt } = await import('./tasks/lm.js');
        const m = await loadAustenGpt(o.model);
        try {
          const r = await evaluateAustenGpt(m);
          return { json: { task: o.task, model: o.model, ...r }, human: `Austen validation tail: loss ${r.loss.toFixed(3)}, perplexity ${r.perplexity.toFixed(2)}, ${r.bitsPerChar.toFixed(3)} bits/char (${r.tokens} tokens)` };
        } finally {
          m.model.dispose();
        }
      }
      if (o.task === 'qa') {
        const { datasetFiles } = await import('@llm/core');
        const { loadBertQa, predictSquad, readSquadFile } = await import('./tasks/qa.js');
        const devFile = datasetFiles('faq-squad').find((f) => f.includes('dev'))!;
        const dev = (await readSquadFile(devFile)).slice(0, limit);
        const qa = await loadBertQa(o.model);
        try {
          const pred = await predictSquad(qa, dev);
          if (o.out) {
            await mkdir(o.out, { recursive: true });
            await writeJsonAtomic(join(o.out, 'predictions.json'), pred);
          }
          let scores: { exactMatch: number; f1: number } | null = null;
          if (sc.squad) {
            const { readFile } = await import('node:fs/promises');
            const { gunzipSync } = await import('node:zlib');
            const ds = JSON.parse(gunzipSync(await readFile(devFile)).toString('utf8')) as unknown;
            const ids = new Set(dev.map((e) => e.id));
            scores = sc.squad(ds, Object.fromEntries(Object.entries(pred).filter(([k]) => ids.has(k))));
          }
          return { json: { task: o.task, model: o.model, questions: dev.length, exactMatch: scores?.exactMatch ?? null, f1: scores?.f1 ?? null }, human: scores ? `FAQ dev (${dev.length} questions): EM ${scores.exactMatch.toFixed(1)}  F1 ${scores.f1.toFixed(1)}` : `predicted ${dev.length} questions; no SQuAD metric registered: score with \`llm eval squad\`` };
        } finally {
          qa.model.dispose();
        }
      }
      if (o.task === 't5') {
        const { readFile } = await import('node:fs/promises');
        const { loadT5, t5Generate } = await import('./tasks/t5.js');
        const { DEFAULT_HELDOUT_BOOKS, loadBiblePairs, splitByBooks } = await import('./tasks/translate.js');
        const t5 = await loadT5(o.model);
        try {
          // t5.json (written by saveT5) names the held-out books; without it, the defaults.
          const meta = await readFile(join(o.model, 't5.json'), 'utf8').then((t) => JSON.parse(t) as { heldOutBooks?: unknown }, () => ({ heldOutBooks: undefined }));
          const books = Array.isArray(meta.heldOutBooks) && meta.heldOutBooks.every((b) => typeof b === 'string') ? (meta.heldOutBooks as string[]) : [...DEFAULT_HELDOUT_BOOKS];
          const { test } = splitByBooks(await loadBiblePairs(), books);
          const pairs = test.slice(0, limit ?? test.length);
          const hyps: string[] = [];
          for (const p of pairs) hyps.push(await t5Generate(t5, p.src, { beam: num('--beam', o.beam, true) }));
          const { bleu, chrf } = await scoreTranslations(hyps, pairs.map((p) => p.tgt), o.out);
          return {
            json: { task: o.task, model: o.model, heldOutBooks: books, sentences: pairs.length, bleu, chrf },
            human: `held-out ${books.join(', ')} (${pairs.length} verses): ${bleu !== null ? `BLEU ${bleu.toFixed(2)}  chrF ${chrf?.toFixed(2)}` : 'no BLEU/chrF metric registered; score the written files with `llm eval bleu` / `llm eval chrf`'}`,
          };
        } finally {
          t5.model.dispose();
        }
      }
      throw new ConfigError(`unknown --task '${o.task}' for eval (translate, t5, lm, qa)`, { field: '--task' });
    },
  );

  commandAction(
    tr.command('qa').description('extractive QA with a BertForQuestionAnswering folder: one question, or a SQuAD file to predictions')
      .requiredOption('--model <dir>', 'QA model folder (llm transformer train --task qa)')
      .option('--context <file>', 'text file holding the context')
      .option('--question <text>', 'the question')
      .option('--data <file>', 'SQuAD v1.1 JSON (gzip allowed)')
      .option('--out <file>', 'with --data: predictions JSON in the official layout {"id": "answer"}'),
    async (cmd: Command) => {
      const o = cmd.opts<{ model: string; context?: string; question?: string; data?: string; out?: string }>();
      const { initBackend, writeJsonAtomic, readText } = await import('@llm/core');
      const single = o.context !== undefined || o.question !== undefined;
      if (single === (o.data !== undefined)) throw new InputError('give either --context and --question, or --data (and --out)', { field: '--data' });
      if (single && (o.context === undefined || o.question === undefined)) throw new InputError('--context and --question go together', { field: o.context === undefined ? '--context' : '--question' });
      if (o.data !== undefined && o.out === undefined) throw new InputError('--data needs --out PRED.json', { field: '--out' });
      await initBackend();
      const { loadBertQa, answerQuestion, predictSquad, readSquadFile } = await import('./tasks/qa.js');
      const qa = await loadBertQa(o.model);
      try {
        if (single) {
          const context = await readText(o.context!);
          const a = answerQuestion(qa, o.question!, context);
          return { json: { model: o.model, question: o.question, answer: a.answer, score: a.score }, human: a.answer };
        }
        const examples = await readSquadFile(o.data!);
        const pred = await predictSquad(qa, examples);
        await writeJsonAtomic(o.out!, pred);
        return { json: { model: o.model, data: o.data, out: o.out, questions: examples.length }, human: `wrote ${examples.length} predictions to ${o.out}` };
      } finally {
        qa.model.dispose();
      }
    },
  );
}
