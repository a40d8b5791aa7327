import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FormatError, InputError, NotFoundError, ConfigError, type Encoding, type EncodeOptions, type Tokenizer } from '@llm/core';
import { assertWellFormed, bytesToByteLevel, bytesToLatin1, byteLevelToBytes, concatBytes, decodeUtf8Lossy, decodeUtf8Strict, latin1ToBytes, utf8 } from './bytes.js';
import { ID_SPACE, mergeParts } from './bpe-core.js';
import { CL100K_PATTERN, GPT2_PATTERN, O200K_PATTERN } from './patterns.js';
import { SpecialMatcher } from './special.js';
import { BpeModel } from './hf/models.js';
import { HfTokenizer } from './hf/tokenizer.js';

/**
 * tiktoken-style byte-level BPE: a rank for every token's bytes, merges by lowest rank, a
 * pre-tokenisation regex, special tokens disallowed unless allowed (tiktoken's semantics).
 *
 * @packageDocumentation
 */

/** Names of the encodings whose rank files ship in the npm packages this loads from. */
export type TiktokenEncodingName = 'r50k_base' | 'p50k_base' | 'cl100k_base' | 'o200k_base' | 'gpt2';

/** Everything that defines a tiktoken encoding. */
export interface TiktokenSpec {
  /** Encoding name (for messages). */
  name: string;
  /** Pre-tokenisation regex source (JavaScript syntax, used with the `gu` flags). */
  pattern: string;
  /** Token bytes (as a latin-1 string, one char per byte) → rank (= id). */
  ranks: Map<string, number>;
  /** Special token text → id. */
  specialTokens: Record<string, number>;
  /** Vocabulary size if it is larger than ranks + specials imply. */
  explicitNVocab?: number;
}

/** Options for tiktoken-style encoding. */
export interface TiktokenEncodeOptions {
  /** Special tokens that may appear in the text and are encoded as such; `'all'` for every one. Default none. */
  allowedSpecial?: ReadonlySet<string> | readonly string[] | 'all';
  /** Special tokens whose appearance is an error; `'all'` (default) means every one not allowed. */
  disallowedSpecial?: ReadonlySet<string> | readonly string[] | 'all';
}

/** Built-in facts about the public encodings: pattern and special tokens (from tiktoken's openai_public). */
export const TIKTOKEN_ENCODINGS: Readonly<Record<Exclude<TiktokenEncodingName, 'gpt2'>, { pattern: string; specialTokens: Record<string, number>; explicitNVocab?: number }>> = {
  r50k_base: { pattern: GPT2_PATTERN, specialTokens: { '<|endoftext|>': 50256 }, explicitNVocab: 50257 },
  p50k_base: { pattern: GPT2_PATTERN, specialTokens: { '<|endoftext|>': 50256 }, explicitNVocab: 50281 },
  cl100k_base: {
    pattern: CL100K_PATTERN,
    specialTokens: { '<|endoftext|>': 100257, '<|fim_prefix|>': 100258, '<|fim_middle|>': 100259, '<|fim_suffix|>': 100260, '<|endofprompt|>': 100276 },
  },
  o200k_base: { pattern: O200K_PATTERN, specialTokens: { '<|endoftext|>': 199999, '<|endofprompt|>': 200018 } },
};

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Parse a `.tiktoken` rank file (`<base64 token> <rank>` per line).
 * @throws FormatError naming the file and line of the first bad line.
 */
export function parseTiktokenRanks(text: string, file = '<ranks>'): Map<string, number> {
  const ranks = new Map<string, number>();
  let line = 0;
  let start = 0;
  const seenRanks = new Set<number>();
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    if (raw === '') continue;
    const sp = raw.indexOf(' ');
    if (sp <= 0 || raw.indexOf(' ', sp + 1) >= 0) throw new FormatError('tiktoken', `expected "<base64> <rank>", got ${JSON.stringify(raw.slice(0, 60))}`, { file, line });
    const b64 = raw.slice(0, sp);
    const rankStr = raw.slice(sp + 1);
    if (b64.length % 4 !== 0 || !B64.test(b64)) throw new FormatError('tiktoken', `invalid base64 token ${JSON.stringify(b64.slice(0, 40))}`, { file, line, column: 1 });
    if (!/^\d+$/.test(rankStr)) throw new FormatError('tiktoken', `rank ${JSON.stringify(rankStr)} is not a non-negative integer`, { file, line, column: sp + 2 });
    const rank = Number(rankStr);
    const key = bytesToLatin1(new Uint8Array(Buffer.from(b64, 'base64')));
    if (key.length === 0) throw new FormatError('tiktoken', 'empty token', { file, line });
    if (ranks.has(key)) throw new FormatError('tiktoken', `duplicate token ${b64}`, { file, line });
    if (seenRanks.has(rank)) throw new FormatError('tiktoken', `duplicate rank ${rank}`, { file, line, column: sp + 2 });
    seenRanks.add(rank);
    ranks.set(key, rank);
  }
  if (ranks.size === 0) throw new FormatError('tiktoken', 'no ranks', { file });
  return ranks;
}

/**
 * Parse the compact `bpe_ranks` string used by the `tiktoken` and `js-tiktoken` npm packages
 * (lines of `<first char> <offset> <base64>…`, ranks counting up from the offset).
 * @throws FormatError naming the line.
 */
export function parseCompactRanks(compact: string, file = '<bpe_ranks>'): Map<string, number> {
  const ranks = new Map<string, number>();
  const lines = compact.split('\n');
  for (let li = 0; li < lines.length; li++) {
    const l = lines[li]!;
    if (l === '') continue;
    const parts = l.split(' ');
    const offset = Number(parts[1]);
    if (parts.length < 2 || !Number.isInteger(offset) || offset < 0) throw new FormatError('tiktoken', 'bad compact rank line', { file, line: li + 1 });
    for (let k = 2; k < parts.length; k++) {
      const b64 = parts[k]!;
      if (b64.length % 4 !== 0 || !B64.test(b64)) throw new FormatError('tiktoken', `invalid base64 token ${JSON.stringify(b64.slice(0, 40))}`, { file, line: li + 1 });
      ranks.set(bytesToLatin1(new Uint8Array(Buffer.from(b64, 'base64'))), offset + k - 2);
    }
  }
  if (ranks.size === 0) throw new FormatError('tiktoken', 'no ranks', { file });
  return ranks;
}

function moduleRequire(): NodeJS.Require {
  return createRequire(import.meta.url);
}

/**
 * Find the rank file of a public encoding inside the installed npm packages: gpt-tokenizer's
 * `data/<name>.tiktoken`, then tiktoken's `encoders/<name>.json`, then js-tiktoken's ranks.
 * @throws NotFoundError listing where it looked.
 */
export function findRankFile(name: Exclude<TiktokenEncodingName, 'gpt2'>): { path: string; kind: 'tiktoken' | 'json' | 'js' } {
  const req = moduleRequire();
  const tried: string[] = [];
  const candidates: Array<[string, (dir: string) => string, 'tiktoken' | 'json' | 'js']> = [
    ['gpt-tokenizer', (d) => join(d, 'data', `${name}.tiktoken`), 'tiktoken'],
    ['tiktoken', (d) => join(d, 'encoders', `${name}.json`), 'json'],
    ['js-tiktoken', (d) => join(d, 'dist', 'ranks', `${name}.js`), 'js'],
  ];
  for (const [pkg, file, kind] of candidates) {
    let dir: string;
    try {
      dir = dirname(req.resolve(`${pkg}/package.json`));
    } catch {
      tried.push(`${pkg} (not installed)`);
      continue;
    }
    const p = file(dir);
    if (existsSync(p)) return { path: p, kind };
    tried.push(p);
  }
  throw new NotFoundError(`no rank file for ${name}; looked in ${tried.join(', ')} (install gpt-tokenizer, tiktoken or js-tiktoken)`);
}

/** Read a rank file in any of the supported layouts. */
export function readRankFile(path: string, kind: 'tiktoken' | 'json' | 'js' = path.endsWith('.tiktoken') ? 'tiktoken' : path.endsWith('.json') ? 'json' : 'js'): Map<string, number> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NotFoundError(`cannot read ${path}`, { file: path }, { cause: err });
  }
  if (kind === 'tiktoken') return parseTiktokenRanks(text, path);
  const body = kind === 'js' ? text.replace(/^\s*export default\s*/, '').replace(/;\s*$/, '') : text;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new FormatError('tiktoken', 'rank file is not valid JSON', { file: path }, { cause: err });
  }
  const compact = (json as { bpe_ranks?: unknown }).bpe_ranks;
  if (typeof compact !== 'string') throw new FormatError('tiktoken', 'missing string field bpe_ranks', { file: path, field: 'bpe_ranks' });
  return parseCompactRanks(compact, path);
}

const loaded = new Map<string, TiktokenTokenizer>();

/**
 * Load a public encoding (ranks read from the installed npm packages; cached per process).
 * @throws NotFoundError if no package with the rank file is installed.
 */
export function getEncoding(name: TiktokenEncodingName): TiktokenTokenizer {
  const key = name === 'gpt2' ? 'r50k_base' : name;
  let t = loaded.get(key);
  if (!t) {
    const facts = TIKTOKEN_ENCODINGS[key];
    if (!facts) throw new ConfigError(`unknown encoding ${String(name)} (r50k_base, p50k_base, cl100k_base, o200k_base, gpt2)`);
    const { path, kind } = findRankFile(key);
    t = new TiktokenTokenizer({ name: key, pattern: facts.pattern, ranks: readRankFile(path, kind), specialTokens: facts.specialTokens, explicitNVocab: facts.explicitNVocab });
    loaded.set(key, t);
  }
  return t;
}

const CACHE_LIMIT = 200_000;

function toSet(v: ReadonlySet<string> | readonly string[] | 'all' | undefined, all: readonly string[], dflt: 'all' | 'none'): Set<string> {
  if (v === 'all' || (v === undefined && dflt === 'all')) return new Set(all);
  if (v === undefined) return new Set();
  return new Set(v);
}

/** A tiktoken encoding: byte-level BPE with ranks. Implements the {@link Tokenizer} spec. */
export class TiktokenTokenizer implements Tokenizer {
  /** Encoding name. */
  readonly name: string;
  readonly vocabSize: number;
  readonly specialTokens: Readonly<Record<string, number>>;
  private readonly ranks: Map<string, number>;
  private readonly regex: RegExp;
  private readonly decoder: Array<Uint8Array | undefined>;
  private readonly byteRank = new Int32Array(256).fill(-1);
  private readonly specialById = new Map<number, string>();
  private readonly specials: SpecialMatcher;
  private cache = new Map<string, number | Int32Array>();

  constructor(spec: TiktokenSpec) {
    this.name = spec.name;
    this.ranks = spec.ranks;
    this.regex = new RegExp(spec.pattern, 'gu');
    this.specialTokens = Object.freeze({ ...spec.specialTokens });
    let max = -1;
    for (const r of spec.ranks.values()) if (r > max) max = r;
    this.decoder = new Array<Uint8Array | undefined>(max + 1);
    for (const [k, r] of spec.ranks) {
      this.decoder[r] = latin1ToBytes(k);
      if (k.length === 1) this.byteRank[k.charCodeAt(0)] = r;
    }
    for (let b = 0; b < 256; b++) if (this.byteRank[b]! < 0) throw new FormatError('tiktoken', `${spec.name}: byte ${b} has no rank`);
    for (const [s, id] of Object.entries(spec.specialTokens)) {
      this.specialById.set(id, s);
      if (id > max) max = id;
    }
    this.vocabSize = Math.max(max + 1, spec.explicitNVocab ?? 0);
    this.specials = new SpecialMatcher(Object.keys(spec.specialTokens));
  }

  /** Ids of one pre-tokenised piece, appended to `out`. */
  private encodePiece(piece: string, out: number[]): void {
    const c = this.cache.get(piece);
    if (c !== undefined) {
      if (typeof c === 'number') out.push(c);
      else for (let k = 0; k < c.length; k++) out.push(c[k]!);
      return;
    }
    let ascii = true;
    for (let i = 0; i < piece.length; i++) if (piece.charCodeAt(i) > 127) { ascii = false; break; }
    const key = ascii ? piece : bytesToLatin1(utf8(piece));
    const whole = this.ranks.get(key);
    if (whole !== undefined) {
      out.push(whole);
      this.remember(piece, whole);
      return;
    }
    const ids = this.bytePairEncode(key);
    for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
    this.remember(piece, Int32Array.from(ids));
  }

  private remember(piece: string, v: number | Int32Array): void {
    if (piece.length > 256) return;
    if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
    this.cache.set(piece, v);
  }

  /** BPE-merge the bytes of one piece (given as a latin-1 key) into ranks. */
  private bytePairEncode(key: string, bounds?: number[]): number[] {
    const n = key.length;
    const units = new Int32Array(n);
    for (let i = 0; i < n; i++) units[i] = this.byteRank[key.charCodeAt(i)]!;
    const ranks = this.ranks;
    const out: number[] = [];
    mergeParts(units, (_l, _r, a, b) => {
      const r = ranks.get(key.slice(a, b));
      return r === undefined ? -1 : r * ID_SPACE + r;
    }, out, bounds);
    return out;
  }

  /** Encode ignoring special tokens entirely (their text is encoded as ordinary text). */
  encodeOrdinary(text: string): number[] {
    assertWellFormed(text);
    const out: number[] = [];
    this.encodeOrdinaryInto(text, out);
    return out;
  }

  private encodeOrdinaryInto(text: string, out: number[]): void {
    const re = this.regex;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const piece = m[0];
      if (piece.length === 0) { re.lastIndex++; continue; }
      this.encodePiece(piece, out);
    }
  }

  /**
   * Encode with tiktoken's special-token rules: text matching a disallowed special token is an
   * error; allowed ones become their ids.
   * @throws InputError for a disallowed special token or a lone surrogate, naming the index.
   */
  encodeIds(text: string, options: TiktokenEncodeOptions = {}): number[] {
    assertWellFormed(text);
    const all = Object.keys(this.specialTokens);
    const allowed = toSet(options.allowedSpecial, all, 'none');
    let disallowed = toSet(options.disallowedSpecial, all, 'all');
    if (options.disallowedSpecial === undefined || options.disallowedSpecial === 'all') disallowed = new Set(all.filter((s) => !allowed.has(s)));
    if (disallowed.size > 0) {
      const hit = this.specials.findFirst(text, disallowed);
      if (hit) throw new InputError(`text contains the special token ${JSON.stringify(hit.token)} at index ${hit.index}; allow it (allowedSpecial) or encode it as ordinary text (encodeOrdinary / disallowedSpecial: [])`, { column: hit.index + 1 });
    }
    const out: number[] = [];
    if (allowed.size === 0) {
      this.encodeOrdinaryInto(text, out);
      return out;
    }
    let pos = 0;
    for (const hit of this.specials.findAll(text, allowed)) {
      if (hit.index > pos) this.encodeOrdinaryInto(text.slice(pos, hit.index), out);
      out.push(this.specialTokens[hit.token]!);
      pos = hit.index + hit.token.length;
    }
    if (pos < text.length) this.encodeOrdinaryInto(pos === 0 ? text : text.slice(pos), out);
    return out;
  }

  /** Encode many texts. */
  encodeBatch(texts: readonly string[], options: TiktokenEncodeOptions = {}): number[][] {
    return texts.map((t) => this.encodeIds(t, options));
  }

  /** Number of tokens of a text (same rules as {@link encodeIds}). */
  count(text: string, options: TiktokenEncodeOptions = {}): number {
    return this.encodeIds(text, options).length;
  }

  /**
   * Ids with, for each token, its `[start, end)` span in UTF-16 code units of `text`. A token that
   * holds part of a character's bytes spans that whole character.
   */
  encodeWithOffsets(text: string, options: TiktokenEncodeOptions = {}): { ids: number[]; offsets: Array<[number, number]> } {
    const ids = this.encodeIds(text, options);
    const offsets: Array<[number, number]> = [];
    // Walk the text's UTF-8 bytes alongside the tokens' bytes.
    const bytes = utf8(text);
    const charAt = new Int32Array(bytes.length + 1); // byte → UTF-16 index of the char it belongs to
    const charEnd = new Int32Array(bytes.length + 1);
    let bi = 0;
    for (let ci = 0; ci < text.length; ) {
      const cp = text.codePointAt(ci)!;
      const units = cp > 0xffff ? 2 : 1;
      const nb = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      for (let k = 0; k < nb; k++) { charAt[bi + k] = ci; charEnd[bi + k] = ci + units; }
      bi += nb;
      ci += units;
    }
    charAt[bytes.length] = text.length;
    let pos = 0;
    for (const id of ids) {
      const len = this.tokenBytes(id).length;
      const s = charAt[pos]!;
      const e = len > 0 ? charEnd[pos + len - 1]! : s;
      offsets.push([s, e]);
      pos += len;
    }
    return { ids, offsets };
  }

  private tokenBytes(id: number): Uint8Array {
    const b = this.decoder[id];
    if (b) return b;
    const s = this.specialById.get(id);
    if (s !== undefined) return utf8(s);
    throw new InputError(`token id ${id} is not in ${this.name} (vocabulary of ${this.vocabSize})`);
  }

  /**
   * Bytes of a sequence of ids.
   * @throws InputError for an id outside the vocabulary.
   */
  decodeBytes(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): Uint8Array {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (options.skipSpecialTokens && this.specialById.has(id)) continue;
      if (!Number.isInteger(id) || id < 0) throw new InputError(`token id ${String(id)} at position ${i} is not a non-negative integer`);
      parts.push(this.tokenBytes(id));
    }
    return concatBytes(parts);
  }

  /** Decode to a string; invalid UTF-8 becomes U+FFFD (or, with `strict`, a FormatError with the byte offset). */
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean; strict?: boolean } = {}): string {
    const b = this.decodeBytes(ids, options);
    return options.strict ? decodeUtf8Strict(b, 'decoded bytes') : decodeUtf8Lossy(b);
  }

  /** Token string of an id, spelled GPT-2 byte-level style (e.g. `Ġthe`); specials as themselves. */
  idToToken(id: number): string | undefined {
    const s = this.specialById.get(id);
    if (s !== undefined) return s;
    const b = this.decoder[id];
    return b ? bytesToByteLevel(b) : undefined;
  }

  /** Id of a byte-level spelled token (or a special token). */
  tokenToId(token: string): number | undefined {
    const sp = this.specialTokens[token];
    if (sp !== undefined) return sp;
    const b = byteLevelToBytes(token);
    return b ? this.ranks.get(bytesToLatin1(b)) : undefined;
  }

  /** Spec encode: ids, byte-level token strings and offsets (no post-processing; pairs are concatenated). */
  encode(text: string, pair?: string, options: EncodeOptions = {}): Encoding {
    const opts: TiktokenEncodeOptions = { allowedSpecial: options.allowedSpecial === 'all' ? 'all' : options.allowedSpecial };
    const a = this.encodeWithOffsets(text, opts);
    const b = pair !== undefined ? this.encodeWithOffsets(pair, opts) : { ids: [], offsets: [] };
    const ids = [...a.ids, ...b.ids];
    return {
      ids,
      tokens: ids.map((id) => this.idToToken(id) ?? ''),
      offsets: [...a.offsets, ...b.offsets],
      typeIds: [...a.ids.map(() => 0), ...b.ids.map(() => 1)],
      attentionMask: ids.map(() => 1),
      specialTokensMask: ids.map((id) => (this.specialById.has(id) ? 1 : 0)),
    };
  }

  /**
   * The same encoding as an HF BPE tokenizer (tokenizer.json): byte-level vocabulary, merges
   * recovered by running BPE on each token's bytes with only lower ranks (the standard
   * tiktoken → HF conversion), the pattern as a Split pre-tokenizer, whole-piece lookup first.
   */
  toHf(): HfTokenizer {
    const vocab = new Map<string, number>();
    const merges: Array<[string, string]> = [];
    const byRank: Array<[string, number]> = [...this.ranks].sort((a, b) => a[1] - b[1]);
    for (const [key, rank] of byRank) vocab.set(bytesToByteLevel(latin1ToBytes(key)), rank);
    for (const [key, rank] of byRank) {
      if (key.length < 2) continue;
      const units = new Int32Array(key.length);
      for (let i = 0; i < key.length; i++) units[i] = this.byteRank[key.charCodeAt(i)]!;
      const out: number[] = [];
      const bounds: number[] = [];
      const ranks = this.ranks;
      mergeParts(units, (_l, _r, a, b) => {
        const r = ranks.get(key.slice(a, b));
        return r === undefined || r >= rank ? -1 : r * ID_SPACE + r;
      }, out, bounds);
      if (out.length !== 2) continue; // not reachable by one merge; whole-piece lookup still finds it
      merges.push([bytesToByteLevel(latin1ToBytes(key.slice(0, bounds[1]))), bytesToByteLevel(latin1ToBytes(key.slice(bounds[1])))]);
    }
    return new HfTokenizer({
      model: new BpeModel(vocab, merges, { ignoreMerges: true }),
      preTokenizer: { type: 'Sequence', pretokenizers: [
        { type: 'Split', pattern: { Regex: this.regex.source }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ] },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      addedTokens: Object.entries(this.specialTokens).map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    });
  }

  /** Approximate heap bytes held by the vocabulary tables (keys, values, decoder). */
  approxTableBytes(): number {
    let n = 0;
    for (const k of this.ranks.keys()) n += 2 * k.length + 40;
    return n * 2 + this.decoder.length * 8;
  }
}
