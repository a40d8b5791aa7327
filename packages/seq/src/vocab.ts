import { FormatError, InputError } from '@llm/core';
import type { EncodeOptions, Encoding, Tokenizer } from '@llm/core';

/**
 * A word-level tokenizer built from a training set: lower-cased words and punctuation runs, the
 * `minCount` most frequent kept, everything else `[UNK]`. It implements `@llm/core`'s
 * {@link Tokenizer} and saves as a Hugging Face `tokenizer.json` with a `WordLevel` model, a
 * `Lowercase` normalizer and a `Whitespace` pre-tokenizer (`\w+|[^\w\s]+`), which
 * `@huggingface/tokenizers` and the Python `tokenizers` library load and split the same way
 * (for ASCII text; `\w` here is Unicode-aware letters, digits and `_`, as in the Rust crate).
 *
 * It exists so this package works on its own; any other {@link Tokenizer} (BPE, WordPiece from
 * `@llm/tokenize`) can be handed to the classifier instead.
 */

/** Padding token, id 0. */
export const PAD_TOKEN = '[PAD]';
/** Unknown-word token, id 1. */
export const UNK_TOKEN = '[UNK]';

const WORD_RE = /[\p{L}\p{N}\p{M}_]+|[^\p{L}\p{N}\p{M}_\s]+/gu;

/** Split text into lower-cased words and punctuation runs, with UTF-16 offsets. */
export function splitWords(text: string): Array<{ word: string; start: number; end: number }> {
  const out: Array<{ word: string; start: number; end: number }> = [];
  const lower = text.toLowerCase();
  // toLowerCase can change lengths for a few characters (İ); offsets then refer to the lower-cased text.
  for (const m of lower.matchAll(WORD_RE)) out.push({ word: m[0], start: m.index!, end: m.index! + m[0].length });
  return out;
}

/** Options for {@link WordTokenizer.build}. */
export interface BuildVocabOptions {
  /** Keep words seen at least this often. Default 2. */
  minCount?: number;
  /** Keep at most this many words (most frequent first; ties by first appearance). Default 20,000. */
  maxSize?: number;
}

/** A word-level {@link Tokenizer}: `[PAD]` = 0, `[UNK]` = 1, then words by frequency. */
export class WordTokenizer implements Tokenizer {
  readonly specialTokens: Readonly<Record<string, number>> = { [PAD_TOKEN]: 0, [UNK_TOKEN]: 1 };
  private readonly ids: Map<string, number>;
  private readonly words: string[];

  /** @param words the vocabulary in id order; must start with `[PAD]`, `[UNK]`. */
  constructor(words: readonly string[]) {
    if (words[0] !== PAD_TOKEN || words[1] !== UNK_TOKEN) throw new InputError(`a word vocabulary must start with ${PAD_TOKEN}, ${UNK_TOKEN}`);
    this.words = [...words];
    this.ids = new Map();
    this.words.forEach((w, i) => {
      if (this.ids.has(w)) throw new InputError(`word '${w}' appears twice in the vocabulary (ids ${this.ids.get(w)} and ${i})`);
      this.ids.set(w, i);
    });
  }

  /** Count words in `texts` and keep the frequent ones. */
  static build(texts: Iterable<string>, options: BuildVocabOptions = {}): WordTokenizer {
    const minCount = options.minCount ?? 2;
    const maxSize = options.maxSize ?? 20_000;
    const counts = new Map<string, number>();
    for (const t of texts) for (const { word } of splitWords(t)) counts.set(word, (counts.get(word) ?? 0) + 1);
    // Map iteration order is first appearance, and sort is stable: ties keep it.
    const kept = [...counts].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1]).slice(0, Math.max(0, maxSize - 2)).map(([w]) => w);
    return new WordTokenizer([PAD_TOKEN, UNK_TOKEN, ...kept.filter((w) => w !== PAD_TOKEN && w !== UNK_TOKEN)]);
  }

  get vocabSize(): number {
    return this.words.length;
  }

  /** The vocabulary in id order. */
  get vocabulary(): readonly string[] {
    return this.words;
  }

  encode(text: string, pair?: string, _options?: EncodeOptions): Encoding {
    const enc: Encoding = { ids: [], tokens: [], offsets: [], typeIds: [], attentionMask: [], specialTokensMask: [] };
    const add = (t: string, typeId: number) => {
      for (const { word, start, end } of splitWords(t)) {
        const id = this.ids.get(word) ?? 1;
        enc.ids.push(id);
        enc.tokens.push(this.words[id]!);
        enc.offsets.push([start, end]);
        enc.typeIds.push(typeId);
        enc.attentionMask.push(1);
        enc.specialTokensMask.push(0);
      }
    };
    add(text, 0);
    if (pair !== undefined) add(pair, 1);
    return enc;
  }

  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (options.skipSpecialTokens && (id === 0 || id === 1)) continue;
      out.push(this.words[id] ?? UNK_TOKEN);
    }
    return out.join(' ');
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.words[id];
  }

  /** The Hugging Face `tokenizer.json` object (WordLevel model). */
  toJSON(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    this.words.forEach((w, i) => { vocab[w] = i; });
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [PAD_TOKEN, UNK_TOKEN].map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab, unk_token: UNK_TOKEN },
    };
  }

  /** Read a `tokenizer.json` written by {@link WordTokenizer.toJSON} (any WordLevel one whose ids 0, 1 are `[PAD]`, `[UNK]`). */
  static fromJSON(json: unknown, file?: string): WordTokenizer {
    const model = (json as { model?: { type?: unknown; vocab?: unknown } } | null)?.model;
    if (!model || model.type !== 'WordLevel') throw new FormatError('tokenizer.json', 'expected a WordLevel model', { file, field: 'model.type' });
    const vocab = model.vocab;
    if (!vocab || typeof vocab !== 'object') throw new FormatError('tokenizer.json', 'model.vocab must be an object', { file, field: 'model.vocab' });
    const words: string[] = [];
    for (const [w, id] of Object.entries(vocab as Record<string, unknown>)) {
      if (!Number.isInteger(id) || (id as number) < 0) throw new FormatError('tokenizer.json', `id of '${w}' must be a non-negative integer`, { file, field: `model.vocab.${w}` });
      if (words[id as number] !== undefined) throw new FormatError('tokenizer.json', `id ${id} is used twice`, { file, field: `model.vocab.${w}` });
      words[id as number] = w;
    }
    for (let i = 0; i < words.length; i++) if (words[i] === undefined) throw new FormatError('tokenizer.json', `id ${i} is missing from model.vocab`, { file, field: 'model.vocab' });
    try {
      return new WordTokenizer(words);
    } catch (err) {
      throw new FormatError('tokenizer.json', (err as Error).message, { file, field: 'model.vocab' }, { cause: err });
    }
  }
}
