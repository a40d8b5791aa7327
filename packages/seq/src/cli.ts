import type { Command } from 'commander';
import { ConfigError, InputError, commandAction, formatTable } from '@llm/core';
import type { CellKind } from './cells.js';
import type { Pooling } from './classifier.js';
import type { LabelledText, TrainResult } from './train.js';
import type { Splits } from './data.js';

/**
 * `llm seq train | predict | eval`: the recurrent text classifier from the command line.
 * Heavy modules load inside the actions.
 */

interface DataOpts {
  data?: string;
  dev?: string;
  dataset?: string;
  imdb?: string;
  textCol: string;
  labelCol: string;
}

function int(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError(`--${name} must be an integer, got '${v}'`, { field: name });
  return n;
}

function num(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(`--${name} must be a number, got '${v}'`, { field: name });
  return n;
}

async function loadSplits(o: DataOpts, signal: AbortSignal): Promise<Splits> {
  const data = await import('./data.js');
  const sources = [o.data, o.dataset, o.imdb].filter((s) => s !== undefined);
  if (sources.length !== 1) throw new ConfigError('give exactly one of --data FILE.tsv, --dataset fine-foods|spam-assassin, --imdb DIR', { field: 'data' });
  if (o.dataset !== undefined) {
    if (o.dataset === 'spam-assassin') return data.loadSpamAssassin({ signal });
    if (o.dataset !== 'fine-foods') throw new ConfigError(`--dataset knows 'fine-foods' and 'spam-assassin' (for another TSV use --data), got '${o.dataset}'`, { field: 'dataset' });
    return data.loadFineFoods({ signal });
  }
  if (o.imdb !== undefined) {
    const train = await data.readImdbFolder(o.imdb, 'train', { signal });
    const test = await data.readImdbFolder(o.imdb, 'test', { signal });
    const s = data.splitByHash(train, { dev: 0.1, test: 0 });
    return { train: s.train, dev: s.dev, test };
  }
  const rows = await data.readLabelledTsv(o.data!, { textCol: o.textCol, labelCol: o.labelCol, signal });
  if (o.dev !== undefined) {
    const dev = await data.readLabelledTsv(o.dev, { textCol: o.textCol, labelCol: o.labelCol, signal });
    return { train: rows, dev, test: [] };
  }
  return data.splitByHash(rows);
}

function withSigint<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  return fn(controller.signal).finally(() => process.removeListener('SIGINT', onSigint));
}

function dataOptions(cmd: Command): Command {
  return cmd
    .option('--data <file>', 'TSV with a header line (split 80/10/10 by a hash of the text unless --dev is given)')
    .option('--dev <file>', 'a separate dev TSV')
    .option('--dataset <name>', "a bundled dataset: 'fine-foods' (reviews, great/other) or 'spam-assassin' (e-mails, ham/spam)")
    .option('--imdb <dir>', 'the IMDB layout: DIR/{train,test}/{pos,neg}/*.txt')
    .option('--text-col <name>', 'text column', 'review')
    .option('--label-col <name>', 'label column', 'score');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Register `seq` and its subcommands on `program`. */
export function register(program: Command): void {
  const seq = program.command('seq').description('RNN / LSTM / GRU text classifiers (PyTorch-compatible weights)');

  const train = dataOptions(seq.command('train').alias('train-classifier').description('train a (Bi)LSTM/GRU/RNN classifier; writes config.json, model.safetensors, tokenizer.json, checkpoint/, metrics.jsonl, loss.svg'))
    .requiredOption('--out <dir>', 'output folder')
    .option('--cell <kind>', 'lstm | gru | rnn', 'lstm')
    .option('--bi', 'bidirectional')
    .option('--layers <n>', 'stacked layers', '1')
    .option('--hidden <n>', 'hidden units', '64')
    .option('--embedding-dim <n>', 'embedding size', '64')
    .option('--pooling <p>', 'last | mean | max | maxmean', 'max')
    .option('--max-length <n>', 'tokens per text', '120')
    .option('--dropout <p>', 'dropout between layers and before the dense layer', '0.2')
    .option('--epochs <n>', 'epochs', '6')
    .option('--batch-size <n>', 'batch size', '32')
    .option('--lr <x>', "Adam's learning rate", '0.005')
    .option('--patience <n>', 'early-stopping patience in epochs', '2')
    .option('--class-weights <w>', 'balanced | none', 'none')
    .option('--clip <x>', 'gradient-norm clipping (0: off)', '5')
    .option('--min-count <n>', 'keep words seen at least this often', '2')
    .option('--seed <s>', 'seed', '0')
    .option('--resume', 'continue the checkpoint in --out');
  commandAction(train, async (cmd: Command) => {
    const o = cmd.opts<DataOpts & Record<string, string | boolean | undefined>>();
    const cell = String(o.cell) as CellKind;
    if (!['lstm', 'gru', 'rnn'].includes(cell)) throw new ConfigError(`--cell must be lstm, gru or rnn, got '${cell}'`, { field: 'cell' });
    const pooling = String(o.pooling) as Pooling;
    const cw = String(o.classWeights);
    if (cw !== 'balanced' && cw !== 'none') throw new ConfigError(`--class-weights must be balanced or none, got '${cw}'`, { field: 'class-weights' });
    const { initBackend } = await import('@llm/core');
    const { trainClassifier, evaluateClassifier } = await import('./train.js');
    await initBackend();
    return withSigint(async (signal) => {
      const splits = await loadSplits(o, signal);
      const res: TrainResult = await trainClassifier({
        train: splits.train, dev: splits.dev,
        model: {
          cell, bidirectional: Boolean(o.bi), numLayers: int(String(o.layers), 'layers'), hiddenSize: int(String(o.hidden), 'hidden'),
          embeddingDim: int(String(o.embeddingDim), 'embedding-dim'), pooling, maxLength: int(String(o.maxLength), 'max-length'), dropout: num(String(o.dropout), 'dropout'),
        },
        vocab: { minCount: int(String(o.minCount), 'min-count') },
        epochs: int(String(o.epochs), 'epochs'), batchSize: int(String(o.batchSize), 'batch-size'), learningRate: num(String(o.lr), 'lr'),
        patience: int(String(o.patience), 'patience'), classWeights: cw, clipNorm: num(String(o.clip), 'clip'), seed: int(String(o.seed), 'seed'),
        outDir: String(o.out), resume: Boolean(o.resume), signal, log: (l) => process.stderr.write(`${l}\n`),
      });
      const test = splits.test.length ? await evaluateClassifier(res.model, splits.test, { signal }) : undefined;
      const json = {
        out: String(o.out), labels: res.model.config.labels, parameters: res.model.parameterCount, vocabSize: res.model.config.vocabSize,
        train: splits.train.length, devN: splits.dev.length, testN: splits.test.length,
        bestEpoch: res.bestEpoch, stoppedEarly: res.stoppedEarly, seconds: Number(res.seconds.toFixed(1)), examplesPerSecond: Number(res.examplesPerSecond.toFixed(1)),
        dev: { accuracy: res.dev.accuracy, macroF1: res.dev.macroF1 }, devMajority: { label: res.devMajority.label, accuracy: res.devMajority.accuracy, macroF1: res.devMajority.macroF1 },
        test: test ? { accuracy: test.accuracy, macroF1: test.macroF1 } : null,
        history: res.history,
      };
      res.model.dispose();
      const human = [
        `trained ${res.model.config.bidirectional ? 'Bi' : ''}${cell.toUpperCase()} (${json.parameters} parameters) on ${json.train} texts in ${json.seconds} s; best epoch ${json.bestEpoch}`,
        formatTable(['split', 'n', 'accuracy', 'macro-F1', 'majority acc'], [
          ['dev', json.devN, pct(res.dev.accuracy), res.dev.macroF1.toFixed(3), pct(res.devMajority.accuracy)],
          ...(test ? [['test', json.testN, pct(test.accuracy), test.macroF1.toFixed(3), '']] : []),
        ]),
        `model in ${json.out}`,
      ];
      return { json, human };
    });
  });

  const predict = seq.command('predict').description('one JSON line per input row: {"label", "probability", "probabilities"}; with --json a last summary line {"n", "labels"}')
    .requiredOption('--model <dir>', 'model folder')
    .requiredOption('--in <file>', 'TSV with a header line')
    .option('--text-col <name>', 'text column', 'review');
  commandAction(predict, async (cmd: Command) => {
    const o = cmd.opts<{ model: string; in: string; textCol: string }>();
    const { initBackend, readTsv } = await import('@llm/core');
    const { RecurrentClassifier } = await import('./classifier.js');
    const { cleanReview } = await import('./data.js');
    await initBackend();
    const model = await RecurrentClassifier.load(o.model);
    const texts: string[] = [];
    for await (const { values, lineNo } of readTsv(o.in)) {
      const t = values[o.textCol];
      if (t === undefined) throw new InputError(`no column '${o.textCol}'`, { file: o.in, line: lineNo, field: o.textCol });
      texts.push(cleanReview(t));
    }
    const preds = await model.predict(texts);
    model.dispose();
    const counts: Record<string, number> = {};
    for (const p of preds) {
      counts[p.label] = (counts[p.label] ?? 0) + 1;
      process.stdout.write(`${JSON.stringify(p)}\n`);
    }
    return { json: { n: preds.length, labels: counts }, human: `${preds.length} rows: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}` };
  });

  const evalCmd = dataOptions(seq.command('eval').description('accuracy, macro-F1 and per-class scores of a model against the majority baseline'))
    .requiredOption('--model <dir>', 'model folder')
    .option('--split <name>', 'which rows to score: dev | test (of the 80/10/10 hash split, or --dev / the IMDB test folder) | all (every row of --data)', 'test');
  commandAction(evalCmd, async (cmd: Command) => {
    const o = cmd.opts<DataOpts & { model: string; split: string }>();
    if (!['dev', 'test', 'all'].includes(o.split)) throw new ConfigError(`--split must be dev, test or all, got '${o.split}'`, { field: 'split' });
    const { initBackend } = await import('@llm/core');
    const { RecurrentClassifier } = await import('./classifier.js');
    const { evaluateClassifier } = await import('./train.js');
    const { majorityBaseline } = await import('./metrics.js');
    await initBackend();
    return withSigint(async (signal) => {
      const splits = await loadSplits(o, signal);
      const rows: LabelledText[] = o.split === 'all' ? [...splits.train, ...splits.dev, ...splits.test] : splits[o.split as 'dev' | 'test'];
      if (rows.length === 0) throw new InputError(`no rows in the '${o.split}' split`, { field: 'split' });
      const model = await RecurrentClassifier.load(o.model);
      const rep = await evaluateClassifier(model, rows, { signal });
      const idx = new Map(model.config.labels.map((l, i) => [l, i]));
      const base = majorityBaseline(splits.train.map((r) => idx.get(r.label) ?? 0), rows.map((r) => idx.get(r.label)!), model.config.labels);
      model.dispose();
      const json = { n: rep.n, accuracy: rep.accuracy, macroF1: rep.macroF1, perClass: rep.perClass, confusion: rep.confusion, labels: rep.labels, majority: { label: base.label, accuracy: base.accuracy, macroF1: base.macroF1 } };
      const human = [
        `${o.split}: ${rep.n} texts, accuracy ${pct(rep.accuracy)}, macro-F1 ${rep.macroF1.toFixed(3)} (majority '${base.label}': ${pct(base.accuracy)}, macro-F1 ${base.macroF1.toFixed(3)})`,
        formatTable(['label', 'precision', 'recall', 'F1', 'support'], Object.entries(rep.perClass).map(([l, s]) => [l, s.precision.toFixed(3), s.recall.toFixed(3), s.f1.toFixed(3), s.support])),
      ];
      return { json, human };
    });
  });
}
