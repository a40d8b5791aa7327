/**
 * BLEU exactly as sacreBLEU computes it (corpus and sentence level, every smoothing method,
 * effective order, several references, the signature string).
 *
 * @packageDocumentation
 */
import { ConfigError } from '@llm/core';
import { pyFixed, pyRstrip, pySplit } from '../text.js';
import { checkCorpus, formatSignature, segmentsOf, sumStats, type CorpusScore, type SignatureExtras, type StatsMetric, type StatsOptions, stepProgress } from '../metric.js';
import { getBleuTokenizer, type BleuTokenizer, type BleuTokenizerName } from './tokenizers.js';
import { NgramTable } from './ngram-table.js';

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

/** An encoded segment: one UTF-16 unit per token id (two when an id is ≥ 65536). */
interface Encoded {
  text: string;
  width: 1 | 2;
  length: number;
}

/**
 * Token interning: every distinct token gets an integer id, and a segment is encoded as a string
 * of fixed-width id units, so that an n-gram is a short substring — an exact, collision-free key
 * that is fast to hash.
 */
class TokenCodec {
  private readonly ids = new Map<string, number>();

  /** Integer ids of tokens, and the largest. */
  idsOf(tokens: readonly string[]): { ids: Int32Array; max: number } {
    const out = new Int32Array(tokens.length);
    let max = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      let id = this.ids.get(t);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(t, id);
      }
      out[i] = id;
      if (id > max) max = id;
    }
    return { ids: out, max };
  }

  encode(tokens: readonly string[]): Encoded {
    let max = 0;
    const codes = new Array<number>(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      let id = this.ids.get(t);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(t, id);
      }
      codes[i] = id;
      if (id > max) max = id;
    }
    if (max < 65536) {
      let text = '';
      for (let i = 0; i < codes.length; i += 8192) text += String.fromCharCode(...codes.slice(i, i + 8192));
      return { text, width: 1, length: tokens.length };
    }
    let text = '';
    for (const c of codes) text += String.fromCharCode(c >>> 16, c & 0xffff);
    return { text, width: 2, length: tokens.length };
  }
}

/** Re-encode with two units per token (so keys are comparable with a width-2 segment). */
function widen(e: Encoded): Encoded {
  if (e.width === 2) return e;
  let text = '';
  for (let i = 0; i < e.text.length; i++) text += `\u0000${e.text[i]!}`;
  return { text, width: 2, length: e.length };
}

/** Count all n-grams of orders 1..maxOrder of an encoded segment, one map per order. */
function countNgrams(enc: Encoded, maxOrder: number): Map<string, number>[] {
  const maps: Map<string, number>[] = [];
  const { text, width, length } = enc;
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= length; i++) {
      const key = text.substring(i * width, (i + n) * width);
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    maps.push(m);
  }
  return maps;
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

/** Reference information for one segment: merged (max) n-gram counts and all lengths. */
interface RefInfo {
  ngrams: Map<string, number>[];
  lens: number[];
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

  private refInfo(refs: readonly Encoded[]): RefInfo {
    let ngrams: Map<string, number>[] | null = null;
    const lens: number[] = [];
    for (const enc of refs) {
      lens.push(enc.length);
      const these = countNgrams(enc, this.maxNgramOrder);
      if (ngrams === null) ngrams = these;
      else {
        for (let n = 0; n < these.length; n++) {
          const dst = ngrams[n]!;
          for (const [k, c] of these[n]!) if ((dst.get(k) ?? 0) < c) dst.set(k, c);
        }
      }
    }
    return { ngrams: ngrams ?? countNgrams({ text: '', width: 1, length: 0 }, this.maxNgramOrder), lens };
  }

  private static closestRefLen(hypLen: number, refLens: readonly number[]): number {
    let closestDiff = -1;
    let closestLen = -1;
    for (const r of refLens) {
      const diff = Math.abs(hypLen - r);
      if (closestDiff === -1 || diff < closestDiff) {
        closestDiff = diff;
        closestLen = r;
      } else if (diff === closestDiff && r < closestLen) {
        closestLen = r;
      }
    }
    return closestLen;
  }

  private tables: { ref: NgramTable; tmp: NgramTable; hyp: NgramTable } | null = null;

  /**
   * Segment statistics through typed hash tables keyed by 16-bit token ids (orders ≤ 4, fewer
   * than 65536 distinct tokens so far): no allocation per n-gram.
   */
  private fastStats(hypToks: readonly string[], refToks: ReadonlyArray<readonly string[]>, codec: TokenCodec): number[] | null {
    const N = this.maxNgramOrder;
    if (N > 4) return null;
    const h = codec.idsOf(hypToks);
    const rs = refToks.map((t) => codec.idsOf(t));
    if (h.max >= 65536 || rs.some((r) => r.max >= 65536)) return null;
    const t = (this.tables ??= { ref: new NgramTable(), tmp: new NgramTable(), hyp: new NgramTable() });
    const correct = new Array<number>(N).fill(0);
    const total = new Array<number>(N).fill(0);
    const hiOf = (ids: Int32Array, i: number, n: number) => (n === 1 ? ids[i]! : ids[i]! * 65536 + ids[i + 1]!);
    const loOf = (ids: Int32Array, i: number, n: number) => (n <= 2 ? 0 : n === 3 ? ids[i + 2]! : ids[i + 2]! * 65536 + ids[i + 3]!);
    for (let n = 1; n <= N; n++) {
      if (rs.length === 1) {
        const r = rs[0]!.ids;
        for (let i = 0; i + n <= r.length; i++) t.ref.add(hiOf(r, i, n), loOf(r, i, n));
      } else {
        for (const { ids: r } of rs) {
          for (let i = 0; i + n <= r.length; i++) t.tmp.add(hiOf(r, i, n), loOf(r, i, n));
          for (const s of t.tmp.slots) t.ref.max(t.tmp.keyHi(s), t.tmp.keyLo(s), t.tmp.count(s));
          t.tmp.clear();
        }
      }
      const hid = h.ids;
      for (let i = 0; i + n <= hid.length; i++) t.hyp.add(hiOf(hid, i, n), loOf(hid, i, n));
      let c = 0;
      let tot = 0;
      for (const s of t.hyp.slots) {
        const cnt = t.hyp.count(s);
        tot += cnt;
        const r = t.ref.get(t.hyp.keyHi(s), t.hyp.keyLo(s));
        c += cnt < r ? cnt : r;
      }
      correct[n - 1] = c;
      total[n - 1] = tot;
      t.ref.clear();
      t.hyp.clear();
    }
    const refLen = Bleu.closestRefLen(hypToks.length, refToks.map((r) => r.length));
    return [hypToks.length, refLen, ...correct, ...total];
  }

  private segmentStats(hyp: string, refs: readonly string[], codec: TokenCodec): number[] {
    const hypToks = pySplit(this.preprocess(hyp));
    const refToks = refs.map((r) => pySplit(this.preprocess(r)));
    const fast = this.fastStats(hypToks, refToks, codec);
    if (fast) return fast;
    let h = codec.encode(hypToks);
    let rs = refToks.map((r) => codec.encode(r));
    if (h.width === 2 || rs.some((r) => r.width === 2)) {
      h = widen(h);
      rs = rs.map(widen);
    }
    const info = this.refInfo(rs);
    const N = this.maxNgramOrder;
    const refLen = Bleu.closestRefLen(h.length, info.lens);
    const correct = new Array<number>(N).fill(0);
    const total = new Array<number>(N).fill(0);
    const hypNgrams = countNgrams(h, N);
    for (let n = 0; n < N; n++) {
      const ref = info.ngrams[n]!;
      let t = 0;
      let c = 0;
      for (const [k, cnt] of hypNgrams[n]!) {
        t += cnt;
        const r = ref.get(k);
        if (r !== undefined) c += cnt < r ? cnt : r;
      }
      total[n] = t;
      correct[n] = c;
    }
    return [h.length, refLen, ...correct, ...total];
  }

  /** @inheritdoc */
  segmentStatistics(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>, options?: StatsOptions): number[][] {
    checkCorpus(hypotheses, references);
    const { segs, nrefs } = segmentsOf(references, hypotheses.length);
    this.nrefs = nrefs;
    const codec = new TokenCodec();
    return hypotheses.map((h, i) => {
      stepProgress(options, i, hypotheses.length);
      return this.segmentStats(h, segs[i]!, codec);
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
    return this.scoreFromStats(sumStats(this.segmentStatistics(hypotheses, references), 2 + 2 * this.maxNgramOrder));
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
