/**
 * The byte-pair merge loop shared by the tiktoken-style and the merges-list BPE models.
 *
 * Parts live in a linked list over unit positions (bytes or characters); candidate pairs sit in
 * a binary min-heap keyed by (rank, position), so each merge costs O(log n) and a piece of n
 * units costs O(n log n) — never the O(n²) of rescanning all pairs after every merge. The lowest
 * rank merges first and ties go to the leftmost pair, as in tiktoken and HF tokenizers.
 *
 * @packageDocumentation
 */

/** Multiplier that packs a merge's rank and its resulting id into one number. */
export const ID_SPACE = 1 << 21;
const POS_SPACE = 2 ** 27;

/** Work counter for tests of the algorithm's growth (heap pushes plus pops). */
export const bpeWork = { count: 0 };

/**
 * Value of merging the left part (id `left`, starting at unit `a`) with the right part (id
 * `right`, ending at unit `b`, exclusive): `rank * ID_SPACE + mergedId`, or -1 if they do not merge.
 */
export type PairValue = (left: number, right: number, a: number, b: number) => number;

/**
 * Merge units into tokens. `ids[i]` is the id of unit i; returns the ids of the final parts
 * and (in `bounds`, when given) their start positions followed by `n`.
 */
export function mergeParts(ids: Int32Array, pairValue: PairValue, out: number[], bounds?: number[]): void {
  const n = ids.length;
  if (n === 0) return;
  if (n === 1) {
    out.push(ids[0]!);
    if (bounds) bounds.push(0, 1);
    return;
  }
  const id = ids;
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const val = new Float64Array(n);
  for (let i = 0; i < n; i++) { next[i] = i + 1; prev[i] = i - 1; }
  const heap: number[] = [];
  let work = 0;
  const push = (key: number) => {
    work++;
    let k = heap.length;
    heap.push(key);
    while (k > 0) {
      const p = (k - 1) >> 1;
      const pk = heap[p]!;
      if (pk <= key) break;
      heap[k] = pk;
      k = p;
    }
    heap[k] = key;
  };
  const pop = (): number => {
    work++;
    const top = heap[0]!;
    const last = heap.pop()!;
    const len = heap.length;
    if (len > 0) {
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        if (l >= len) break;
        const r = l + 1;
        const c = r < len && heap[r]! < heap[l]! ? r : l;
        if (heap[c]! >= last) break;
        heap[k] = heap[c]!;
        k = c;
      }
      heap[k] = last;
    }
    return top;
  };
  for (let i = 0; i + 1 < n; i++) {
    const v = pairValue(id[i]!, id[i + 1]!, i, i + 2 <= n ? i + 2 : n);
    val[i] = v;
    if (v >= 0) push(Math.floor(v / ID_SPACE) * POS_SPACE + i);
  }
  val[n - 1] = -1;
  while (heap.length > 0) {
    const key = pop();
    const i = key % POS_SPACE;
    const rank = (key - i) / POS_SPACE;
    const v = val[i]!;
    if (v < 0 || Math.floor(v / ID_SPACE) !== rank) continue; // stale entry
    const j = next[i]!;
    id[i] = v % ID_SPACE;
    const nj = next[j]!;
    next[i] = nj;
    if (nj < n) prev[nj] = i;
    // pair (i, next)
    if (nj < n) {
      const end = next[nj]!;
      const nv = pairValue(id[i]!, id[nj]!, i, end);
      val[i] = nv;
      if (nv >= 0) push(Math.floor(nv / ID_SPACE) * POS_SPACE + i);
    } else val[i] = -1;
    val[j] = -1;
    const p = prev[i]!;
    if (p >= 0) {
      const pv = pairValue(id[p]!, id[i]!, p, nj);
      val[p] = pv;
      if (pv >= 0) push(Math.floor(pv / ID_SPACE) * POS_SPACE + p);
    }
  }
  for (let i = 0; i < n; i = next[i]!) {
    out.push(id[i]!);
    if (bounds) bounds.push(i);
  }
  if (bounds) bounds.push(n);
  bpeWork.count += work;
}
