/** Finds special-token strings in text (leftmost, then longest). */
export class SpecialMatcher {
  private readonly cache = new Map<string, RegExp>();
  constructor(private readonly tokens: readonly string[]) {}

  private regexFor(set: ReadonlySet<string>): RegExp | undefined {
    const list = this.tokens.filter((t) => set.has(t) && t.length > 0).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    if (list.length === 0) return undefined;
    const key = list.join('\u0000');
    let re = this.cache.get(key);
    if (!re) {
      re = new RegExp(list.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu');
      this.cache.set(key, re);
    }
    return re;
  }

  /** First occurrence of any token in `set`. */
  findFirst(text: string, set: ReadonlySet<string>): { token: string; index: number } | undefined {
    const re = this.regexFor(set);
    if (!re) return undefined;
    re.lastIndex = 0;
    const m = re.exec(text);
    return m ? { token: m[0], index: m.index } : undefined;
  }

  /** Every non-overlapping occurrence of tokens in `set`, left to right. */
  findAll(text: string, set: ReadonlySet<string>): Array<{ token: string; index: number }> {
    const re = this.regexFor(set);
    if (!re) return [];
    const out: Array<{ token: string; index: number }> = [];
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) out.push({ token: m[0], index: m.index });
    return out;
  }
}
