/**
 * BLEU exactly as sacreBLEU computes it (corpus and sentence level, every smoothing method,
 * effective order, several references, the signature string).
 *
 * @packageDocumentation
 */
import { ConfigError } from '@llm/core';
import { pyFixed, pyRstrip } from '../text.js';
import { IdList, NgramMatcher, TokenInterner, type IdSeq } from '../intern.js';
import { internSplit, RegexpPasses, scan13a } from './scan.js';
import { checkCorpus, formatSignature, segmentsOf, type CorpusScore, type SignatureExtras, type StatsMetric, type StatsOptions, stepProgress } from '../metric.js';
import { getBleuTokenizer, type BleuTokenizer, type BleuTokenizerName } from './tokenizers.js';

/** BLEU smoothing methods (Chen & Cherry 2014): none, floor (method 1), add-k (2), exp (3, NIST). */
export type SmoothMethod = 'none' | 'floor' | 'add-k' | 'exp';

/** Default smoothing values, as in sacreBLEU. */
export const SMOOTH_DEFAULTS: Readonly<Record<SmoothMethod, number | null>> = { none: null, floor: 0.1, 'add-k': 1, exp: null };

/** Options of {@link Bleu}; the defaults are sacreBLEU's. */
export interface BleuOptions {
  /** Lowercase hypotheses and references first. Default false. */
  lowercase?: boolean;
  /** Tokenizer. Default `13a`. */
  tokenize?: BleuTokenizerName;
  /** Smoothing method. Default `exp`. */
  smoothMethod?: SmoothMethod;
  /** Smoothing value for `floor` (default 0.1) and `add-k` (default 1). */
  smoothValue?: number;
  /** Largest n-gram order. Default 4. */
  maxNgramOrder?: number;
  /** Leave out n-gram orders with no n-grams (recommended for sentence BLEU). Default false. */
  effectiveOrder?: boolean;
}

/** A BLEU result, with the numbers sacreBLEU prints. */
export interface BleuScore extends CorpusScore {
  readonly name: 'BLEU';
  /** Matching n-gram counts per order (after add-k smoothing, like sacreBLEU). */
  readonly counts: number[];
  /** Hypothesis n-gram counts per order. */
  readonly totals: number[];
  /** n-gram precisions in percent. */
  readonly precisions: number[];
  /** Brevity penalty. */
  readonly bp: number;
  /** Hypothesis length in tokens. */
  readonly sysLen: number;
  /** Effective reference length in tokens. */
  readonly refLen: number;
  /** `sysLen / refLen` (0 when refLen is 0). */
  readonly ratio: number;
}

/** my_log: log, floored for 0. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/** An encoded segment for the general path: two UTF-16 units per token id. */
interface Encoded {
  text: string;
  length: number;
}

/** Encode token ids as a string of fixed-width (two-unit) keys: an n-gram is an exact substring. */
function encodeIds(seq: IdSeq): Encoded {
  let text = '';
  for (let i = 0; i < seq.length; i++) {
    const c = seq.ids[i]!;
    text += String.fromCharCode(c >>> 16, c & 0xffff);
  }
  return { text, length: seq.length };
}

/** Count all n-grams of orders 1..maxOrder of an encoded segment, one map per order. */
function countNgrams(enc: Encoded, maxOrder: number): Map<string, number>[] {
  const maps: Map<string, number>[] = [];
  const { text, length } = enc;
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= length; i++) {
      const key = text.substring(i * 2, (i + n) * 2);
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    maps.push(m);
  }
  return maps;
}

/**
 * Clipped n-gram matches for segments too long for {@link NgramMatcher}'s direct tables
 * (maps keyed by the n-grams' encoded ids).
 */
function matchLong(hyp: IdSeq, refs: readonly IdSeq[], maxOrder: number, correct: number[], total: number[]): void {
  let refMax: Map<string, number>[] | null = null;
  for (const r of refs) {
    const these = countNgrams(encodeIds(r), maxOrder);
    if (refMax === null) refMax = these;
    else {
      for (let n = 0; n < these.length; n++) {
        const dst = refMax[n]!;
        for (const [k, c] of these[n]!) if ((dst.get(k) ?? 0) < c) dst.set(k, c);
      }
    }
  }
  const hypNgrams = countNgrams(encodeIds(hyp), maxOrder);
  for (let n = 0; n < maxOrder; n++) {
    const ref = refMax?.[n];
    let t = 0;
    let c = 0;
    for (const [k, cnt] of hypNgrams[n]!) {
      t += cnt;
      const r = ref?.get(k);
      if (r !== undefined) c += cnt < r ? cnt : r;
    }
    total[n] = t;
    correct[n] = c;
  }
}

/**
 * Compute BLEU from sufficient statistics, exactly as sacreBLEU's `BLEU.compute_bleu`.
 * `correct` and `total` are copied, not changed.
 */
export function computeBleu(
  correctIn: readonly number[],
  totalIn: readonly number[],
  sysLen: number,
  refLen: number,
  options: { smoothMethod?: SmoothMethod; smoothValue?: number | null; effectiveOrder?: boolean; maxNgramOrder?: number } = {},
): BleuScore {
  const smoothMethod = options.smoothMethod ?? 'none';
  if (!(smoothMethod in SMOOTH_DEFAULTS)) throw new ConfigError(`unknown smoothing method '${smoothMethod}'`, { field: 'smoothMethod' });
  const smoothValue = options.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod] ?? 0;
  const maxOrder = options.maxNgramOrder ?? 4;
  const correct = correctIn.slice();
  const total = totalIn.slice();
  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  const precisions = new Array<number>(maxOrder).fill(0);
  const make = (score: number): BleuScore => ({
    name: 'BLEU', score, counts: correct, totals: total, precisions, bp, sysLen, refLen, ratio: refLen ? sysLen / refLen : 0,
  });
  if (!correct.some((c) => c !== 0)) return make(0.0);
  let smoothMteval = 1.0;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (smoothMethod === 'add-k' && n > 1) {
      correct[n - 1]! += smoothValue;
      total[n - 1]! += smoothValue;
    }
    if (total[n - 1] === 0) break;
    if (options.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100.0 / (smoothMteval * total[n - 1]!);
      } else if (smoothMethod === 'floor') {
        precisions[n - 1] = (100.0 * smoothValue) / total[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100.0 * correct[n - 1]!) / total[n - 1]!;
    }
  }
  let logSum = 0;
  for (let i = 0; i < effOrder; i++) logSum += myLog(precisions[i]!);
  return make(bp * Math.exp(logSum / effOrder));
}

/** Reusable per-corpus scratch state: interned tokens, id buffers, the n-gram matcher. */
class SegmentScratch {
  readonly interner = new TokenInterner(64);
  readonly passes = new RegexpPasses();
  readonly matcher = new NgramMatcher();
  readonly hyp = new IdList();
  readonly refs: IdList[] = [];
  readonly refSeqs: IdList[] = [];
  row: number[] = [];
  correct: number[] = [];
  total: number[] = [];
}

/**
 * sacreBLEU's BLEU metric.
 *
 * @example
 * ```ts
 * const bleu = new Bleu();
 * const s = bleu.corpusScore(['The dog bit the man.'], [['The dog bit the man.']]);
 * console.log(bleu.format(s)); // BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 100.00 …
 * ```
 */
export class Bleu implements StatsMetric<BleuScore> {
  readonly lowercase: boolean;
  readonly tokenizer: BleuTokenizer;
  readonly smoothMethod: SmoothMethod;
  readonly smoothValue: number | undefined;
  readonly maxNgramOrder: number;
  readonly effectiveOrder: boolean;
  /** Number of references seen in the last scoring call (-1 when it varies). */
  nrefs = 1;

  constructor(options: BleuOptions = {}) {
    this.lowercase = options.lowercase ?? false;
    this.tokenizer = getBleuTokenizer(options.tokenize ?? '13a');
    this.smoothMethod = options.smoothMethod ?? 'exp';
    if (!(this.smoothMethod in SMOOTH_DEFAULTS)) throw new ConfigError(`unknown smoothing method '${this.smoothMethod}' (none, floor, add-k, exp)`, { field: 'smoothMethod' });
    this.smoothValue = options.smoothValue;
    this.maxNgramOrder = options.maxNgramOrder ?? 4;
    if (!Number.isInteger(this.maxNgramOrder) || this.maxNgramOrder < 1) throw new ConfigError(`maxNgramOrder must be a positive integer, got ${this.maxNgramOrder}`, { field: 'maxNgramOrder' });
    this.effectiveOrder = options.effectiveOrder ?? false;
  }

  /** Lowercase (optionally) and tokenize one segment, as sacreBLEU's `_preprocess_segment`. */
  preprocess(sentence: string): string {
    const s = this.lowercase ? sentence.toLowerCase() : sentence;
    return this.tokenizer.tokenize(pyRstrip(s));
  }

  /** Tokenize one segment (as {@link Bleu.preprocess} + Python `split()`) into interned ids. */
  private tokenizeInto(line: string, w: SegmentScratch, out: IdList): void {
    out.clear();
    const s = this.lowercase ? line.toLowerCase() : line;
    const name = this.tokenizer.name;
    if (name === '13a') scan13a(s, w.passes, w.interner, out);
    else if (name === 'none') internSplit(s, w.interner, out);
    else internSplit(this.tokenizer.tokenize(pyRstrip(s)), w.interner, out);
  }

  /** Statistics of one segment into `w.row` (reused: copy it to keep it). */
  private segmentStats(hyp: string, refs: readonly string[], w: SegmentScratch): number[] {
    const N = this.maxNgramOrder;
    if (w.row.length !== 2 + 2 * N) w.row = new Array<number>(2 + 2 * N).fill(0);
    // Token ids only need to be equal within the segment: a small interner, emptied per segment,
    // stays in cache and gives dense ids the matcher can use as they are.
    w.interner.reset();
    this.tokenizeInto(hyp, w, w.hyp);
    while (w.refs.length < refs.length) w.refs.push(new IdList());
    const refSeqs = w.refSeqs;
    refSeqs.length = refs.length;
    for (let j = 0; j < refs.length; j++) {
      const out = w.refs[j]!;
      this.tokenizeInto(refs[j]!, w, out);
      refSeqs[j] = out;
    }
    if (w.correct.length !== N) {
      w.correct = new Array<number>(N).fill(0);
      w.total = new Array<number>(N).fill(0);
    }
    const { correct, total } = w;
    if (NgramMatcher.fits(w.hyp.length, refSeqs)) w.matcher.match(w.hyp, refSeqs, N, correct, total, w.interner.size);
    else matchLong(w.hyp, refSeqs, N, correct, total);
    let refLen = -1;
    let closestDiff = -1;
    for (const r of refSeqs) {
      const diff = Math.abs(w.hyp.length - r.length);
      if (closestDiff === -1 || diff < closestDiff) {
        closestDiff = diff;
        refLen = r.length;
      } else if (diff === closestDiff && r.length < refLen) {
        refLen = r.length;
      }
    }
    const row = w.row;
    row[0] = w.hyp.length;
    row[1] = refLen;
    for (let n = 0; n < N; n++) {
      row[2 + n] = correct[n]!;
      row[2 + N + n] = total[n]!;
    }
    return row;
  }

  /** @inheritdoc */
  segmentStatistics(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>, options?: StatsOptions): number[][] {
    checkCorpus(hypotheses, references);
    const { segs, nrefs } = segmentsOf(references, hypotheses.length);
    this.nrefs = nrefs;
    const scratch = new SegmentScratch();
    return hypotheses.map((h, i) => {
      stepProgress(options, i, hypotheses.length);
      return this.segmentStats(h, segs[i]!, scratch).slice();
    });
  }

  /** @inheritdoc */
  scoreFromStats(stats: ArrayLike<number>): BleuScore {
    const N = this.maxNgramOrder;
    const arr = Array.from(stats);
    return computeBleu(arr.slice(2, 2 + N), arr.slice(2 + N, 2 + 2 * N), arr[0]!, arr[1]!, {
      smoothMethod: this.smoothMethod, smoothValue: this.smoothValue, effectiveOrder: this.effectiveOrder, maxNgramOrder: N,
    });
  }

  /**
   * Corpus BLEU. `references` is a list of reference streams, each as long as `hypotheses`
   * (sacreBLEU's layout); a `null`/`undefined` line means "no reference from this stream".
   */
  corpusScore(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>): BleuScore {
    // The same sums as sumStats(segmentStatistics(…)), without keeping a row per segment.
    checkCorpus(hypotheses, references);
    const width = 2 + 2 * this.maxNgramOrder;
    const sums = new Array<number>(width).fill(0);
    const scratch = new SegmentScratch();
    const refs: string[] = [];
    let nrefs = -2;
    for (let i = 0; i < hypotheses.length; i++) {
      refs.length = 0;
      for (const stream of references) {
        const x = stream[i];
        if (x !== null && x !== undefined) refs.push(x);
      }
      nrefs = nrefs === -2 || nrefs === refs.length ? refs.length : -1;
      const row = this.segmentStats(hypotheses[i]!, refs, scratch);
      for (let k = 0; k < width; k++) sums[k]! += row[k]!;
    }
    this.nrefs = nrefs;
    return this.scoreFromStats(sums);
  }

  /** Sentence BLEU of one hypothesis against one or more references (use `effectiveOrder: true`). */
  sentenceScore(hypothesis: string, references: readonly string[]): BleuScore {
    return this.corpusScore([hypothesis], references.map((r) => [r]));
  }

  /** The signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`. */
  signature(extra: SignatureExtras = {}): string {
    const def = SMOOTH_DEFAULTS[this.smoothMethod];
    const smooth = def === null ? this.smoothMethod : `${this.smoothMethod}[${pyFixed(this.smoothValue ?? def, 2)}]`;
    return formatSignature(this.nrefs, [
      ['case', this.lowercase ? 'lc' : 'mixed'], ['eff', this.effectiveOrder ? 'yes' : 'no'], ['tok', this.tokenizer.name], ['smooth', smooth],
    ], extra);
  }

  /** The line sacreBLEU prints: `BLEU|<signature> = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = …)`. */
  format(score: BleuScore, options: { width?: number; signature?: string; ci?: { mean: number; ci: number } } = {}): string {
    const width = options.width ?? 2;
    const sig = options.signature ?? this.signature();
    return formatBleuLine(score, width, sig, options.ci);
  }
}

/** Format a BLEU score line as sacreBLEU does. */
export function formatBleuLine(score: BleuScore, width: number, signature: string, ci?: { mean: number; ci: number }): string {
  const prec = score.precisions.map((p) => pyFixed(p, 1)).join('/');
  let sc = pyFixed(score.score, width);
  if (ci && ci.mean > 0) sc += ` (μ = ${pyFixed(ci.mean, width)} ± ${pyFixed(ci.ci, width)})`;
  const verbose = `${prec} (BP = ${pyFixed(score.bp, 3)} ratio = ${pyFixed(score.ratio, 3)} hyp_len = ${score.sysLen} ref_len = ${score.refLen})`;
  return `${signature ? `BLEU|${signature}` : 'BLEU'} = ${sc} ${verbose}`;
}

/** Corpus BLEU in one call (sacreBLEU's `corpus_bleu`). */
export function corpusBleu(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>, options: BleuOptions = {}): BleuScore {
  return new Bleu(options).corpusScore(hypotheses, references);
}

/** Sentence BLEU in one call (sacreBLEU's `sentence_bleu`: effective order on by default). */
export function sentenceBleu(hypothesis: string, references: readonly string[], options: BleuOptions = {}): BleuScore {
  return new Bleu({ effectiveOrder: true, ...options }).sentenceScore(hypothesis, references);
}
