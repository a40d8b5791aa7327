/**
 * chrF and chrF++ exactly as sacreBLEU computes them (Popović 2015, 2017).
 *
 * @packageDocumentation
 */
import { ConfigError } from '@llm/core';
import { hasAstral, pySplit, pyFixed } from './text.js';
import { checkCorpus, formatSignature, segmentsOf, sumStats, type CorpusScore, type SignatureExtras, type StatsMetric, type StatsOptions, stepProgress } from './metric.js';

/** Options of {@link Chrf}; defaults are sacreBLEU's (chrF2: char order 6, word order 0, beta 2). */
export interface ChrfOptions {
  /** Character n-gram order. Default 6. */
  charOrder?: number;
  /** Word n-gram order; 2 gives chrF++. Default 0. */
  wordOrder?: number;
  /** Recall weight. Default 2. */
  beta?: number;
  /** Lowercase first. Default false. */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams. Default false. */
  whitespace?: boolean;
  /** Epsilon smoothing like chrF++.py/NLTK/Moses instead of effective order. Default false. */
  epsSmoothing?: boolean;
}

/** A chrF result. */
export interface ChrfScore extends CorpusScore {
  readonly charOrder: number;
  readonly wordOrder: number;
  readonly beta: number;
}

const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

function cpLength(w: string): number {
  return hasAstral(w) ? Array.from(w).length : w.length;
}

/** chrF's word splitting: separate one punctuation mark from the start or end of each word. */
export function chrfWords(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    if (cpLength(w) === 1) out.push(w);
    else if (PUNCTS.has(w[w.length - 1]!)) out.push(w.slice(0, -1), w[w.length - 1]!);
    else if (PUNCTS.has(w[0]!)) out.push(w[0]!, w.slice(1));
    else out.push(w);
  }
  return out;
}

function charNgrams(line: string, maxOrder: number, whitespace: boolean): Map<string, number>[] {
  const s = whitespace ? line : pySplit(line).join('');
  const chars = hasAstral(s) ? Array.from(s) : null;
  const len = chars ? chars.length : s.length;
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= len; i++) {
      const g = chars ? chars.slice(i, i + n).join('') : s.slice(i, i + n);
      m.set(g, (m.get(g) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

function wordNgrams(words: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= words.length; i++) {
    const g = words.slice(i, i + n).join(' ');
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

function matchStats(hyp: Map<string, number>, ref: Map<string, number>): [number, number, number] {
  let match = 0;
  let hypCount = 0;
  for (const [g, c] of hyp) {
    hypCount += c;
    const r = ref.get(g);
    if (r !== undefined) match += Math.min(c, r);
  }
  let refCount = 0;
  for (const c of ref.values()) refCount += c;
  return [ref.size > 0 ? hypCount : 0, refCount, match];
}

/**
 * sacreBLEU's chrF / chrF++.
 *
 * @example
 * ```ts
 * const chrf = new Chrf({ wordOrder: 2 }); // chrF++
 * const s = chrf.corpusScore(['a cat sat'], [['the cat sat']]);
 * ```
 */
export class Chrf implements StatsMetric<ChrfScore> {
  readonly charOrder: number;
  readonly wordOrder: number;
  readonly beta: number;
  readonly lowercase: boolean;
  readonly whitespace: boolean;
  readonly epsSmoothing: boolean;
  nrefs = 1;

  constructor(options: ChrfOptions = {}) {
    this.charOrder = options.charOrder ?? 6;
    this.wordOrder = options.wordOrder ?? 0;
    this.beta = options.beta ?? 2;
    this.lowercase = options.lowercase ?? false;
    this.whitespace = options.whitespace ?? false;
    this.epsSmoothing = options.epsSmoothing ?? false;
    if (!Number.isInteger(this.charOrder) || this.charOrder < 0) throw new ConfigError(`charOrder must be a non-negative integer`, { field: 'charOrder' });
    if (!Number.isInteger(this.wordOrder) || this.wordOrder < 0) throw new ConfigError(`wordOrder must be a non-negative integer`, { field: 'wordOrder' });
  }

  /** Metric name: `chrF2`, `chrF2++`. */
  get name(): string {
    return `chrF${this.beta}${'+'.repeat(this.wordOrder)}`;
  }

  private ngrams(sent: string): Map<string, number>[] {
    const s = this.lowercase ? sent.toLowerCase() : sent;
    const all = charNgrams(s, this.charOrder, this.whitespace);
    if (this.wordOrder > 0) {
      const words = chrfWords(s);
      for (let n = 1; n <= this.wordOrder; n++) all.push(wordNgrams(words, n));
    }
    return all;
  }

  /** The F-score from flattened [hyp, ref, match] statistics per order. */
  fScore(stats: ArrayLike<number>): number {
    const eps = 1e-16;
    const order = this.charOrder + this.wordOrder;
    const factor = this.beta ** 2;
    let score = 0;
    let eff = 0;
    let avgPrec = 0;
    let avgRec = 0;
    for (let i = 0; i < order; i++) {
      const nHyp = stats[3 * i]!;
      const nRef = stats[3 * i + 1]!;
      const nMatch = stats[3 * i + 2]!;
      const prec = nHyp > 0 ? nMatch / nHyp : eps;
      const rec = nRef > 0 ? nMatch / nRef : eps;
      const denom = factor * prec + rec;
      score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
      if (nHyp > 0 && nRef > 0) {
        avgPrec += prec;
        avgRec += rec;
        eff += 1;
      }
    }
    if (this.epsSmoothing) return (100 * score) / order;
    if (eff === 0) avgPrec = avgRec = 0;
    else {
      avgPrec /= eff;
      avgRec /= eff;
    }
    if (avgPrec + avgRec) {
      return (100 * ((1 + factor) * avgPrec * avgRec)) / (factor * avgPrec + avgRec);
    }
    return 0.0;
  }

  /** @inheritdoc */
  segmentStatistics(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>, options?: StatsOptions): number[][] {
    checkCorpus(hypotheses, references);
    const { segs, nrefs } = segmentsOf(references, hypotheses.length);
    this.nrefs = nrefs;
    return hypotheses.map((h, i) => {
      stepProgress(options, i, hypotheses.length);
      const hyp = this.ngrams(h);
      let best: number[] = [];
      let bestF = -1.0;
      for (const ref of segs[i]!) {
        const r = this.ngrams(ref);
        const stats: number[] = [];
        for (let k = 0; k < hyp.length; k++) stats.push(...matchStats(hyp[k]!, r[k]!));
        const f = this.fScore(stats);
        if (f > bestF) {
          bestF = f;
          best = stats;
        }
      }
      return best;
    });
  }

  /** @inheritdoc */
  scoreFromStats(stats: ArrayLike<number>): ChrfScore {
    return { name: this.name, score: this.fScore(stats), charOrder: this.charOrder, wordOrder: this.wordOrder, beta: this.beta };
  }

  /** Corpus chrF against reference streams (sacreBLEU layout). */
  corpusScore(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>): ChrfScore {
    return this.scoreFromStats(sumStats(this.segmentStatistics(hypotheses, references), 3 * (this.charOrder + this.wordOrder)));
  }

  /** Sentence chrF. */
  sentenceScore(hypothesis: string, references: readonly string[]): ChrfScore {
    return this.corpusScore([hypothesis], references.map((r) => [r]));
  }

  /** Signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`. */
  signature(extra: SignatureExtras = {}): string {
    return formatSignature(this.nrefs, [
      ['case', this.lowercase ? 'lc' : 'mixed'], ['eff', this.epsSmoothing ? 'no' : 'yes'], ['nc', this.charOrder], ['nw', this.wordOrder], ['space', this.whitespace ? 'yes' : 'no'],
    ], extra);
  }

  /** `chrF2|<signature> = 58.43`. */
  format(score: ChrfScore, options: { width?: number; signature?: string; ci?: { mean: number; ci: number } } = {}): string {
    return formatScoreLine(score, options.width ?? 2, options.signature ?? this.signature(), options.ci);
  }
}

/** Format `NAME|signature = score` with an optional bootstrap μ ± CI. */
export function formatScoreLine(score: CorpusScore, width: number, signature: string, ci?: { mean: number; ci: number }): string {
  let sc = pyFixed(score.score, width);
  if (ci && ci.mean > 0) sc += ` (μ = ${pyFixed(ci.mean, width)} ± ${pyFixed(ci.ci, width)})`;
  return `${signature ? `${score.name}|${signature}` : score.name} = ${sc}`;
}

/** Corpus chrF in one call. */
export function corpusChrf(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>, options: ChrfOptions = {}): ChrfScore {
  return new Chrf(options).corpusScore(hypotheses, references);
}

/** Sentence chrF in one call. */
export function sentenceChrf(hypothesis: string, references: readonly string[], options: ChrfOptions = {}): ChrfScore {
  return new Chrf(options).sentenceScore(hypothesis, references);
}
