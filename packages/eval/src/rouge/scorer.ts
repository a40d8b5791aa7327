/**
 * ROUGE exactly as Google's rouge-score computes it: rougeN (n-gram overlap), rougeL (LCS) and
 * rougeLsum (summary-level union LCS over newline-separated sentences), precision/recall/F1.
 *
 * @packageDocumentation
 */
import { ConfigError } from '@llm/core';
import { PorterStemmer } from './porter.js';
import { rougeTokenize } from './tokenize.js';
import { RougeIds } from './fast.js';
import { IdList } from '../intern.js';

/** Precision, recall and F-measure (rouge-score's `Score`). */
export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** Options of {@link RougeScorer}. */
export interface RougeScorerOptions {
  /** Porter-stem tokens longer than 3 characters (rouge-score `use_stemmer`). Default false. */
  useStemmer?: boolean;
  /**
   * For rougeLsum, split summaries into sentences with a simple sentence splitter in addition to
   * newlines (rouge-score `split_summaries`, which uses NLTK punkt; ours splits on `.`, `!`, `?`
   * followed by whitespace, so results may differ from punkt on abbreviations). Default false:
   * newline = sentence boundary, exactly as rouge-score.
   */
  splitSummaries?: boolean;
  /** Unicode-aware tokenization instead of rouge-score's ASCII-only one. Default false. */
  unicode?: boolean;
  /** A custom tokenizer (overrides `useStemmer`/`unicode`). */
  tokenizer?: (text: string) => string[];
}

/** F-measure as rouge-score: 2PR/(P+R), 0 when P+R is 0. */
export function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0.0;
}

/** rougeN from token lists (target = reference, prediction = candidate). */
export function scoreNgrams(target: Map<string, number>, prediction: Map<string, number>): RougeScore {
  let inter = 0;
  let tCount = 0;
  let pCount = 0;
  for (const [g, c] of target) {
    tCount += c;
    const p = prediction.get(g);
    if (p !== undefined) inter += Math.min(c, p);
  }
  for (const c of prediction.values()) pCount += c;
  const precision = inter / Math.max(pCount, 1);
  const recall = inter / Math.max(tCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** The LCS dynamic-programming table (rows: ref + 1, cols: can + 1), row-major. */
export function lcsTable<T>(ref: readonly T[], can: readonly T[]): Int32Array[] {
  const rows = ref.length;
  const cols = can.length;
  const t: Int32Array[] = [];
  for (let i = 0; i <= rows; i++) t.push(new Int32Array(cols + 1));
  for (let i = 1; i <= rows; i++) {
    const cur = t[i]!;
    const prev = t[i - 1]!;
    const r = ref[i - 1];
    for (let j = 1; j <= cols; j++) {
      cur[j] = r === can[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
  }
  return t;
}

/** Length of the longest common subsequence (linear memory). */
export function lcsLength<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const x = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = x === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** Read one LCS back from the table as indices into `ref` (rouge-score's `_backtrack_norec`). */
export function backtrackLcs<T>(t: readonly Int32Array[], ref: readonly T[], can: readonly T[]): number[] {
  let i = ref.length;
  let j = can.length;
  const out: number[] = [];
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (t[i]![j - 1]! > t[i - 1]![j]!) j--;
    else i--;
  }
  return out.reverse();
}

/** rougeL from token lists. */
export function scoreLcs(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const l = lcsLength(target, prediction);
  const precision = l / prediction.length;
  const recall = l / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Sorted union of LCS indices of `ref` against every candidate sentence (rouge-score `_union_lcs`). */
export function unionLcs<T>(ref: readonly T[], candidates: ReadonlyArray<readonly T[]>): T[] {
  const idx = new Set<number>();
  for (const c of candidates) for (const i of backtrackLcs(lcsTable(ref, c), ref, c)) idx.add(i);
  return [...idx].sort((a, b) => a - b).map((i) => ref[i]!);
}

/** Summary-level LCS (rougeLsum) from tokenized sentences, ROUGE-1.5.5's hit counting. */
export function summaryLevelLcs(refSents: ReadonlyArray<readonly string[]>, canSents: ReadonlyArray<readonly string[]>): RougeScore {
  const zero = { precision: 0, recall: 0, fmeasure: 0 };
  if (refSents.length === 0 || canSents.length === 0) return zero;
  const m = refSents.reduce((a, s) => a + s.length, 0);
  const n = canSents.reduce((a, s) => a + s.length, 0);
  if (!n || !m) return zero;
  const cntR = new Map<string, number>();
  const cntC = new Map<string, number>();
  for (const s of refSents) for (const t of s) cntR.set(t, (cntR.get(t) ?? 0) + 1);
  for (const s of canSents) for (const t of s) cntC.set(t, (cntC.get(t) ?? 0) + 1);
  let hits = 0;
  for (const r of refSents) {
    for (const t of unionLcs(r, canSents)) {
      const c = cntC.get(t) ?? 0;
      const rr = cntR.get(t) ?? 0;
      if (c > 0 && rr > 0) {
        hits++;
        cntC.set(t, c - 1);
        cntR.set(t, rr - 1);
      }
    }
  }
  const recall = hits / m;
  const precision = hits / n;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Valid rouge type names: `rouge1`…`rouge9`, `rougeL`, `rougeLsum`. */
export function isRougeType(t: string): boolean {
  return t === 'rougeL' || t === 'rougeLsum' || /^rouge[1-9]$/.test(t);
}

/**
 * rouge-score's `RougeScorer`.
 *
 * @example
 * ```ts
 * const scorer = new RougeScorer(['rouge1', 'rougeL'], { useStemmer: true });
 * scorer.score('The quick brown fox jumps over the lazy dog', 'The quick brown dog jumps on the log.');
 * ```
 */
export class RougeScorer {
  readonly rougeTypes: readonly string[];
  private readonly tokenizer: (text: string) => string[];
  private readonly splitSummaries: boolean;
  /** Id-based scoring; `defaultTokens` when the tokenizer is rouge-score's own. */
  private readonly ids: RougeIds;
  private readonly defaultTokens: boolean;
  private readonly maxN: number;
  private readonly targetIds = new IdList();
  private readonly predictionIds = new IdList();
  private readonly sentencePool: IdList[] = [];

  constructor(rougeTypes: readonly string[], options: RougeScorerOptions = {}) {
    for (const t of rougeTypes) {
      if (!isRougeType(t)) throw new ConfigError(`invalid rouge type '${t}' (rouge1…rouge9, rougeL, rougeLsum)`, { field: 'rougeTypes' });
    }
    this.rougeTypes = [...rougeTypes];
    const stemmer = options.useStemmer ? new PorterStemmer() : null;
    const unicode = options.unicode ?? false;
    this.tokenizer = options.tokenizer ?? ((text: string) => rougeTokenize(text, { stemmer, unicode }));
    this.splitSummaries = options.splitSummaries ?? false;
    this.defaultTokens = !options.tokenizer && !unicode;
    this.ids = new RougeIds(this.defaultTokens ? stemmer : null);
    this.maxN = Math.max(0, ...this.rougeTypes.map((t) => (/^rouge[1-9]$/.test(t) ? Number(t.slice(5)) : 0)));
  }

  private tokenIds(text: string, out: IdList): IdList {
    if (this.defaultTokens) this.ids.tokenize(text, out);
    else this.ids.internTokens(this.tokenizer(text), out);
    return out;
  }

  private sentenceIds(text: string, from: number): IdList[] {
    const sents = this.sentences(text);
    while (this.sentencePool.length < from + sents.length) this.sentencePool.push(new IdList());
    return sents.map((s, i) => this.tokenIds(s, this.sentencePool[from + i]!));
  }

  /** Tokenize with this scorer's tokenizer. */
  tokenize(text: string): string[] {
    return this.tokenizer(text);
  }

  private sentences(text: string): string[] {
    let sents = text.split('\n');
    if (this.splitSummaries) sents = sents.flatMap((s) => s.split(/(?<=[.!?])\s+/));
    return sents.filter((s) => s.length > 0);
  }

  /** Scores of `prediction` against `target` for every rouge type. */
  score(target: string, prediction: string): Record<string, RougeScore> {
    this.ids.trim();
    const onlyLsum = this.rougeTypes.length === 1 && this.rougeTypes[0] === 'rougeLsum';
    const tt = onlyLsum ? this.targetIds : this.tokenIds(target, this.targetIds);
    const pt = onlyLsum ? this.predictionIds : this.tokenIds(prediction, this.predictionIds);
    const ngram = this.maxN > 0 ? this.ids.ngrams(tt, pt, this.maxN) : [];
    const out: Record<string, RougeScore> = {};
    for (const type of this.rougeTypes) {
      if (type === 'rougeL') out[type] = this.ids.lcs(tt, pt);
      else if (type === 'rougeLsum') {
        // A text without a newline is one sentence (if not empty) with the text's tokens.
        const single = (text: string) => !onlyLsum && !this.splitSummaries && !text.includes('\n');
        const refSents = single(target) ? (target.length > 0 ? [tt] : []) : this.sentenceIds(target, 0);
        const canSents = single(prediction) ? (prediction.length > 0 ? [pt] : []) : this.sentenceIds(prediction, refSents.length);
        out[type] = this.ids.summaryLcs(refSents, canSents);
      } else out[type] = ngram[Number(type.slice(5)) - 1]!;
    }
    return out;
  }

  /** Best score over several targets, per rouge type, by F-measure (rouge-score `score_multi`). */
  scoreMulti(targets: readonly string[], prediction: string): Record<string, RougeScore> {
    const best: Record<string, RougeScore> = {};
    for (const t of targets) {
      const s = this.score(t, prediction);
      for (const [k, v] of Object.entries(s)) if (!best[k] || v.fmeasure > best[k]!.fmeasure) best[k] = v;
    }
    return best;
  }
}
