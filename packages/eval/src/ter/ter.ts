/**
 * TER (translation edit rate, Snover et al. 2006) as sacreBLEU computes it: Tercom's greedy
 * shift search with a beam-limited edit distance.
 *
 * @packageDocumentation
 */
import { pyRstrip, pySplit } from '../text.js';
import { checkCorpus, formatSignature, segmentsOf, sumStats, type CorpusScore, type SignatureExtras, type StatsMetric, type StatsOptions, stepProgress } from '../metric.js';
import { formatScoreLine } from '../chrf.js';
import { tercomTokenize, type TercomOptions } from './tokenizer.js';

const MAX_SHIFT_SIZE = 10;
const MAX_SHIFT_DIST = 50;
const BEAM_WIDTH = 25;
const MAX_SHIFT_CANDIDATES = 1000;
const INF = 1e16;

// Edit operations: 0 nop, 1 sub, 2 ins, 3 del, 4 undefined.
const OP_NOP = 0;
const OP_SUB = 1;
const OP_INS = 2;
const OP_DEL = 3;
const OP_UNDEF = 4;

/** Edit distance between a hypothesis and a fixed reference, with the operation trace. */
function beamEditDistance(hyp: readonly string[], ref: readonly string[]): { dist: number; trace: number[] } {
  const nh = hyp.length;
  const nr = ref.length;
  const W = nr + 1;
  const cost = new Float64Array((nh + 1) * W).fill(INF);
  const ops = new Uint8Array((nh + 1) * W).fill(OP_UNDEF);
  for (let j = 0; j <= nr; j++) {
    cost[j] = j;
    ops[j] = OP_INS;
  }
  const lengthRatio = nh ? nr / nh : 1;
  const beam = BEAM_WIDTH < lengthRatio / 2 ? Math.ceil(lengthRatio / 2 + BEAM_WIDTH) : BEAM_WIDTH;
  for (let i = 1; i <= nh; i++) {
    const pseudoDiag = Math.floor(i * lengthRatio);
    const minJ = Math.max(0, pseudoDiag - beam);
    const maxJ = i === nh ? nr + 1 : Math.min(nr + 1, pseudoDiag + beam);
    const row = i * W;
    const prev = (i - 1) * W;
    for (let j = minJ; j < maxJ; j++) {
      if (j === 0) {
        cost[row] = cost[prev]! + 1;
        ops[row] = OP_DEL;
        continue;
      }
      const same = hyp[i - 1] === ref[j - 1];
      let best = cost[row + j]!;
      let op = ops[row + j]!;
      const c1 = cost[prev + j - 1]! + (same ? 0 : 1);
      if (best > c1) { best = c1; op = same ? OP_NOP : OP_SUB; }
      const c2 = cost[prev + j]! + 1;
      if (best > c2) { best = c2; op = OP_DEL; }
      const c3 = cost[row + j - 1]! + 1;
      if (best > c3) { best = c3; op = OP_INS; }
      cost[row + j] = best;
      ops[row + j] = op;
    }
  }
  const trace: number[] = [];
  let i = nh;
  let j = nr;
  while (i > 0 || j > 0) {
    const op = ops[i * W + j]!;
    trace.push(op);
    if (op === OP_SUB || op === OP_NOP) { i--; j--; }
    else if (op === OP_INS) j--;
    else if (op === OP_DEL) i--;
    else throw new Error(`TER: undefined edit operation at (${i}, ${j})`);
  }
  trace.reverse();
  return { dist: cost[nh * W + nr]!, trace };
}

function performShift(words: readonly string[], start: number, length: number, target: number): string[] {
  if (target < start) {
    return [...words.slice(0, target), ...words.slice(start, start + length), ...words.slice(target, start), ...words.slice(start + length)];
  }
  if (target > start + length) {
    return [...words.slice(0, start), ...words.slice(start + length, target), ...words.slice(start, start + length), ...words.slice(target)];
  }
  return [...words.slice(0, start), ...words.slice(start + length, length + target), ...words.slice(start, start + length), ...words.slice(length + target)];
}

function shift(wordsH: readonly string[], wordsR: readonly string[], checkedIn: number): { delta: number; words: readonly string[]; checked: number } {
  let checked = checkedIn;
  const { dist: preScore, trace: invTrace } = beamEditDistance(wordsH, wordsR);
  // Flip insertions and deletions: rewrite the reference into the hypothesis.
  let posHyp = -1;
  let posRef = -1;
  const hypErr: number[] = [];
  const refErr: number[] = [];
  const align = new Map<number, number>();
  for (const raw of invTrace) {
    const op = raw === OP_INS ? OP_DEL : raw === OP_DEL ? OP_INS : raw;
    if (op === OP_NOP || op === OP_SUB) {
      posHyp++; posRef++;
      align.set(posRef, posHyp);
      hypErr.push(op === OP_SUB ? 1 : 0);
      refErr.push(op === OP_SUB ? 1 : 0);
    } else if (op === OP_INS) {
      posHyp++;
      hypErr.push(1);
    } else {
      posRef++;
      align.set(posRef, posHyp);
      refErr.push(1);
    }
  }
  let best: [number, number, number, number, readonly string[]] | null = null;
  const nh = wordsH.length;
  const nr = wordsR.length;
  const sum = (a: number[], s: number, e: number) => { let t = 0; for (let k = s; k < e && k < a.length; k++) t += a[k]!; return t; };
  outer: for (let startH = 0; startH < nh; startH++) {
    for (let startR = 0; startR < nr; startR++) {
      if (Math.abs(startR - startH) > MAX_SHIFT_DIST) continue;
      let length = 0;
      while (wordsH[startH + length] === wordsR[startR + length] && length < MAX_SHIFT_SIZE) {
        length++;
        // candidate (startH, startR, length)
        if (sum(hypErr, startH, startH + length) !== 0 && sum(refErr, startR, startR + length) !== 0) {
          const a = align.get(startR)!;
          if (!(startH <= a && a < startH + length)) {
            let prevIdx = -1;
            for (let offset = -1; offset < length; offset++) {
              let idx: number;
              if (startR + offset === -1) idx = 0;
              else if (align.has(startR + offset)) idx = align.get(startR + offset)! + 1;
              else break;
              if (idx === prevIdx) continue;
              prevIdx = idx;
              const shifted = performShift(wordsH, startH, length, idx);
              const cand: [number, number, number, number, readonly string[]] = [preScore - beamEditDistance(shifted, wordsR).dist, length, -startH, -idx, shifted];
              checked++;
              if (best === null || tupleGreater(cand, best)) best = cand;
            }
            if (checked >= MAX_SHIFT_CANDIDATES) break outer;
          }
        }
        if (nh === startH + length || nr === startR + length) break;
      }
    }
  }
  if (best === null) return { delta: 0, words: wordsH, checked };
  return { delta: best[0], words: best[4], checked };
}

function tupleGreater(a: readonly [number, number, number, number, readonly string[]], b: readonly [number, number, number, number, readonly string[]]): boolean {
  for (let k = 0; k < 4; k++) {
    if (a[k] !== b[k]) return (a[k] as number) > (b[k] as number);
  }
  const wa = a[4];
  const wb = b[4];
  for (let k = 0; k < Math.min(wa.length, wb.length); k++) if (wa[k] !== wb[k]) return wa[k]! > wb[k]!;
  return wa.length > wb.length;
}

/** Number of edits (shifts + edit distance) turning `hyp` into `ref`, and the reference length. */
export function translationEditRate(wordsHyp: readonly string[], wordsRef: readonly string[]): { edits: number; refLength: number } {
  if (wordsRef.length === 0) return { edits: wordsHyp.length, refLength: 0 };
  let shifts = 0;
  let input: readonly string[] = wordsHyp;
  let checked = 0;
  for (;;) {
    const r = shift(input, wordsRef, checked);
    checked = r.checked;
    if (checked >= MAX_SHIFT_CANDIDATES) break;
    if (r.delta <= 0) break;
    shifts++;
    input = r.words;
  }
  return { edits: shifts + beamEditDistance(input, wordsRef).dist, refLength: wordsRef.length };
}

/** A TER result. */
export interface TerScore extends CorpusScore {
  readonly name: 'TER';
  /** Total edits. */
  readonly numEdits: number;
  /** Summed average reference length. */
  readonly refLength: number;
}

/**
 * sacreBLEU's TER.
 *
 * @example
 * ```ts
 * new Ter().corpusScore(['d e f g h a b c'], [['a b c d e f g h']]).score; // 12.5
 * ```
 */
export class Ter implements StatsMetric<TerScore> {
  readonly options: Required<TercomOptions>;
  nrefs = 1;

  constructor(options: TercomOptions = {}) {
    this.options = {
      normalized: options.normalized ?? false, noPunct: options.noPunct ?? false,
      asianSupport: options.asianSupport ?? false, caseSensitive: options.caseSensitive ?? false,
    };
  }

  private words(sent: string): string[] {
    return pySplit(tercomTokenize(pyRstrip(sent), this.options));
  }

  /** @inheritdoc */
  segmentStatistics(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>, options?: StatsOptions): number[][] {
    checkCorpus(hypotheses, references);
    const { segs, nrefs } = segmentsOf(references, hypotheses.length);
    this.nrefs = nrefs;
    return hypotheses.map((h, i) => {
      stepProgress(options, i, hypotheses.length);
      const hw = this.words(h);
      const refs = segs[i]!.map((r) => this.words(r));
      let refLengths = 0;
      let best = 1e16;
      for (const rw of refs) {
        const { edits, refLength } = translationEditRate(hw, rw);
        refLengths += refLength;
        if (edits < best) best = edits;
      }
      return [best, refLengths / refs.length];
    });
  }

  /** @inheritdoc */
  scoreFromStats(stats: ArrayLike<number>): TerScore {
    const edits = stats[0]!;
    const refLen = stats[1]!;
    const score = refLen > 0 ? edits / refLen : edits > 0 ? 1.0 : 0.0;
    return { name: 'TER', score: 100 * score, numEdits: Math.trunc(edits), refLength: refLen };
  }

  /** Corpus TER. */
  corpusScore(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>): TerScore {
    return this.scoreFromStats(sumStats(this.segmentStatistics(hypotheses, references), 2));
  }

  /** Sentence TER. */
  sentenceScore(hypothesis: string, references: readonly string[]): TerScore {
    return this.corpusScore([hypothesis], references.map((r) => [r]));
  }

  /** Signature, e.g. `nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0`. */
  signature(extra: SignatureExtras = {}): string {
    const o = this.options;
    return formatSignature(this.nrefs, [
      ['case', o.caseSensitive ? 'mixed' : 'lc'], ['tok', 'tercom'], ['norm', o.normalized], ['punct', !o.noPunct], ['asian', o.asianSupport],
    ], extra);
  }

  /** `TER|<signature> = 13.6`. */
  format(score: TerScore, options: { width?: number; signature?: string; ci?: { mean: number; ci: number } } = {}): string {
    return formatScoreLine(score, options.width ?? 2, options.signature ?? this.signature(), options.ci);
  }
}

/** Corpus TER in one call. */
export function corpusTer(hypotheses: readonly string[], references: ReadonlyArray<ReadonlyArray<string | null | undefined>>, options: TercomOptions = {}): TerScore {
  return new Ter(options).corpusScore(hypotheses, references);
}
