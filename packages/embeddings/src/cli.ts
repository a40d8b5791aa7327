import type { Command } from 'commander';
import { ConfigError, InputError, commandAction, datasetFiles, formatTable } from '@llm/core';
import type { KeyedVectors } from './vectors.js';

/** Load word vectors from a word2vec text/binary or `.vec` file, or a fastText `.bin`/`.ftz` model. */
export async function loadAnyVectors(path: string): Promise<KeyedVectors> {
  const { open } = await import('node:fs/promises');
  const { NotFoundError } = await import('@llm/core');
  const head = Buffer.alloc(4);
  try {
    const fh = await open(path, 'r');
    try { await fh.read(head, 0, 4, 0); } finally { await fh.close(); }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`no such file: ${path}`, { file: path });
    throw err;
  }
  const { FASTTEXT_MAGIC, loadFastTextModel } = await import('./fasttext.js');
  if (head.readInt32LE(0) === FASTTEXT_MAGIC) return (await loadFastTextModel(path)).toKeyedVectors();
  const { loadVectors } = await import('./formats.js');
  return loadVectors(path);
}

function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`--${name} must be a non-negative integer, got '${v}'`, { field: name });
  return n;
}

function num(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(`--${name} must be a number, got '${v}'`, { field: name });
  return n;
}

interface TrainOpts {
  algo: string; sg?: boolean; cbow?: boolean; hs?: boolean; negative?: string; dim: string; epochs?: string; window?: string;
  minCount: string; threads?: string; seed: string; in?: string[]; dataset?: string; out: string; binary?: boolean;
  sample?: string; alpha?: string; minn?: string; maxn?: string; bucket?: string; xMax?: string; raw?: boolean;
}

/** Register `llm embeddings train|similar|analogy|eval|predict`. */
export function register(program: Command): void {
  const root = program.command('embeddings').description('Word2Vec, GloVe and fastText word vectors: train, neighbours, analogies, evaluation');

  commandAction(
    root.command('train').description('train word vectors and save them as word2vec text (.vec/.txt) or binary')
      .option('--algo <name>', 'word2vec | glove | fasttext', 'word2vec')
      .option('--sg', 'skip-gram (default)')
      .option('--cbow', 'CBOW instead of skip-gram')
      .option('--hs', 'hierarchical softmax (sets --negative 0 unless given)')
      .option('--negative <n>', 'negative samples (default 5)')
      .option('--dim <n>', 'vector size', '100')
      .option('--epochs <n>', 'passes over the corpus (default 5; GloVe 15)')
      .option('--window <n>', 'context window (default 5; GloVe 10)')
      .option('--min-count <n>', 'drop rarer words', '5')
      .option('--threads <n>', 'worker threads (1 = deterministic by seed)')
      .option('--seed <s>', 'random seed', '1')
      .option('--sample <t>', 'sub-sampling threshold (word2vec 1e-3, fastText 1e-4)')
      .option('--alpha <lr>', 'starting learning rate (GloVe: AdaGrad eta)')
      .option('--minn <n>', 'fastText: shortest char n-gram', '3')
      .option('--maxn <n>', 'fastText: longest char n-gram', '6')
      .option('--bucket <n>', 'fastText: n-gram hash buckets', '200000')
      .option('--x-max <x>', 'GloVe: weighting cut-off', '100')
      .option('--in <files...>', 'text files (.gz allowed), one sentence per line')
      .option('--dataset <name>', 'a bundled text dataset instead of --in (e.g. austen)')
      .option('--raw', 'split lines on whitespace only (no lower-casing or punctuation stripping)')
      .option('--binary', 'write word2vec binary instead of text')
      .requiredOption('--out <file>', 'output vectors file'),
    async (cmd: Command) => {
      const o = cmd.opts<TrainOpts>();
      const files = o.in ?? (o.dataset ? datasetFiles(o.dataset) : undefined);
      if (!files || files.length === 0) throw new InputError('give --in FILE… or --dataset NAME');
      const { readCorpus } = await import('./text.js');
      const { saveVectors } = await import('./formats.js');
      const sentences = await readCorpus(files, { raw: o.raw });
      const common = {
        dim: int('dim', o.dim, 100), minCount: int('min-count', o.minCount, 5), seed: o.seed, progress: undefined,
      };
      let kv: KeyedVectors;
      let stats: { words: number; seconds: number; wordsPerSecond: number; threads: number };
      const extra: Record<string, number> = {};
      if (o.algo === 'glove') {
        const { trainGloVe } = await import('./glove.js');
        const m = await trainGloVe(sentences, { ...common, epochs: int('epochs', o.epochs, 15), window: int('window', o.window, 10), eta: num('alpha', o.alpha, 0.05), xMax: num('x-max', o.xMax, 100) });
        kv = m.vectors; stats = m.stats; extra.cost = m.cost; extra.pairs = m.pairs;
      } else if (o.algo === 'word2vec' || o.algo === 'fasttext') {
        const w2v = {
          ...common, model: o.cbow ? 'cbow' as const : 'sg' as const, hs: o.hs === true, negative: int('negative', o.negative, o.hs ? 0 : 5),
          epochs: int('epochs', o.epochs, 5), window: int('window', o.window, 5),
          threads: o.threads === undefined ? undefined : Math.max(1, int('threads', o.threads, 1)),
          ...(o.sample !== undefined ? { sample: num('sample', o.sample, 1e-3) } : {}),
          ...(o.alpha !== undefined ? { alpha: num('alpha', o.alpha, 0.025) } : {}),
        };
        if (o.algo === 'word2vec') {
          const { trainWord2Vec } = await import('./word2vec.js');
          const m = await trainWord2Vec(sentences, w2v);
          kv = m.vectors; stats = m.stats;
        } else {
          const { trainFastText } = await import('./fasttext.js');
          const m = await trainFastText(sentences, { ...w2v, minn: int('minn', o.minn, 3), maxn: int('maxn', o.maxn, 6), bucket: int('bucket', o.bucket, 200000) });
          kv = m.vectors; stats = m.stats;
        }
      } else throw new ConfigError(`--algo must be word2vec, glove or fasttext, got '${o.algo}'`, { field: 'algo' });
      await saveVectors(o.out, kv, o.binary ? 'binary' : 'text');
      const json = { algo: o.algo, out: o.out, words: kv.size, dim: kv.dim, corpusWords: stats.words, seconds: stats.seconds, wordsPerSecond: Math.round(stats.wordsPerSecond), threads: stats.threads, ...extra };
      return { json, human: `${o.algo}: ${kv.size} words × ${kv.dim} → ${o.out} (${stats.words} words in ${stats.seconds.toFixed(1)} s, ${Math.round(stats.wordsPerSecond)} words/s, ${stats.threads} thread(s))` };
    },
  );

  commandAction(
    root.command('similar').description('nearest words by cosine').argument('<words...>', 'a word, or words whose vectors are added')
      .requiredOption('--vectors <file>', 'word2vec text/binary, .vec, or fastText .bin/.ftz').option('--top <n>', 'how many', '10')
      .option('--minus <words...>', 'words whose vectors are subtracted (e.g. king woman --minus man)'),
    async (words: string[], cmd: Command) => {
      const o = cmd.opts<{ vectors: string; top: string; minus?: string[] }>();
      const kv = await loadAnyVectors(o.vectors);
      const positive = words;
      const negative = o.minus ?? [];
      const sims = kv.mostSimilar({ positive, negative, topn: int('top', o.top, 10) });
      return { json: { query: words, neighbours: sims }, human: formatTable(['word', 'cosine'], sims.map((s) => [s.word, s.score.toFixed(4)])) };
    },
  );

  commandAction(
    root.command('analogy').description('solve a : b :: c : ? , or score a questions-words file per section')
      .argument('[words...]', 'a b c (without --questions)')
      .requiredOption('--vectors <file>', 'vectors file')
      .option('--questions <file>', "questions in word2vec's questions-words.txt format ('bundled' for the bundled analogies)")
      .option('--method <m>', '3CosAdd | 3CosMul', '3CosAdd')
      .option('--restrict <n>', 'use only the N most frequent words (gensim: 300000)', '300000')
      .option('--top <n>', 'answers to show for a single analogy', '5'),
    async (words: string[], cmd: Command) => {
      const o = cmd.opts<{ vectors: string; questions?: string; method: string; restrict: string; top: string }>();
      if (o.method !== '3CosAdd' && o.method !== '3CosMul') throw new ConfigError(`--method must be 3CosAdd or 3CosMul, got '${o.method}'`, { field: 'method' });
      const kv = await loadAnyVectors(o.vectors);
      if (o.questions) {
        const { readAnalogies, evaluateAnalogies } = await import('./evaluate.js');
        const path = o.questions === 'bundled' ? datasetFiles('analogies')[0]! : o.questions;
        const r = evaluateAnalogies(kv, await readAnalogies(path), { method: o.method, restrictVocab: int('restrict', o.restrict, 300000) });
        return {
          json: { accuracy: r.accuracy, sections: r.sections, evaluated: r.evaluated, total: r.total, method: r.method },
          human: [formatTable(['section', 'correct', 'evaluated', 'accuracy'], Object.entries(r.sections).map(([k, s]) => [k, s.correct, s.correct + s.incorrect, `${(100 * s.accuracy).toFixed(1)}%`])),
            `overall ${(100 * r.accuracy).toFixed(2)}% on ${r.evaluated} of ${r.total} questions (${r.method})`],
        };
      }
      if (words.length !== 3) throw new InputError('give three words a b c (a is to b as c is to ?) or --questions FILE');
      const [a, b, c] = words as [string, string, string];
      const top = int('top', o.top, 5);
      const answers = o.method === '3CosMul' ? kv.mostSimilarCosmul([b, c], [a], top) : kv.mostSimilar({ positive: [b, c], negative: [a], topn: top });
      return { json: { a, b, c, method: o.method, answers }, human: [`${a} : ${b} :: ${c} : ?`, formatTable(['word', 'score'], answers.map((s) => [s.word, s.score.toFixed(4)]))] };
    },
  );

  commandAction(
    root.command('eval').description('analogy accuracy per section (bundled questions by default), word-pair correlation, and neighbours of a few words')
      .requiredOption('--vectors <file>', 'vectors file')
      .option('--questions <file>', 'questions file (default: the bundled analogies)')
      .option('--pairs <file>', 'word-similarity pairs "w1 w2 score" (Spearman correlation)')
      .option('--words <list>', 'comma-separated words for the neighbour report')
      .option('--restrict <n>', 'use only the N most frequent words', '300000'),
    async (cmd: Command) => {
      const o = cmd.opts<{ vectors: string; questions?: string; pairs?: string; words?: string; restrict: string }>();
      const kv = await loadAnyVectors(o.vectors);
      const { readAnalogies, evaluateAnalogies, evaluateWordPairs, parseSimilarityPairs } = await import('./evaluate.js');
      const qs = await readAnalogies(o.questions ?? datasetFiles('analogies')[0]!);
      const restrictVocab = int('restrict', o.restrict, 300000);
      const add = evaluateAnalogies(kv, qs, { restrictVocab });
      const mul = evaluateAnalogies(kv, qs, { restrictVocab, method: '3CosMul' });
      let pairs: ReturnType<typeof evaluateWordPairs> | undefined;
      if (o.pairs) {
        const { readText } = await import('@llm/core');
        pairs = evaluateWordPairs(kv, parseSimilarityPairs(await readText(o.pairs), o.pairs));
      }
      const words = (o.words ?? kv.words.slice(10, 15).join(',')).split(',').filter((w) => kv.has(w));
      const neighbours = Object.fromEntries(words.map((w) => [w, kv.mostSimilar(w, 8).map((s) => s.word)]));
      return {
        json: { accuracy: add.accuracy, accuracy3CosMul: mul.accuracy, sections: add.sections, evaluated: add.evaluated, total: add.total, pairs, neighbours },
        human: [
          formatTable(['section', 'evaluated', '3CosAdd', '3CosMul'], Object.entries(add.sections).map(([k, s]) => [k, s.correct + s.incorrect, `${(100 * s.accuracy).toFixed(1)}%`, `${(100 * (mul.sections[k]?.accuracy ?? 0)).toFixed(1)}%`])),
          `overall: 3CosAdd ${(100 * add.accuracy).toFixed(2)}%, 3CosMul ${(100 * mul.accuracy).toFixed(2)}% on ${add.evaluated} of ${add.total} questions`,
          ...(pairs ? [`word pairs: Spearman ${pairs.spearman.toFixed(3)} on ${pairs.evaluated} of ${pairs.total}`] : []),
          ...Object.entries(neighbours).map(([w, n]) => `${w}: ${n.join(', ')}`),
        ],
      };
    },
  );

  commandAction(
    root.command('predict').description('labels of a supervised fastText model (.bin/.ftz), e.g. lid.176.ftz language identification')
      .argument('<text...>', 'the text').requiredOption('--model <file>', 'fastText model').option('-k <n>', 'labels to show', '3').option('--threshold <p>', 'minimum probability', '0'),
    async (text: string[], cmd: Command) => {
      const o = cmd.opts<{ model: string; k: string; threshold: string }>();
      const { loadFastTextModel } = await import('./fasttext.js');
      const model = await loadFastTextModel(o.model);
      const preds = model.predict(text.join(' '), Number(o.k), num('threshold', o.threshold, 0));
      return { json: { predictions: preds }, human: formatTable(['label', 'probability'], preds.map((p) => [p.label, p.probability.toFixed(5)])) };
    },
  );
}
