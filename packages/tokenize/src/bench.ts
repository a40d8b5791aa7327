import { mkdirSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { datasetRows, loadText, throwIfAborted, writeFileAtomic } from '@llm/core';
import { getEncoding, type TiktokenTokenizer } from './tiktoken.js';
import { trainBpe } from './train/bpe.js';

/**
 * Benchmarks against the peer tokenizers, run in one process on one corpus: encode speed (median
 * MB/s over repeats, ids checked line by line against ours), memory of a loaded encoding, and
 * BPE training time against the native `tokenizers` trainer and Debian's sentencepiece.
 * Peers are imported dynamically; those not installed are skipped and reported as such.
 *
 * @packageDocumentation
 */

/** Encodings the encode benchmark covers. */
export type BenchEncoding = 'r50k_base' | 'cl100k_base' | 'o200k_base';

/** One measured row. */
export interface EncodeBenchRow {
  encoding: BenchEncoding;
  library: string;
  /** Median MB/s (UTF-8 bytes) over the repeats. */
  mbPerSec: number;
  /** Seconds per repeat. */
  seconds: number[];
  /** Whether every line's ids equal ours (undefined: not checked). */
  identical?: boolean;
  /** First differing line, if any. */
  firstDifference?: string;
}

/** A loaded peer: encodes one line to ids. */
interface Peer {
  name: string;
  encodeLines(lines: readonly string[]): Promise<number[][]> | number[][];
  free?(): void;
}

type Loose = Record<string, unknown>;
type EncodeFn = (s: string) => ArrayLike<number>;

async function importOptional(spec: string): Promise<Loose | undefined> {
  try {
    return (await import(spec)) as Loose;
  } catch {
    return undefined;
  }
}

/** Build the benchmark corpus: Austen, the Gutenberg novels, then Bible verses (es, en) until `minBytes`. */
export async function buildBenchCorpus(minBytes = 8_000_000): Promise<string[]> {
  const lines: string[] = [];
  let bytes = 0;
  const add = (l: string) => { if (l.length > 0) { lines.push(l); bytes += Buffer.byteLength(l) + 1; } };
  for (const name of ['austen', 'gutenberg']) for (const l of (await loadText(name)).split('\n')) add(l);
  for (const col of ['es_rv1909', 'en_kjv', 'en_web']) {
    if (bytes >= minBytes) break;
    for await (const row of datasetRows('bible-es-en')) add(row.values[col] ?? '');
  }
  return lines;
}

async function hfJson(enc: TiktokenTokenizer): Promise<string> {
  const dir = join(tmpdir(), 'llm-tokenize-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${enc.name}.tokenizer.json`);
  if (!existsSync(path)) await enc.toHf().save(path);
  return path;
}

async function loadPeers(encoding: BenchEncoding, ours: TiktokenTokenizer, wanted: ReadonlySet<string> | undefined): Promise<{ peers: Peer[]; missing: string[] }> {
  const peers: Peer[] = [];
  const missing: string[] = [];
  const want = (n: string) => !wanted || wanted.has(n);
  const perLine = (name: string, f: EncodeFn): Peer => ({ name, encodeLines: (ls) => ls.map((l) => Array.from(f(l))) });
  if (want('gpt-tokenizer')) {
    const m = await importOptional(`gpt-tokenizer/encoding/${encoding}`);
    if (m && typeof m.encode === 'function') {
      const f = m.encode as (s: string, o?: { disallowedSpecial?: Set<string> }) => number[];
      const none = new Set<string>();
      peers.push(perLine('gpt-tokenizer', (s) => f(s, { disallowedSpecial: none })));
    } else missing.push('gpt-tokenizer');
  }
  if (want('tiktoken')) {
    const m = await importOptional('tiktoken');
    if (m && typeof m.get_encoding === 'function') {
      const enc = (m.get_encoding as (n: string) => { encode(s: string): Uint32Array; encode_ordinary(s: string): Uint32Array; free(): void })(encoding);
      peers.push({ ...perLine('tiktoken (wasm)', (s) => enc.encode_ordinary(s)), free: () => enc.free() });
    } else missing.push('tiktoken');
  }
  if (want('js-tiktoken')) {
    const m = await importOptional('js-tiktoken');
    if (m && typeof m.getEncoding === 'function') {
      const enc = (m.getEncoding as (n: string) => { encode(s: string, a?: unknown, d?: unknown): number[] })(encoding);
      peers.push(perLine('js-tiktoken', (s) => enc.encode(s, [], [])));
    } else missing.push('js-tiktoken');
  }
  if (want('@huggingface/tokenizers')) {
    const m = await importOptional('@huggingface/tokenizers');
    if (m && typeof m.Tokenizer === 'function') {
      const { readFileSync } = await import('node:fs');
      const Ctor = m.Tokenizer as new (json: object, config: object) => { encode(s: string, o?: { add_special_tokens?: boolean }): { ids: number[] } };
      const t = new Ctor(JSON.parse(readFileSync(await hfJson(ours), 'utf8')) as object, {});
      peers.push(perLine('@huggingface/tokenizers', (s) => t.encode(s, { add_special_tokens: false }).ids));
    } else missing.push('@huggingface/tokenizers');
  }
  if (want('tokenizers')) {
    const m = await importOptional('tokenizers');
    const T = m?.Tokenizer as { fromFile(p: string): { encodeBatch(s: string[], o: { addSpecialTokens: boolean }): Promise<Array<{ getIds(): number[] }>> } } | undefined;
    if (T && typeof T.fromFile === 'function') {
      const t = T.fromFile(await hfJson(ours));
      peers.push({
        name: 'tokenizers (native, encodeBatch)',
        async encodeLines(ls) {
          const out: number[][] = [];
          for (let i = 0; i < ls.length; i += 2000) for (const e of await t.encodeBatch(ls.slice(i, i + 2000) as string[], { addSpecialTokens: false })) out.push(e.getIds());
          return out;
        },
      });
    } else missing.push('tokenizers');
  }
  return { peers, missing };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Options of {@link runEncodeBenchmark}. */
export interface EncodeBenchOptions {
  encodings?: BenchEncoding[];
  /** Peer names to run (default all): gpt-tokenizer, tiktoken, js-tiktoken, @huggingface/tokenizers, tokenizers. */
  peers?: string[];
  /** Minimum corpus size in bytes (default 8 MB). */
  minBytes?: number;
  repeats?: number;
  /** Stop repeating a library once it has run this long (seconds; default 60). */
  budgetSeconds?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Result of {@link runEncodeBenchmark}. */
export interface EncodeBenchResult {
  corpusBytes: number;
  lines: number;
  rows: EncodeBenchRow[];
  missingPeers: string[];
  /** Heap and RSS growth when loading o200k_base (bytes), measured before anything else was loaded. */
  o200kMemory?: { heapBytes: number; rssBytes: number; loadSeconds: number };
}

/** Run the encode benchmark (ours and the installed peers, same corpus, same process). */
export async function runEncodeBenchmark(options: EncodeBenchOptions = {}): Promise<EncodeBenchResult> {
  const log = options.log ?? (() => undefined);
  const encodings = options.encodings ?? ['cl100k_base', 'o200k_base'];
  const repeats = options.repeats ?? 3;
  const gc = (globalThis as { gc?: () => void }).gc;
  let o200kMemory: EncodeBenchResult['o200kMemory'];
  if (encodings.includes('o200k_base')) {
    gc?.();
    const h0 = process.memoryUsage();
    const t0 = performance.now();
    const enc = getEncoding('o200k_base');
    const loadSeconds = (performance.now() - t0) / 1000;
    gc?.();
    const h1 = process.memoryUsage();
    o200kMemory = { heapBytes: h1.heapUsed - h0.heapUsed, rssBytes: h1.rss - h0.rss, loadSeconds };
    void enc;
  }
  const lines = await buildBenchCorpus(options.minBytes);
  const corpusBytes = lines.reduce((a, l) => a + Buffer.byteLength(l) + 1, 0);
  const mb = corpusBytes / 1e6;
  log(`corpus: ${lines.length} lines, ${mb.toFixed(2)} MB`);
  const rows: EncodeBenchRow[] = [];
  const missing = new Set<string>();
  for (const encoding of encodings) {
    const ours = getEncoding(encoding);
    const { peers, missing: miss } = await loadPeers(encoding, ours, options.peers ? new Set(options.peers) : undefined);
    miss.forEach((m) => missing.add(m));
    const reference: number[][] = lines.map((l) => ours.encodeOrdinary(l)); // warm-up and reference ids
    const contestants: Peer[] = [{ name: '@llm/tokenize', encodeLines: (ls) => ls.map((l) => ours.encodeOrdinary(l)) }, ...peers];
    for (const p of contestants) {
      throwIfAborted(options.signal);
      const seconds: number[] = [];
      let identical: boolean | undefined;
      let firstDifference: string | undefined;
      const started = performance.now();
      for (let r = 0; r < repeats; r++) {
        // Slow peers get fewer repeats: stop once a library has used its time budget.
        if (r > 0 && (performance.now() - started) / 1000 > (options.budgetSeconds ?? 60)) break;
        const t0 = performance.now();
        const ids = await p.encodeLines(lines);
        seconds.push((performance.now() - t0) / 1000);
        if (r === 0) {
          identical = true;
          for (let i = 0; i < lines.length; i++) {
            const a = ids[i]!;
            const b = reference[i]!;
            if (a.length !== b.length || a.some((x, k) => x !== b[k])) { identical = false; firstDifference = lines[i]!.slice(0, 80); break; }
          }
        }
      }
      const row: EncodeBenchRow = { encoding, library: p.name, mbPerSec: mb / median(seconds), seconds, identical, firstDifference };
      rows.push(row);
      log(`${encoding} ${p.name}: ${row.mbPerSec.toFixed(2)} MB/s (median of ${seconds.length}), identical ids: ${String(identical)}`);
    }
    for (const p of peers) p.free?.();
  }
  return { corpusBytes, lines: lines.length, rows, missingPeers: [...missing], o200kMemory };
}

/** One training measurement. */
export interface TrainBenchRow {
  library: string;
  vocabSize: number;
  seconds?: number;
  note?: string;
}

/**
 * BPE training time on the Austen novels (4 MB) at each vocabulary size: ours (byte-level BPE),
 * the native `tokenizers` BPE trainer (byte-level; the node binding trains only with its default
 * trainer, vocabulary 30000), and sentencepiece BPE through `/usr/bin/python3` (Debian's
 * python3-sentencepiece), each timed around the training call only.
 */
export async function runTrainBenchmark(options: { vocabSizes?: number[]; python?: string; log?: (l: string) => void } = {}): Promise<TrainBenchRow[]> {
  const log = options.log ?? (() => undefined);
  const sizes = options.vocabSizes ?? [8000, 30000];
  const text = await loadText('austen');
  const lines = text.split('\n');
  const dir = join(tmpdir(), `llm-tokenize-train-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const corpus = join(dir, 'austen.txt');
  await writeFileAtomic(corpus, text);
  const rows: TrainBenchRow[] = [];
  try {
    for (const v of sizes) {
      const t0 = performance.now();
      const ours = await trainBpe(lines, { vocabSize: v, minFrequency: 0, showProgress: false });
      rows.push({ library: '@llm/tokenize trainBpe (byte-level)', vocabSize: ours.tokenizer.vocabSize, seconds: (performance.now() - t0) / 1000 });
      log(`ours vocab ${v}: ${rows[rows.length - 1]!.seconds!.toFixed(2)} s`);
      if (v === 30000) {
        const m = await importOptional('tokenizers');
        const N = m as { Tokenizer?: new (model: unknown) => { setPreTokenizer(p: unknown): void; train(files: string[]): void; getVocabSize(a?: boolean): number }; BPE?: { empty(): unknown }; byteLevelPreTokenizer?: (a: boolean, b: boolean) => unknown } | undefined;
        if (N?.Tokenizer && N.BPE && N.byteLevelPreTokenizer) {
          const t = new N.Tokenizer(N.BPE.empty());
          t.setPreTokenizer(N.byteLevelPreTokenizer(false, true));
          const t1 = performance.now();
          t.train([corpus]);
          rows.push({ library: 'tokenizers (native) BpeTrainer', vocabSize: t.getVocabSize(true), seconds: (performance.now() - t1) / 1000, note: 'default trainer (the binding exposes no trainer options)' });
          log(`native tokenizers: ${rows[rows.length - 1]!.seconds!.toFixed(2)} s`);
        } else rows.push({ library: 'tokenizers (native)', vocabSize: v, note: 'not installed' });
      }
      const py = options.python ?? '/usr/bin/python3';
      const script = join(dir, 'spm.py');
      writeFileSync(script, [
        'import sys, time, sentencepiece as spm',
        't=time.perf_counter()',
        `spm.SentencePieceTrainer.train(input=sys.argv[1], model_prefix=sys.argv[2], model_type="bpe", vocab_size=int(sys.argv[3]), character_coverage=1.0, num_threads=1, minloglevel=2, max_sentence_length=100000, hard_vocab_limit=False)`,
        'print(time.perf_counter()-t)',
      ].join('\n'));
      const r = spawnSync(py, [script, corpus, join(dir, `spm${v}`), String(v)], { encoding: 'utf8' });
      const secs = Number(r.stdout.trim().split('\n').pop());
      if (r.status === 0 && Number.isFinite(secs)) rows.push({ library: 'sentencepiece (python3-sentencepiece, BPE, 1 thread)', vocabSize: v, seconds: secs });
      else rows.push({ library: 'sentencepiece', vocabSize: v, note: `not run: ${(r.stderr || r.error?.message || '').split('\n').filter(Boolean).pop() ?? 'failed'}` });
      log(`sentencepiece vocab ${v}: ${rows[rows.length - 1]!.seconds?.toFixed(2) ?? rows[rows.length - 1]!.note}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
