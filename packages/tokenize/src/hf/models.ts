import { ConfigError } from '@llm/core';
import { ID_SPACE, mergeParts } from '../bpe-core.js';

/**
 * The two subword models of tokenizer.json: BPE (a merges list over a vocabulary) and WordPiece
 * (greedy longest match with a continuation prefix).
 *
 * @packageDocumentation
 */

/** A token produced by a model: id and its `[start, end)` in UTF-16 units of the word. */
export interface ModelToken {
  id: number;
  start: number;
  end: number;
}

/** A subword model. */
export interface Model {
  /** Tokenize one pre-tokenised word. */
  tokenize(word: string): ModelToken[];
  /** Id of a token string. */
  tokenToId(token: string): number | undefined;
  /** Token string of an id. */
  idToToken(id: number): string | undefined;
  /** Number of ids in the model's vocabulary. */
  readonly size: number;
}

/** Options of a BPE model (tokenizer.json field names, camel-cased). */
export interface BpeModelOptions {
  unkToken?: string | null;
  continuingSubwordPrefix?: string | null;
  endOfWordSuffix?: string | null;
  fuseUnk?: boolean;
  byteFallback?: boolean;
  ignoreMerges?: boolean;
}

const CACHE_LIMIT = 100_000;
const PAIR = 1 << 21;

/** BPE over a vocabulary and a ranked merges list. */
export class BpeModel implements Model {
  readonly vocab: Map<string, number>;
  readonly merges: Array<[string, string]>;
  readonly options: BpeModelOptions;
  private readonly idToTok: string[] = [];
  private readonly pairs = new Map<number, number>();
  private cache = new Map<string, ModelToken[]>();

  /**
   * @throws ConfigError if a merge names a token missing from the vocabulary.
   */
  constructor(vocab: Map<string, number>, merges: Array<[string, string]>, options: BpeModelOptions = {}) {
    this.vocab = vocab;
    this.merges = merges;
    this.options = options;
    for (const [t, id] of vocab) this.idToTok[id] = t;
    const prefix = options.continuingSubwordPrefix ?? '';
    merges.forEach(([a, b], rank) => {
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      const merged = b.startsWith(prefix) && prefix ? a + b.slice(prefix.length) : a + b;
      const im = vocab.get(merged);
      if (ia === undefined || ib === undefined || im === undefined) {
        throw new ConfigError(`merge ${rank} ("${a}" "${b}") uses a token missing from the vocabulary`, { field: `model.merges[${rank}]` });
      }
      const key = ia * PAIR + ib;
      if (!this.pairs.has(key)) this.pairs.set(key, rank * ID_SPACE + im);
    });
  }

  get size(): number {
    return this.idToTok.length;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.idToTok[id];
  }

  tokenize(word: string): ModelToken[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const r = this.compute(word);
    if (word.length <= 256) {
      if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
      this.cache.set(word, r);
    }
    return r;
  }

  private compute(word: string): ModelToken[] {
    const o = this.options;
    if (word.length === 0) return [];
    if (o.ignoreMerges) {
      const id = this.vocab.get(word);
      if (id !== undefined) return [{ id, start: 0, end: word.length }];
    }
    // Units: code points (with prefix/suffix per position), unknowns handled per HF.
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const prefix = o.continuingSubwordPrefix ?? '';
    const suffix = o.endOfWordSuffix ?? '';
    const unkId = o.unkToken != null ? this.vocab.get(o.unkToken) : undefined;
    let lastWasUnk = false;
    for (let i = 0; i < word.length; ) {
      const cp = word.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      let ch = word.slice(i, i + w);
      if (i > 0 && prefix) ch = prefix + ch;
      if (i + w === word.length && suffix) ch += suffix;
      const id = this.vocab.get(ch);
      if (id !== undefined) {
        ids.push(id); starts.push(i); ends.push(i + w);
        lastWasUnk = false;
      } else if (o.byteFallback) {
        const bytes = new TextEncoder().encode(word.slice(i, i + w));
        const bids = Array.from(bytes, (b) => this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
        if (bids.every((x) => x !== undefined)) {
          for (const b of bids) { ids.push(b!); starts.push(i); ends.push(i + w); }
        } else if (unkId !== undefined) { ids.push(unkId); starts.push(i); ends.push(i + w); }
        lastWasUnk = false;
      } else if (unkId !== undefined) {
        if (o.fuseUnk && lastWasUnk) ends[ends.length - 1] = i + w;
        else { ids.push(unkId); starts.push(i); ends.push(i + w); }
        lastWasUnk = true;
      }
      // Otherwise (no unk token): the character is dropped, as HF tokenizers does.
      i += w;
    }
    const out: number[] = [];
    const bounds: number[] = [];
    const pairs = this.pairs;
    mergeParts(Int32Array.from(ids), (l, r) => {
      const v = pairs.get(l * PAIR + r);
      return v === undefined ? -1 : v;
    }, out, bounds);
    // bounds are unit indices; map to UTF-16 positions.
    return out.map((id, k) => ({ id, start: starts[bounds[k]!]!, end: ends[bounds[k + 1]! - 1]! }));
  }
}

/** Options of a WordPiece model. */
export interface WordPieceOptions {
  unkToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
}

/** WordPiece: greedy longest-match-first with a continuation prefix, `[UNK]` for unmatched words. */
export class WordPieceModel implements Model {
  readonly vocab: Map<string, number>;
  readonly unkToken: string;
  readonly prefix: string;
  readonly maxInputCharsPerWord: number;
  private readonly idToTok: string[] = [];

  constructor(vocab: Map<string, number>, options: WordPieceOptions = {}) {
    this.vocab = vocab;
    this.unkToken = options.unkToken ?? '[UNK]';
    this.prefix = options.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    for (const [t, id] of vocab) this.idToTok[id] = t;
    if (!vocab.has(this.unkToken)) throw new ConfigError(`WordPiece unk_token ${JSON.stringify(this.unkToken)} is not in the vocabulary`, { field: 'model.unk_token' });
  }

  get size(): number {
    return this.idToTok.length;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.idToTok[id];
  }

  tokenize(word: string): ModelToken[] {
    const unk = { id: this.vocab.get(this.unkToken)!, start: 0, end: word.length };
    const chars = Array.from(word);
    if (chars.length > this.maxInputCharsPerWord) return [unk];
    // UTF-16 position of each code point.
    const pos: number[] = [0];
    for (const c of chars) pos.push(pos[pos.length - 1]! + c.length);
    const out: ModelToken[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        let sub = word.slice(pos[start], pos[end]);
        if (start > 0) sub = this.prefix + sub;
        const id = this.vocab.get(sub);
        if (id !== undefined) { found = id; break; }
        end--;
      }
      if (found === undefined) return [unk];
      out.push({ id: found, start: pos[start]!, end: pos[end]! });
      start = end;
    }
    return out;
  }
}
