/**
 * `llm eval …`: the package's CLI commands (wired into `@llm/cli` through {@link register}).
 *
 * @packageDocumentation
 */
import type { Command } from 'commander';
import { commandAction, ConfigError, formatTable } from '@llm/core';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Progress on stderr for statistic extraction (quiet off a TTY). */
async function statsProgress(label: string, total: number): Promise<{ options: { onProgress: (done: number) => void }; done: () => void }> {
  const { createProgress } = await import('@llm/core');
  const p = createProgress({ label, total, unit: 'segments' });
  return { options: { onProgress: (d: number) => p.update(d) }, done: () => p.done() };
}

function num(v: string | undefined, name: string, { int = false, min = -Infinity } = {}): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || (int && !Number.isInteger(x)) || x < min) throw new ConfigError(`--${name} must be ${int ? 'an integer' : 'a number'}${min > -Infinity ? ` ≥ ${min}` : ''}, got '${v}'`, { field: name });
  return x;
}

interface CorpusOpts { hyp: string; ref: string[]; width: string; confidence?: boolean; bs?: string; seed?: string }

/** Register `eval` and its subcommands on a commander program. */
export function register(program: Command): void {
  const evalCmd = program.command('eval').description('evaluation: BLEU, chrF, TER, ROUGE, SQuAD EM/F1, human evaluation');

  const corpusOptions = (c: Command) => c
    .requiredOption('--hyp <file>', 'hypotheses, one segment per line')
    .requiredOption('--ref <file>', 'references, one segment per line (repeat for several references)', collect)
    .option('-w, --width <n>', 'decimals in the score line', '1')
    .option('--confidence', 'bootstrap 95% confidence interval (sacreBLEU --confidence)')
    .option('--bs <n>', 'bootstrap resamples for --confidence', '1000')
    .option('--seed <n>', 'seed for --confidence', '12345');

  commandAction(
    corpusOptions(evalCmd.command('bleu').description('corpus BLEU exactly as sacreBLEU'))
      .option('--tokenize <name>', 'tokenizer: 13a, intl, char, none, zh', '13a')
      .option('--lowercase', 'lowercase first')
      .option('--smooth <method>', 'smoothing: exp, floor, add-k, none', 'exp')
      .option('--smooth-value <x>', 'value for floor (0.1) or add-k (1)')
      .option('--max-ngram-order <n>', 'largest n-gram order', '4')
      .option('--effective-order', 'drop n-gram orders without n-grams'),
    async (cmd: Command) => {
      const o = cmd.opts<CorpusOpts & { tokenize: string; lowercase?: boolean; smooth: string; smoothValue?: string; maxNgramOrder: string; effectiveOrder?: boolean }>();
      const { Bleu, readAligned, bootstrapScores, estimateCi } = await import('./index.js');
      const { hyps, refs } = await readAligned(o.hyp, o.ref);
      const bleu = new Bleu({
        tokenize: o.tokenize as never, lowercase: o.lowercase, smoothMethod: o.smooth as never, smoothValue: num(o.smoothValue, 'smooth-value', { min: 0 }),
        maxNgramOrder: num(o.maxNgramOrder, 'max-ngram-order', { int: true, min: 1 }), effectiveOrder: o.effectiveOrder,
      });
      const prog = await statsProgress('bleu', hyps.length);
      const stats = bleu.segmentStatistics(hyps, refs, prog.options);
      prog.done();
      const score = bleu.scoreFromStats(stats.reduce((a, r) => a.map((x, i) => x + r[i]!), new Array<number>(stats[0]!.length).fill(0)));
      const width = num(o.width, 'width', { int: true, min: 0 })!;
      let ci: { mean: number; ci: number } | undefined;
      const extra = o.confidence ? { bs: num(o.bs, 'bs', { int: true, min: 2 })!, seed: num(o.seed, 'seed', { int: true })! } : {};
      if (o.confidence) ci = estimateCi(bootstrapScores(bleu, stats, { samples: extra.bs, seed: extra.seed }));
      const signature = bleu.signature(extra);
      return {
        json: { name: 'BLEU', score: score.score, signature, precisions: score.precisions, bp: score.bp, ratio: score.ratio, hyp_len: score.sysLen, ref_len: score.refLen, counts: score.counts, totals: score.totals, ...(ci ? { confidence_mean: ci.mean, confidence_var: ci.ci } : {}) },
        human: bleu.format(score, { width, signature, ci }),
      };
    },
  );

  commandAction(
    corpusOptions(evalCmd.command('chrf').description('chrF / chrF++ exactly as sacreBLEU'))
      .option('--char-order <n>', 'character n-gram order', '6')
      .option('--word-order <n>', 'word n-gram order (2 = chrF++)', '0')
      .option('--beta <n>', 'recall weight', '2')
      .option('--lowercase', 'lowercase first')
      .option('--whitespace', 'keep whitespace in character n-grams')
      .option('--eps-smoothing', 'epsilon smoothing (chrF++.py / NLTK / Moses)'),
    async (cmd: Command) => {
      const o = cmd.opts<CorpusOpts & { charOrder: string; wordOrder: string; beta: string; lowercase?: boolean; whitespace?: boolean; epsSmoothing?: boolean }>();
      const { Chrf, readAligned, bootstrapScores, estimateCi, sumStats } = await import('./index.js');
      const { hyps, refs } = await readAligned(o.hyp, o.ref);
      const chrf = new Chrf({
        charOrder: num(o.charOrder, 'char-order', { int: true, min: 0 }), wordOrder: num(o.wordOrder, 'word-order', { int: true, min: 0 }),
        beta: num(o.beta, 'beta', { min: 0 }), lowercase: o.lowercase, whitespace: o.whitespace, epsSmoothing: o.epsSmoothing,
      });
      const prog = await statsProgress('chrf', hyps.length);
      const stats = chrf.segmentStatistics(hyps, refs, prog.options);
      prog.done();
      const score = chrf.scoreFromStats(sumStats(stats));
      const extra = o.confidence ? { bs: num(o.bs, 'bs', { int: true, min: 2 })!, seed: num(o.seed, 'seed', { int: true })! } : {};
      const ci = o.confidence ? estimateCi(bootstrapScores(chrf, stats, { samples: extra.bs, seed: extra.seed })) : undefined;
      const signature = chrf.signature(extra);
      return {
        json: { name: score.name, score: score.score, signature, ...(ci ? { confidence_mean: ci.mean, confidence_var: ci.ci } : {}) },
        human: chrf.format(score, { width: num(o.width, 'width', { int: true, min: 0 }), signature, ci }),
      };
    },
  );

  commandAction(
    corpusOptions(evalCmd.command('ter').description('TER exactly as sacreBLEU'))
      .option('--normalized', 'Tercom normalization')
      .option('--no-punct', 'remove punctuation')
      .option('--asian-support', 'CJK handling')
      .option('--case-sensitive', 'keep case'),
    async (cmd: Command) => {
      const o = cmd.opts<CorpusOpts & { normalized?: boolean; punct: boolean; asianSupport?: boolean; caseSensitive?: boolean }>();
      const { Ter, readAligned, bootstrapScores, estimateCi, sumStats } = await import('./index.js');
      const { hyps, refs } = await readAligned(o.hyp, o.ref);
      const ter = new Ter({ normalized: o.normalized, noPunct: !o.punct, asianSupport: o.asianSupport, caseSensitive: o.caseSensitive });
      const prog = await statsProgress('ter', hyps.length);
      const stats = ter.segmentStatistics(hyps, refs, prog.options);
      prog.done();
      const score = ter.scoreFromStats(sumStats(stats));
      const extra = o.confidence ? { bs: num(o.bs, 'bs', { int: true, min: 2 })!, seed: num(o.seed, 'seed', { int: true })! } : {};
      const ci = o.confidence ? estimateCi(bootstrapScores(ter, stats, { samples: extra.bs, seed: extra.seed })) : undefined;
      const signature = ter.signature(extra);
      return {
        json: { name: 'TER', score: score.score, signature, num_edits: score.numEdits, ref_length: score.refLength, ...(ci ? { confidence_mean: ci.mean, confidence_var: ci.ci } : {}) },
        human: ter.format(score, { width: num(o.width, 'width', { int: true, min: 0 }), signature, ci }),
      };
    },
  );

  commandAction(
    evalCmd.command('paired').description('paired significance test of systems against a baseline (sacreBLEU --paired-bs / --paired-ar)')
      .requiredOption('--ref <file>', 'references (repeat for several)', collect)
      .requiredOption('--baseline <file>', 'baseline system output')
      .requiredOption('--hyp <file>', 'system output to compare (repeat for several)', collect)
      .option('--metric <name>', 'bleu, chrf or ter', 'bleu')
      .option('--test <kind>', 'bs (paired bootstrap) or ar (approximate randomization)', 'bs')
      .option('--samples <n>', 'resamples (default 1000 for bs, 10000 for ar)')
      .option('--seed <n>', 'seed', '12345'),
    async (cmd: Command) => {
      const o = cmd.opts<{ ref: string[]; baseline: string; hyp: string[]; metric: string; test: string; samples?: string; seed: string }>();
      const m = await import('./index.js');
      const metric: import('./metric.js').StatsMetric | null = o.metric === 'bleu' ? new m.Bleu() : o.metric === 'chrf' ? new m.Chrf() : o.metric === 'ter' ? new m.Ter() : null;
      if (!metric) throw new ConfigError(`--metric must be bleu, chrf or ter, got '${o.metric}'`, { field: 'metric' });
      if (o.test !== 'bs' && o.test !== 'ar') throw new ConfigError(`--test must be bs or ar, got '${o.test}'`, { field: 'test' });
      const { hyps: base, refs } = await m.readAligned(o.baseline, o.ref);
      const baseStats = metric.segmentStatistics(base, refs);
      const seed = num(o.seed, 'seed', { int: true })!;
      const samples = num(o.samples, 'samples', { int: true, min: 2 }) ?? (o.test === 'bs' ? 1000 : 10000);
      const rows = [];
      for (const file of o.hyp) {
        const { hyps } = await m.readAligned(file, o.ref);
        const st = metric.segmentStatistics(hyps, refs);
        const r = o.test === 'bs' ? m.pairedBootstrap(metric, baseStats, st, { samples, seed }) : m.pairedApproximateRandomization(metric, baseStats, st, { samples, seed });
        rows.push({ system: file, ...r });
      }
      const baseScore = metric.scoreFromStats(m.sumStats(baseStats)).score;
      const signature = metric.signature({ [o.test]: samples, seed });
      return {
        json: { metric: o.metric, test: o.test, samples, seed, signature, baseline: { system: o.baseline, score: baseScore }, systems: rows },
        human: [`${o.metric} ${signature}`, formatTable(['system', 'score', 'p-value', ...(o.test === 'bs' ? ['μ ± 95% CI'] : [])], [
          [`${o.baseline} (baseline)`, baseScore.toFixed(2), '', ...(o.test === 'bs' ? [''] : [])],
          ...rows.map((r) => [r.system, r.score.toFixed(2), r.pValue.toFixed(4), ...(o.test === 'bs' ? [`${r.mean!.toFixed(2)} ± ${r.ci!.toFixed(2)}`] : [])]),
        ])],
      };
    },
  );

  commandAction(
    evalCmd.command('rouge').description('ROUGE exactly as rouge-score, with bootstrap confidence intervals')
      .requiredOption('--hyp <file>', 'predictions, one summary per line')
      .requiredOption('--ref <file>', 'targets, one summary per line (repeat: best target per line, as score_multi)', collect)
      .option('--types <list>', 'comma-separated: rouge1…rouge9, rougeL, rougeLsum', 'rouge1,rouge2,rougeL,rougeLsum')
      .option('--stem', 'Porter stemming (rouge-score use_stemmer)')
      .option('--unicode', 'Unicode-aware tokenizer (not rouge-score compatible)')
      .option('--sentence-sep <s>', 'string that separates sentences inside a line (turned into newlines for rougeLsum), e.g. "<n>"')
      .option('--samples <n>', 'bootstrap samples', '1000')
      .option('--seed <n>', 'bootstrap seed', '0'),
    async (cmd: Command) => {
      const o = cmd.opts<{ hyp: string; ref: string[]; types: string; stem?: boolean; unicode?: boolean; sentenceSep?: string; samples: string; seed: string }>();
      const m = await import('./index.js');
      const { hyps, refs } = await m.readAligned(o.hyp, o.ref);
      const types = o.types.split(',').map((t) => t.trim()).filter(Boolean);
      const scorer = new m.RougeScorer(types, { useStemmer: o.stem, unicode: o.unicode });
      const agg = new m.BootstrapAggregator({ nSamples: num(o.samples, 'samples', { int: true, min: 1 }), seed: num(o.seed, 'seed', { int: true }) });
      const sep = (s: string) => (o.sentenceSep ? s.split(o.sentenceSep).join('\n') : s);
      const { createProgress } = await import('@llm/core');
      const progress = createProgress({ label: 'rouge', total: hyps.length, unit: 'segments' });
      hyps.forEach((h, i) => {
        agg.addScores(scorer.scoreMulti(refs.map((r) => sep(r[i]!)), sep(h)));
        if ((i & 255) === 255) progress.update(i + 1);
      });
      progress.done();
      const result = agg.aggregate();
      const rows = types.map((t) => {
        const a = result[t]!;
        return [t, ...(['precision', 'recall', 'fmeasure'] as const).map((k) => `${(100 * a.mid[k]).toFixed(2)} [${(100 * a.low[k]).toFixed(2)}, ${(100 * a.high[k]).toFixed(2)}]`)];
      });
      return {
        json: { segments: hyps.length, stemmer: !!o.stem, unicode: !!o.unicode, scores: result },
        human: [`${hyps.length} segments; mid [95% CI] × 100`, formatTable(['type', 'precision', 'recall', 'F1'], rows)],
      };
    },
  );

  commandAction(
    evalCmd.command('squad').description('SQuAD v1.1 exact match and F1 (the official evaluate-v1.1.py)')
      .requiredOption('--data <file>', 'SQuAD v1.1 dataset JSON')
      .requiredOption('--pred <file>', 'predictions JSON: {"question id": "answer text"}'),
    async (cmd: Command) => {
      const o = cmd.opts<{ data: string; pred: string }>();
      const { readText, parseJson } = await import('@llm/core');
      const { evaluateSquad } = await import('./squad.js');
      const dataset = parseJson(await readText(o.data), { file: o.data });
      const preds = parseJson(await readText(o.pred), { file: o.pred });
      const r = evaluateSquad(dataset, preds, { data: o.data, pred: o.pred });
      const version = (dataset as { version?: unknown }).version;
      const lines = [`exact_match ${r.exact_match.toFixed(2)}  f1 ${r.f1.toFixed(2)}  (${r.total} questions)`];
      if (version !== '1.1') lines.push(`note: the official script expects version 1.1, the dataset says ${JSON.stringify(version)}`);
      if (r.unanswered.length) lines.push(`${r.unanswered.length} unanswered question(s) scored 0: ${r.unanswered.slice(0, 5).join(', ')}${r.unanswered.length > 5 ? ' …' : ''}`);
      return { json: { exact_match: r.exact_match, f1: r.f1, total: r.total, unanswered: r.unanswered }, human: lines };
    },
  );

  const human = evalCmd.command('human').description('human evaluation: a local rating web page and its report');
  commandAction(
    human.command('serve').description('serve the rating page (Likert 1–5 and blind pairwise A/B); judgments go to SQLite')
      .requiredOption('--tasks <file>', 'tasks, JSON Lines (see the @llm/eval README)')
      .option('--db <file>', 'SQLite file for judgments', 'judgments.sqlite')
      .option('--port <n>', 'port (0 = any free port)', '8765')
      .option('--host <addr>', 'address to bind', '127.0.0.1'),
    async (cmd: Command) => {
      const o = cmd.opts<{ tasks: string; db: string; port: string; host: string }>();
      const { readTasks } = await import('./human/tasks.js');
      const { startHumanEvalServer } = await import('./human/server.js');
      const tasks = await readTasks(o.tasks);
      const server = await startHumanEvalServer({ tasks, dbPath: o.db, port: num(o.port, 'port', { int: true, min: 0 }), host: o.host });
      process.stderr.write(`rating page: ${server.url}  (${tasks.length} tasks; judgments in ${o.db}; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => { void server.close().then(resolve); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return { json: { url: server.url, tasks: tasks.length, db: o.db, stopped: true }, human: 'stopped' };
    },
  );
  commandAction(
    human.command('report').description('means with CIs, win rates, Cohen\'s kappa and Krippendorff\'s alpha')
      .requiredOption('--tasks <file>', 'the task file the judgments belong to')
      .option('--db <file>', 'SQLite file with judgments', 'judgments.sqlite'),
    async (cmd: Command) => {
      const o = cmd.opts<{ tasks: string; db: string }>();
      const { existsSync } = await import('node:fs');
      const { NotFoundError } = await import('@llm/core');
      if (!existsSync(o.db)) throw new NotFoundError(`no judgments database at ${o.db}`, { file: o.db });
      const { readTasks } = await import('./human/tasks.js');
      const { JudgmentStore } = await import('./human/store.js');
      const { buildReport, formatReport } = await import('./human/report.js');
      const tasks = await readTasks(o.tasks);
      const store = JudgmentStore.open(o.db);
      try {
        const report = buildReport(tasks, store.all());
        return { json: { ...report }, human: formatReport(report) };
      } finally {
        store.close();
      }
    },
  );
}
