/**
 * The Porter stemmer, behaving exactly as NLTK's `PorterStemmer` (the stemmer rouge-score uses:
 * `nltk.stem.porter.PorterStemmer()`, i.e. the default `NLTK_EXTENSIONS` mode). The
 * `ORIGINAL_ALGORITHM` (Porter 1980) and `MARTIN_EXTENSIONS` modes are available too. Verified
 * word by word against NLTK 3.8 from Debian (fixtures/porter).
 *
 * @packageDocumentation
 */

/** The stemmer variants NLTK offers. */
export type PorterMode = 'NLTK_EXTENSIONS' | 'MARTIN_EXTENSIONS' | 'ORIGINAL_ALGORITHM';

type Condition = ((stem: string) => boolean) | null;
type Rule = readonly [suffix: string, replacement: string, condition: Condition];

const IRREGULAR: Record<string, readonly string[]> = {
  sky: ['sky', 'skies'], die: ['dying'], lie: ['lying'], tie: ['tying'], news: ['news'],
  inning: ['innings', 'inning'], outing: ['outings', 'outing'], canning: ['cannings', 'canning'],
  howe: ['howe'], proceed: ['proceed'], exceed: ['exceed'], succeed: ['succeed'],
};

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/**
 * A Porter stemmer.
 *
 * @example
 * ```ts
 * const s = new PorterStemmer();
 * s.stem('running'); // 'run'
 * s.stem('generously'); // 'gener'
 * ```
 */
export class PorterStemmer {
  readonly mode: PorterMode;
  private readonly pool = new Map<string, string>();
  private readonly cache = new Map<string, string>();

  constructor(mode: PorterMode = 'NLTK_EXTENSIONS') {
    this.mode = mode;
    if (mode === 'NLTK_EXTENSIONS') {
      for (const [key, forms] of Object.entries(IRREGULAR)) for (const f of forms) this.pool.set(f, key);
    }
  }

  private isConsonant(word: string, i: number): boolean {
    const c = word[i]!;
    if (VOWELS.has(c)) return false;
    if (c === 'y') return i === 0 ? true : !this.isConsonant(word, i - 1);
    return true;
  }

  /** m in [C](VC)^m[V]. */
  measure(stem: string): number {
    let m = 0;
    let prevVowel = false;
    for (let i = 0; i < stem.length; i++) {
      const cons = this.isConsonant(stem, i);
      if (cons && prevVowel) m++;
      prevVowel = !cons;
    }
    return m;
  }

  private hasPositiveMeasure = (stem: string): boolean => this.measure(stem) > 0;

  private containsVowel(stem: string): boolean {
    for (let i = 0; i < stem.length; i++) if (!this.isConsonant(stem, i)) return true;
    return false;
  }

  private endsDoubleConsonant(word: string): boolean {
    const n = word.length;
    return n >= 2 && word[n - 1] === word[n - 2] && this.isConsonant(word, n - 1);
  }

  private endsCvc(word: string): boolean {
    const n = word.length;
    const classic = n >= 3 && this.isConsonant(word, n - 3) && !this.isConsonant(word, n - 2) && this.isConsonant(word, n - 1) && !'wxy'.includes(word[n - 1]!);
    const nltk = this.mode === 'NLTK_EXTENSIONS' && n === 2 && !this.isConsonant(word, 0) && this.isConsonant(word, 1);
    return classic || nltk;
  }

  private static strip(word: string, suffix: string): string {
    return suffix === '' ? word : word.slice(0, word.length - suffix.length);
  }

  private applyRules(word: string, rules: readonly Rule[]): string {
    for (const [suffix, replacement, condition] of rules) {
      if (suffix === '*d' && this.endsDoubleConsonant(word)) {
        const stem = word.slice(0, -2);
        return condition === null || condition(stem) ? stem + replacement : word;
      }
      if (word.endsWith(suffix)) {
        const stem = PorterStemmer.strip(word, suffix);
        return condition === null || condition(stem) ? stem + replacement : word;
      }
    }
    return word;
  }

  private step1a(word: string): string {
    if (this.mode === 'NLTK_EXTENSIONS' && word.endsWith('ies') && word.length === 4) return `${PorterStemmer.strip(word, 'ies')}ie`;
    return this.applyRules(word, [['sses', 'ss', null], ['ies', 'i', null], ['ss', 'ss', null], ['s', '', null]]);
  }

  private step1b(word: string): string {
    if (this.mode === 'NLTK_EXTENSIONS' && word.endsWith('ied')) {
      return `${PorterStemmer.strip(word, 'ied')}${word.length === 4 ? 'ie' : 'i'}`;
    }
    if (word.endsWith('eed')) {
      const stem = PorterStemmer.strip(word, 'eed');
      return this.measure(stem) > 0 ? `${stem}ee` : word;
    }
    let inter: string | null = null;
    for (const suffix of ['ed', 'ing']) {
      if (word.endsWith(suffix)) {
        const s = PorterStemmer.strip(word, suffix);
        if (this.containsVowel(s)) {
          inter = s;
          break;
        }
      }
    }
    if (inter === null) return word;
    const last = inter[inter.length - 1] ?? '';
    return this.applyRules(inter, [
      ['at', 'ate', null], ['bl', 'ble', null], ['iz', 'ize', null],
      ['*d', last, () => !'lsz'.includes(last) || last === ''],
      ['', 'e', (stem) => this.measure(stem) === 1 && this.endsCvc(stem)],
    ]);
  }

  private step1c(word: string): string {
    const cond = this.mode === 'NLTK_EXTENSIONS'
      ? (stem: string) => stem.length > 1 && this.isConsonant(stem, stem.length - 1)
      : (stem: string) => this.containsVowel(stem);
    return this.applyRules(word, [['y', 'i', cond]]);
  }

  private step2(word: string): string {
    const pos = this.hasPositiveMeasure;
    if (this.mode === 'NLTK_EXTENSIONS' && word.endsWith('alli') && pos(PorterStemmer.strip(word, 'alli'))) {
      return this.step2(`${PorterStemmer.strip(word, 'alli')}al`);
    }
    const rules: Rule[] = [
      ['ational', 'ate', pos], ['tional', 'tion', pos], ['enci', 'ence', pos], ['anci', 'ance', pos], ['izer', 'ize', pos],
      this.mode === 'ORIGINAL_ALGORITHM' ? ['abli', 'able', pos] : ['bli', 'ble', pos],
      ['alli', 'al', pos], ['entli', 'ent', pos], ['eli', 'e', pos], ['ousli', 'ous', pos], ['ization', 'ize', pos],
      ['ation', 'ate', pos], ['ator', 'ate', pos], ['alism', 'al', pos], ['iveness', 'ive', pos], ['fulness', 'ful', pos],
      ['ousness', 'ous', pos], ['aliti', 'al', pos], ['iviti', 'ive', pos], ['biliti', 'ble', pos],
    ];
    if (this.mode === 'NLTK_EXTENSIONS') {
      rules.push(['fulli', 'ful', pos]);
      rules.push(['logi', 'log', () => pos(word.slice(0, -3))]);
    }
    if (this.mode === 'MARTIN_EXTENSIONS') rules.push(['logi', 'log', pos]);
    return this.applyRules(word, rules);
  }

  private step3(word: string): string {
    const pos = this.hasPositiveMeasure;
    return this.applyRules(word, [
      ['icate', 'ic', pos], ['ative', '', pos], ['alize', 'al', pos], ['iciti', 'ic', pos], ['ical', 'ic', pos], ['ful', '', pos], ['ness', '', pos],
    ]);
  }

  private step4(word: string): string {
    const gt1 = (stem: string) => this.measure(stem) > 1;
    return this.applyRules(word, [
      ['al', '', gt1], ['ance', '', gt1], ['ence', '', gt1], ['er', '', gt1], ['ic', '', gt1], ['able', '', gt1], ['ible', '', gt1],
      ['ant', '', gt1], ['ement', '', gt1], ['ment', '', gt1], ['ent', '', gt1],
      ['ion', '', (stem) => this.measure(stem) > 1 && (stem.endsWith('s') || stem.endsWith('t'))],
      ['ou', '', gt1], ['ism', '', gt1], ['ate', '', gt1], ['iti', '', gt1], ['ous', '', gt1], ['ive', '', gt1], ['ize', '', gt1],
    ]);
  }

  private step5a(word: string): string {
    if (word.endsWith('e')) {
      const stem = word.slice(0, -1);
      const m = this.measure(stem);
      if (m > 1) return stem;
      if (m === 1 && !this.endsCvc(stem)) return stem;
    }
    return word;
  }

  private step5b(word: string): string {
    return this.applyRules(word, [['ll', 'l', () => this.measure(word.slice(0, -1)) > 1]]);
  }

  /** Stem one word (lowercased first, like NLTK's default `to_lowercase=True`). */
  stem(word: string, toLowercase = true): string {
    const cached = this.cache.get(word);
    if (cached !== undefined && toLowercase) return cached;
    let stem = toLowercase ? word.toLowerCase() : word;
    if (this.mode === 'NLTK_EXTENSIONS' && this.pool.has(word)) return this.pool.get(stem) ?? stem;
    if (this.mode !== 'ORIGINAL_ALGORITHM' && word.length <= 2) return stem;
    stem = this.step1a(stem);
    stem = this.step1b(stem);
    stem = this.step1c(stem);
    stem = this.step2(stem);
    stem = this.step3(stem);
    stem = this.step4(stem);
    stem = this.step5a(stem);
    stem = this.step5b(stem);
    if (toLowercase && this.cache.size < 100_000) this.cache.set(word, stem);
    return stem;
  }
}
