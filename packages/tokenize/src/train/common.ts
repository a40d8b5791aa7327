import { ConfigError, createProgress, readLines, throwIfAborted } from '@llm/core';

/** Texts to train on: strings, (async) iterables of strings, or file paths via {@link linesOfFiles}. */
export type TrainingInput = Iterable<string> | AsyncIterable<string>;

/** Options shared by the trainers. */
export interface TrainerCommonOptions {
  /** Target vocabulary size (special tokens and alphabet included). */
  vocabSize: number;
  /** Pairs (BPE) or words (WordPiece) seen fewer times are not merged / kept. Default 2. */
  minFrequency?: number;
  /** Special tokens, given the first ids in this order. */
  specialTokens?: readonly string[];
  /** Show a progress bar (when stderr is a TTY). Default true. */
  showProgress?: boolean;
  /** Called after each merge / phase with (done, total). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Lines of text files, streamed (gzip read transparently). */
export async function* linesOfFiles(paths: readonly string[], signal?: AbortSignal): AsyncGenerator<string> {
  for (const p of paths) {
    for await (const l of readLines(p, { signal })) yield l.line;
  }
}

/** Count items produced by `split(text)` over all texts. */
export async function countWords(input: TrainingInput, split: (text: string, add: (w: string) => void) => void, signal?: AbortSignal): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const add = (w: string) => { counts.set(w, (counts.get(w) ?? 0) + 1); };
  let n = 0;
  for await (const text of input as AsyncIterable<string>) {
    if ((++n & 1023) === 0) throwIfAborted(signal);
    split(text, add);
  }
  throwIfAborted(signal);
  return counts;
}

/** A max-heap of pairs ordered by count (desc), then by the pair's ids (asc), as HF's trainer orders merges. */
export class PairHeap {
  private readonly c: number[] = [];
  private readonly a: number[] = [];
  private readonly b: number[] = [];
  get size(): number { return this.c.length; }
  private less(i: number, j: number): boolean {
    // true if i should be above j
    const ci = this.c[i]!;
    const cj = this.c[j]!;
    if (ci !== cj) return ci > cj;
    if (this.a[i] !== this.a[j]) return this.a[i]! < this.a[j]!;
    return this.b[i]! < this.b[j]!;
  }
  private swap(i: number, j: number): void {
    const { c, a, b } = this;
    [c[i], c[j]] = [c[j]!, c[i]!];
    [a[i], a[j]] = [a[j]!, a[i]!];
    [b[i], b[j]] = [b[j]!, b[i]!];
  }
  push(count: number, left: number, right: number): void {
    this.c.push(count); this.a.push(left); this.b.push(right);
    let k = this.c.length - 1;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!this.less(k, p)) break;
      this.swap(k, p);
      k = p;
    }
  }
  pop(): [number, number, number] | undefined {
    if (this.c.length === 0) return undefined;
    const top: [number, number, number] = [this.c[0]!, this.a[0]!, this.b[0]!];
    const last = this.c.length - 1;
    this.swap(0, last);
    this.c.pop(); this.a.pop(); this.b.pop();
    let k = 0;
    const n = this.c.length;
    for (;;) {
      const l = 2 * k + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.less(r, l) ? r : l;
      if (!this.less(m, k)) break;
      this.swap(m, k);
      k = m;
    }
    return top;
  }
}

const PAIR = 1 << 21;

/** Settings of {@link learnMerges}. */
export interface LearnMergesOptions {
  specials: readonly string[];
  vocabSize: number;
  minFrequency: number;
  initialAlphabet: readonly string[];
  /** Initial symbols of a word (characters, possibly with a continuation prefix). */
  symbolize: (word: string) => string[];
  /** The token that merging two symbols makes. */
  join: (a: string, b: string) => string;
  label: string;
  showProgress?: boolean;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * The BPE merge-learning loop over counted words, with incremental pair counts: a merge updates
 * only the words holding the pair (pair → words index), by their old and new pairs' difference;
 * the best pair comes from a lazy max-heap (count desc, then ids asc), so results are deterministic.
 * @throws ConfigError if the vocabulary cannot hold the specials and the alphabet.
 */
export function learnMerges(counts: Map<string, number>, o: LearnMergesOptions): { vocab: Map<string, number>; merges: Array<[string, string]> } {
  const vocab = new Map<string, number>();
  const idToTok: string[] = [];
  const addTok = (t: string) => { if (!vocab.has(t)) { vocab.set(t, idToTok.length); idToTok.push(t); } };
  for (const s of o.specials) addTok(s);
  const symbols: string[][] = [];
  const alphabet = new Set<string>(o.initialAlphabet);
  for (const w of counts.keys()) {
    const sy = o.symbolize(w);
    symbols.push(sy);
    for (const ch of sy) alphabet.add(ch);
  }
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  for (const ch of [...alphabet].sort(cmp)) addTok(ch);
  if (o.vocabSize < idToTok.length) throw new ConfigError(`vocabSize ${o.vocabSize} is smaller than the ${idToTok.length} special tokens and alphabet symbols`, { field: 'vocabSize' });
  const words: number[][] = symbols.map((sy) => sy.map((ch) => vocab.get(ch)!));
  const freq: number[] = [...counts.values()];
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  for (let wi = 0; wi < words.length; wi++) {
    const w = words[wi]!;
    const c = freq[wi]!;
    for (let i = 0; i + 1 < w.length; i++) {
      const k = w[i]! * PAIR + w[i + 1]!;
      pairCount.set(k, (pairCount.get(k) ?? 0) + c);
      let s = where.get(k);
      if (!s) { s = new Set(); where.set(k, s); }
      s.add(wi);
    }
  }
  const heap = new PairHeap();
  for (const [k, c] of pairCount) heap.push(c, Math.floor(k / PAIR), k % PAIR);
  const merges: Array<[string, string]> = [];
  const target = o.vocabSize - idToTok.length;
  const progress = createProgress({ label: o.label, total: target, unit: 'merges', enabled: o.showProgress === false ? false : undefined });
  try {
    while (idToTok.length < o.vocabSize) {
      if ((merges.length & 63) === 0) throwIfAborted(o.signal);
      const top = heap.pop();
      if (!top) break;
      const [c, a, b] = top;
      const k = a * PAIR + b;
      const cur = pairCount.get(k) ?? 0;
      if (cur !== c) { if (cur > 0) heap.push(cur, a, b); continue; }
      if (c < o.minFrequency) break;
      const merged = o.join(idToTok[a]!, idToTok[b]!);
      let newId = vocab.get(merged);
      if (newId === undefined) { newId = idToTok.length; vocab.set(merged, newId); idToTok.push(merged); }
      merges.push([idToTok[a]!, idToTok[b]!]);
      const delta = new Map<number, number>();
      const bump = (key: number, d: number) => { delta.set(key, (delta.get(key) ?? 0) + d); };
      for (const wi of where.get(k) ?? []) {
        const w = words[wi]!;
        let has = false;
        for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) { has = true; break; }
        if (!has) continue;
        const f = freq[wi]!;
        for (let i = 0; i + 1 < w.length; i++) bump(w[i]! * PAIR + w[i + 1]!, -f);
        const nw: number[] = [];
        for (let i = 0; i < w.length; i++) {
          if (i + 1 < w.length && w[i] === a && w[i + 1] === b) { nw.push(newId); i++; } else nw.push(w[i]!);
        }
        words[wi] = nw;
        for (let i = 0; i + 1 < nw.length; i++) {
          const pk = nw[i]! * PAIR + nw[i + 1]!;
          bump(pk, f);
          if (pk === k) continue;
          let s = where.get(pk);
          if (!s) { s = new Set(); where.set(pk, s); }
          s.add(wi);
        }
      }
      pairCount.delete(k);
      where.delete(k);
      for (const [pk, d] of delta) {
        if (d === 0 || pk === k) continue;
        const nc = (pairCount.get(pk) ?? 0) + d;
        if (nc <= 0) pairCount.delete(pk); else pairCount.set(pk, nc);
        if (d > 0) heap.push(nc, Math.floor(pk / PAIR), pk % PAIR);
      }
      progress.tick(1);
      o.onProgress?.(merges.length, target);
    }
  } finally {
    progress.done();
  }
  return { vocab, merges };
}
