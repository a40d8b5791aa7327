import { readFileSync } from 'node:fs';
import { FormatError, InputError, NotFoundError, parseJson, writeFileAtomic, type Encoding, type EncodeOptions, type Tokenizer } from '@llm/core';
import { assertWellFormed, CHAR_TO_BYTE, decodeUtf8Lossy } from '../bytes.js';
import { Normalized } from './normalized.js';
import { normalize, preTokenize, validatePipeline, type DecoderConfig, type JsonObject, type NormalizerConfig, type PostProcessorConfig, type PreTokenizerConfig, type TemplatePiece } from './components.js';
import { BpeModel, WordPieceModel, type Model } from './models.js';

/**
 * A tokenizer with HF `tokenizer.json`'s pipeline (normalizer → pre-tokenizer → model →
 * post-processor, decoder), added tokens, truncation and padding; loads and saves the file.
 *
 * @packageDocumentation
 */

/** An added token as tokenizer.json stores it. */
export interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** Truncation settings. */
export interface TruncationOptions {
  maxLength: number;
  /** Which sequence loses tokens: the longer one first (default), only the first, or only the second. */
  strategy?: 'longest_first' | 'only_first' | 'only_second';
  /** Remove from the end (default) or the start. */
  direction?: 'right' | 'left';
}

/** Padding settings. */
export interface PaddingOptions {
  /** Pad a batch to its longest member (default), or every encoding to `length`. */
  strategy?: 'longest' | 'fixed';
  length?: number;
  direction?: 'right' | 'left';
  padId?: number;
  padToken?: string;
  padTypeId?: number;
  padToMultipleOf?: number;
}

/** The parts a {@link HfTokenizer} is made of. */
export interface HfTokenizerParts {
  model: BpeModel | WordPieceModel;
  normalizer?: NormalizerConfig | null;
  preTokenizer?: PreTokenizerConfig | null;
  postProcessor?: PostProcessorConfig | null;
  decoder?: DecoderConfig | null;
  addedTokens?: AddedToken[];
  truncation?: TruncationOptions | null;
  padding?: PaddingOptions | null;
}

interface Seq {
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  special: number[];
}

const emptySeq = (): Seq => ({ ids: [], tokens: [], offsets: [], special: [] });

function bool(v: unknown, dflt: boolean): boolean {
  return typeof v === 'boolean' ? v : dflt;
}

/** A tokenizer.json-compatible tokenizer (BPE or WordPiece). Implements the {@link Tokenizer} spec. */
export class HfTokenizer implements Tokenizer {
  readonly model: BpeModel | WordPieceModel;
  readonly normalizer: NormalizerConfig | null;
  readonly preTokenizer: PreTokenizerConfig | null;
  readonly postProcessor: PostProcessorConfig | null;
  readonly decoder: DecoderConfig | null;
  readonly addedTokens: AddedToken[];
  truncation: TruncationOptions | null;
  padding: PaddingOptions | null;
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly addedById = new Map<number, AddedToken>();
  private addedRe: RegExp | undefined;

  constructor(parts: HfTokenizerParts) {
    this.model = parts.model;
    this.normalizer = parts.normalizer ?? null;
    this.preTokenizer = parts.preTokenizer ?? null;
    this.postProcessor = parts.postProcessor ?? null;
    this.decoder = parts.decoder ?? null;
    this.addedTokens = [...(parts.addedTokens ?? [])];
    this.truncation = parts.truncation ?? null;
    this.padding = parts.padding ?? null;
    for (const t of this.addedTokens) { this.addedByContent.set(t.content, t); this.addedById.set(t.id, t); }
    const list = this.addedTokens.map((t) => t.content).filter((c) => c.length > 0).sort((a, b) => b.length - a.length);
    this.addedRe = list.length ? new RegExp(list.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu') : undefined;
  }

  get vocabSize(): number {
    let n = this.model.size;
    for (const t of this.addedTokens) if (t.id + 1 > n) n = t.id + 1;
    return n;
  }

  get specialTokens(): Readonly<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of this.addedTokens) if (t.special) out[t.content] = t.id;
    return out;
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.idToToken(id);
  }

  /** Tokenize one sequence (no post-processing). */
  private encodeSequence(text: string): Seq {
    assertWellFormed(text);
    const seq = emptySeq();
    const segments: Array<{ text: string; start: number } | { added: AddedToken; start: number; end: number }> = [];
    let pos = 0;
    if (this.addedRe) {
      const re = this.addedRe;
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        const tok = this.addedByContent.get(m[0])!;
        let a = m.index;
        let b = a + m[0].length;
        if (tok.single_word) {
          const before = a > 0 ? text[a - 1]! : ' ';
          const after = b < text.length ? text[b]! : ' ';
          if (/[\p{L}\p{N}_]/u.test(before) || /[\p{L}\p{N}_]/u.test(after)) continue;
        }
        if (tok.lstrip) while (a > pos && /\s/u.test(text[a - 1]!)) a--;
        if (tok.rstrip) { while (b < text.length && /\s/u.test(text[b]!)) b++; re.lastIndex = b; }
        if (a > pos) segments.push({ text: text.slice(pos, a), start: pos });
        segments.push({ added: tok, start: a, end: b });
        pos = b;
      }
    }
    if (pos < text.length || segments.length === 0) segments.push({ text: text.slice(pos), start: pos });
    segments.forEach((sg) => {
      if ('added' in sg) {
        seq.ids.push(sg.added.id);
        seq.tokens.push(sg.added.content);
        seq.offsets.push([sg.start, sg.end]);
        seq.special.push(sg.added.special ? 1 : 0);
        return;
      }
      if (sg.text.length === 0) return;
      const n = Normalized.of(sg.text, sg.start);
      if (this.normalizer) normalize(this.normalizer, n);
      let pieces = [n];
      if (this.preTokenizer) pieces = preTokenize(this.preTokenizer, pieces);
      for (const p of pieces) {
        if (p.text.length === 0) continue;
        for (const t of this.model.tokenize(p.text)) {
          seq.ids.push(t.id);
          seq.tokens.push(this.model.idToToken(t.id) ?? '');
          seq.offsets.push([p.s[t.start]!, p.e[t.end - 1]!]);
          seq.special.push(0);
        }
      }
    });
    return seq;
  }

  /** How many special tokens post-processing adds to a single sequence or a pair. */
  numSpecialTokensToAdd(isPair: boolean): number {
    const pp = this.postProcessor;
    if (!pp) return 0;
    const count = (p: PostProcessorConfig): number => {
      switch (p.type) {
        case 'BertProcessing': case 'RobertaProcessing': return isPair ? (p.type === 'RobertaProcessing' ? 4 : 3) : 2;
        case 'TemplateProcessing': {
          let n = 0;
          for (const piece of isPair ? p.pair : p.single) if ('SpecialToken' in piece) n += p.special_tokens[piece.SpecialToken.id]?.ids.length ?? 0;
          return n;
        }
        case 'Sequence': return p.processors.reduce((a, q) => a + count(q), 0);
        default: return 0;
      }
    };
    return count(pp);
  }

  private truncate(a: Seq, b: Seq | undefined, t: TruncationOptions): void {
    const budget = t.maxLength - this.numSpecialTokensToAdd(b !== undefined);
    if (budget < 0) throw new InputError(`truncation max_length ${t.maxLength} is smaller than the ${this.numSpecialTokensToAdd(b !== undefined)} special tokens added`);
    const cut = (s: Seq, n: number) => {
      if (s.ids.length <= n) return;
      const keep = (arr: unknown[]) => (t.direction === 'left' ? arr.splice(0, arr.length - n) : arr.splice(n));
      keep(s.ids); keep(s.tokens); keep(s.offsets); keep(s.special);
    };
    const strategy = t.strategy ?? 'longest_first';
    if (!b) {
      if (strategy === 'only_second') { if (a.ids.length > budget) throw new InputError('truncation only_second needs a pair of sequences'); return; }
      cut(a, budget);
      return;
    }
    const total = a.ids.length + b.ids.length;
    if (total <= budget) return;
    if (strategy === 'only_first' || strategy === 'only_second') {
      const target = strategy === 'only_first' ? a : b;
      const other = strategy === 'only_first' ? b : a;
      const room = budget - other.ids.length;
      if (room <= 0) throw new InputError(`truncation ${strategy}: the other sequence alone (${other.ids.length} tokens) exceeds max_length`);
      cut(target, room);
      return;
    }
    // longest_first: remove from the longer one token at a time (computed in closed form).
    let la = a.ids.length;
    let lb = b.ids.length;
    while (la + lb > budget) { if (la >= lb) la--; else lb--; }
    cut(a, la);
    cut(b, lb);
  }

  private postProcess(a: Seq, b: Seq | undefined, addSpecial: boolean): Encoding {
    const enc: Encoding = { ids: [], tokens: [], offsets: [], typeIds: [], attentionMask: [], specialTokensMask: [] };
    const pushSeq = (s: Seq, type: number) => {
      for (let i = 0; i < s.ids.length; i++) {
        enc.ids.push(s.ids[i]!); enc.tokens.push(s.tokens[i]!); enc.offsets.push(s.offsets[i]!);
        enc.typeIds.push(type); enc.attentionMask.push(1); enc.specialTokensMask.push(s.special[i]!);
      }
    };
    const pushSpecial = (token: string, id: number, type: number) => {
      enc.ids.push(id); enc.tokens.push(token); enc.offsets.push([0, 0]); enc.typeIds.push(type); enc.attentionMask.push(1); enc.specialTokensMask.push(1);
    };
    const pp = addSpecial ? this.postProcessor : null;
    const apply = (p: PostProcessorConfig | null): boolean => {
      if (!p) return false;
      switch (p.type) {
        case 'BertProcessing': case 'RobertaProcessing': {
          pushSpecial(p.cls[0], p.cls[1], 0); pushSeq(a, 0); pushSpecial(p.sep[0], p.sep[1], 0);
          if (b) {
            const tb = p.type === 'BertProcessing' ? 1 : 0;
            if (p.type === 'RobertaProcessing') pushSpecial(p.sep[0], p.sep[1], 0);
            pushSeq(b, tb); pushSpecial(p.sep[0], p.sep[1], tb);
          }
          return true;
        }
        case 'TemplateProcessing': {
          const tpl: TemplatePiece[] = b ? p.pair : p.single;
          for (const piece of tpl) {
            if ('Sequence' in piece) pushSeq(piece.Sequence.id === 'A' ? a : b ?? emptySeq(), piece.Sequence.type_id);
            else {
              const st = p.special_tokens[piece.SpecialToken.id];
              if (!st) throw new FormatError('tokenizer.json', `template uses undefined special token ${piece.SpecialToken.id}`, { field: 'post_processor.special_tokens' });
              st.ids.forEach((id, k) => pushSpecial(st.tokens[k] ?? st.id, id, piece.SpecialToken.type_id));
            }
          }
          return true;
        }
        case 'Sequence': {
          // The structural processors (Bert/Roberta/Template) decide the layout; ByteLevel only trims offsets.
          const structural = p.processors.find((q) => q.type !== 'ByteLevel') ?? null;
          return apply(structural);
        }
        default: return false;
      }
    };
    if (!apply(pp)) { pushSeq(a, 0); if (b) pushSeq(b, 1); }
    return enc;
  }

  private pad(enc: Encoding, length: number, p: PaddingOptions): void {
    const n = length - enc.ids.length;
    if (n <= 0) return;
    const padId = p.padId ?? 0;
    const padToken = p.padToken ?? '[PAD]';
    const fill = <T>(arr: T[], v: T) => { const add = new Array<T>(n).fill(v); if (p.direction === 'left') arr.unshift(...add); else arr.push(...add); };
    fill(enc.ids, padId); fill(enc.tokens, padToken); fill(enc.offsets, [0, 0] as [number, number]); fill(enc.typeIds, p.padTypeId ?? 0);
    fill(enc.attentionMask, 0); fill(enc.specialTokensMask, 1);
  }

  /**
   * Encode a text or a pair: added tokens, normalizer, pre-tokenizer, model, truncation,
   * post-processor and (fixed) padding.
   * @throws InputError for lone surrogates or impossible truncation.
   */
  encode(text: string, pair?: string, options: EncodeOptions = {}): Encoding {
    const a = this.encodeSequence(text);
    const b = pair !== undefined ? this.encodeSequence(pair) : undefined;
    const addSpecial = options.addSpecialTokens ?? true;
    if (this.truncation) this.truncate(a, b, { ...this.truncation, maxLength: this.truncation.maxLength + (addSpecial ? 0 : this.numSpecialTokensToAdd(b !== undefined)) });
    const enc = this.postProcess(a, b, addSpecial);
    const p = this.padding;
    if (p && p.strategy === 'fixed' && p.length) this.pad(enc, roundUp(p.length, p.padToMultipleOf), p);
    return enc;
  }

  /** Encode many texts (or pairs); with padding `longest`, all are padded to the longest. */
  encodeBatch(inputs: ReadonlyArray<string | readonly [string, string]>, options: EncodeOptions = {}): Encoding[] {
    const encs = inputs.map((x) => (typeof x === 'string' ? this.encode(x, undefined, options) : this.encode(x[0], x[1], options)));
    const p = this.padding;
    if (p && (p.strategy ?? 'longest') === 'longest') {
      const len = roundUp(Math.max(0, ...encs.map((e) => e.ids.length)), p.padToMultipleOf);
      for (const e of encs) this.pad(e, len, p);
    }
    return encs;
  }

  /** Ids only. */
  encodeIds(text: string, options: EncodeOptions = {}): number[] {
    return this.encode(text, undefined, options).ids;
  }

  /** Number of tokens of a text (special tokens included unless `addSpecialTokens: false`). */
  count(text: string, options: EncodeOptions = {}): number {
    return this.encode(text, undefined, options).ids.length;
  }

  /**
   * Decode ids through the decoder chain.
   * @throws InputError for an id outside the vocabulary.
   */
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const added = this.addedById.get(id);
      if (added?.special && options.skipSpecialTokens) continue;
      const t = this.idToToken(id);
      if (t === undefined) throw new InputError(`token id ${String(id)} at position ${i} is not in the vocabulary (${this.vocabSize} ids)`);
      tokens.push(t);
    }
    if (!this.decoder) return tokens.join(' ');
    return decodeTokens(this.decoder, tokens).join('');
  }

  /** The tokenizer.json object. */
  toJSON(): JsonObject {
    const m = this.model;
    let model: JsonObject;
    if (m instanceof BpeModel) {
      const o = m.options;
      const spaced = m.merges.some(([a, b]) => a.includes(' ') || b.includes(' '));
      model = {
        type: 'BPE', dropout: null, unk_token: o.unkToken ?? null, continuing_subword_prefix: o.continuingSubwordPrefix ?? null,
        end_of_word_suffix: o.endOfWordSuffix ?? null, fuse_unk: o.fuseUnk ?? false, byte_fallback: o.byteFallback ?? false,
        ignore_merges: o.ignoreMerges ?? false, vocab: Object.fromEntries(m.vocab),
        merges: spaced ? m.merges.map(([a, b]) => [a, b]) : m.merges.map(([a, b]) => `${a} ${b}`),
      };
    } else {
      model = { type: 'WordPiece', unk_token: m.unkToken, continuing_subword_prefix: m.prefix, max_input_chars_per_word: m.maxInputCharsPerWord, vocab: Object.fromEntries(m.vocab) };
    }
    const t = this.truncation;
    const p = this.padding;
    return {
      version: '1.0',
      truncation: t ? { direction: t.direction === 'left' ? 'Left' : 'Right', max_length: t.maxLength, strategy: { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' }[t.strategy ?? 'longest_first'], stride: 0 } : null,
      padding: p ? {
        strategy: p.strategy === 'fixed' ? { Fixed: p.length ?? 0 } : 'BatchLongest', direction: p.direction === 'left' ? 'Left' : 'Right',
        pad_to_multiple_of: p.padToMultipleOf ?? null, pad_id: p.padId ?? 0, pad_type_id: p.padTypeId ?? 0, pad_token: p.padToken ?? '[PAD]',
      } : null,
      added_tokens: this.addedTokens.map((a) => ({ ...a })),
      normalizer: this.normalizer,
      pre_tokenizer: this.preTokenizer,
      post_processor: this.postProcessor,
      decoder: this.decoder,
      model,
    };
  }

  /** Write tokenizer.json (atomically). */
  async save(path: string): Promise<void> {
    await writeFileAtomic(path, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
  }

  /**
   * Build from a parsed tokenizer.json object.
   * @throws FormatError naming the field that is missing or malformed.
   */
  static fromJSON(json: unknown, file?: string): HfTokenizer {
    const fail = (message: string, field: string): never => { throw new FormatError('tokenizer.json', message, { file, field }); };
    if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('top level must be an object', '');
    const j = json as JsonObject;
    validatePipeline(j, file);
    const mj = j.model as JsonObject | undefined;
    if (!mj || typeof mj !== 'object') fail('missing model', 'model');
    const vocabJ = mj!.vocab;
    if (!vocabJ || typeof vocabJ !== 'object' || Array.isArray(vocabJ)) fail('model.vocab must be an object of token → id', 'model.vocab');
    const vocab = new Map<string, number>();
    const seen = new Set<number>();
    for (const [tok, id] of Object.entries(vocabJ as JsonObject)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) fail(`id of ${JSON.stringify(tok)} must be a non-negative integer`, `model.vocab[${JSON.stringify(tok)}]`);
      if (seen.has(id as number)) fail(`id ${String(id)} is used twice`, `model.vocab[${JSON.stringify(tok)}]`);
      seen.add(id as number);
      vocab.set(tok, id as number);
    }
    let model: BpeModel | WordPieceModel;
    const type = mj!.type ?? (mj!.merges !== undefined ? 'BPE' : undefined);
    const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    try {
      if (type === 'BPE') {
        const mergesJ = mj!.merges;
        if (!Array.isArray(mergesJ)) fail('model.merges must be an array', 'model.merges');
        const merges: Array<[string, string]> = (mergesJ as unknown[]).map((m, i) => {
          if (typeof m === 'string') {
            const sp = m.indexOf(' ');
            if (sp <= 0 || m.indexOf(' ', sp + 1) >= 0) fail(`merge ${JSON.stringify(m)} is not "a b"`, `model.merges[${i}]`);
            return [m.slice(0, sp), m.slice(sp + 1)];
          }
          if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
          return fail('merge must be "a b" or ["a", "b"]', `model.merges[${i}]`);
        });
        model = new BpeModel(vocab, merges, {
          unkToken: str(mj!.unk_token), continuingSubwordPrefix: str(mj!.continuing_subword_prefix), endOfWordSuffix: str(mj!.end_of_word_suffix),
          fuseUnk: bool(mj!.fuse_unk, false), byteFallback: bool(mj!.byte_fallback, false), ignoreMerges: bool(mj!.ignore_merges, false),
        });
      } else if (type === 'WordPiece') {
        model = new WordPieceModel(vocab, {
          unkToken: str(mj!.unk_token) ?? '[UNK]', continuingSubwordPrefix: str(mj!.continuing_subword_prefix) ?? '##',
          maxInputCharsPerWord: typeof mj!.max_input_chars_per_word === 'number' ? mj!.max_input_chars_per_word : 100,
        });
      } else {
        return fail(`model.type ${JSON.stringify(type)} is not supported (BPE, WordPiece)`, 'model.type');
      }
    } catch (err) {
      if (err instanceof FormatError) throw err;
      const e = err as Error & { location?: { field?: string } };
      throw new FormatError('tokenizer.json', e.message, { file, field: e.location?.field }, { cause: err });
    }
    const added: AddedToken[] = [];
    if (j.added_tokens !== undefined && !Array.isArray(j.added_tokens)) fail('added_tokens must be an array', 'added_tokens');
    ((j.added_tokens as unknown[] | undefined) ?? []).forEach((a, i) => {
      const o = a as JsonObject;
      if (typeof o !== 'object' || o === null || typeof o.id !== 'number' || typeof o.content !== 'string') fail('added token needs numeric id and string content', `added_tokens[${i}]`);
      added.push({ id: o.id as number, content: o.content as string, single_word: bool(o.single_word, false), lstrip: bool(o.lstrip, false), rstrip: bool(o.rstrip, false), normalized: bool(o.normalized, false), special: bool(o.special, false) });
    });
    const tj = j.truncation as JsonObject | null | undefined;
    const pj = j.padding as JsonObject | null | undefined;
    const strategyMap: Record<string, TruncationOptions['strategy']> = { LongestFirst: 'longest_first', OnlyFirst: 'only_first', OnlySecond: 'only_second' };
    return new HfTokenizer({
      model,
      normalizer: (j.normalizer as NormalizerConfig | null | undefined) ?? null,
      preTokenizer: (j.pre_tokenizer as PreTokenizerConfig | null | undefined) ?? null,
      postProcessor: (j.post_processor as PostProcessorConfig | null | undefined) ?? null,
      decoder: (j.decoder as DecoderConfig | null | undefined) ?? null,
      addedTokens: added,
      truncation: tj ? { maxLength: Number(tj.max_length), strategy: strategyMap[String(tj.strategy)] ?? 'longest_first', direction: tj.direction === 'Left' ? 'left' : 'right' } : null,
      padding: pj ? {
        strategy: typeof pj.strategy === 'object' && pj.strategy !== null ? 'fixed' : 'longest',
        length: typeof pj.strategy === 'object' && pj.strategy !== null ? Number((pj.strategy as JsonObject).Fixed) : undefined,
        direction: pj.direction === 'Left' ? 'left' : 'right', padId: Number(pj.pad_id ?? 0), padTypeId: Number(pj.pad_type_id ?? 0),
        padToken: String(pj.pad_token ?? '[PAD]'), padToMultipleOf: typeof pj.pad_to_multiple_of === 'number' ? pj.pad_to_multiple_of : undefined,
      } : null,
    });
  }

  /**
   * Load a tokenizer.json file.
   * @throws NotFoundError if missing; FormatError (with line for JSON syntax, field otherwise) if malformed.
   */
  static load(path: string): HfTokenizer {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new NotFoundError(`cannot read ${path}`, { file: path }, { cause: err });
    }
    let json: unknown;
    try {
      json = parseJson(text, { file: path });
    } catch (err) {
      const m = /position (\d+)/.exec((err as Error).message);
      const pos = m ? Number(m[1]) : undefined;
      const line = pos !== undefined ? text.slice(0, pos).split('\n').length : (err as InputError).location?.line;
      throw new FormatError('tokenizer.json', `not valid JSON: ${(err as Error).message}`, { file: path, line, offset: pos }, { cause: err });
    }
    return HfTokenizer.fromJSON(json, path);
  }
}

function roundUp(n: number, m: number | undefined): number {
  return m && m > 1 ? Math.ceil(n / m) * m : n;
}

/** Run a decoder over token strings (HF semantics: each decoder maps a token list to a token list). */
export function decodeTokens(cfg: DecoderConfig, tokens: string[]): string[] {
  switch (cfg.type) {
    case 'Sequence': return cfg.decoders.reduce((t, d) => decodeTokens(d, t), tokens);
    case 'ByteLevel': {
      const joined = tokens.join('');
      const bytes: number[] = [];
      let out = '';
      for (const ch of joined) {
        const b = CHAR_TO_BYTE.get(ch);
        if (b !== undefined) bytes.push(b);
        else { out += decodeUtf8Lossy(Uint8Array.from(bytes)); bytes.length = 0; out += ch; }
      }
      out += decodeUtf8Lossy(Uint8Array.from(bytes));
      return [out];
    }
    case 'WordPiece':
      return tokens.map((t, i) => {
        let s = t.startsWith(cfg.prefix) ? t.slice(cfg.prefix.length) : i > 0 ? ` ${t}` : t;
        if (cfg.cleanup) s = cleanup(s);
        return s;
      });
    case 'Metaspace':
      return tokens.map((t, i) => {
        let s = t.split(cfg.replacement).join(' ');
        if (i === 0 && cfg.prepend_scheme !== 'never' && s.startsWith(' ')) s = s.slice(1);
        return s;
      });
    case 'BPEDecoder':
      return tokens.map((t, i) => { const s = t.split(cfg.suffix).join(' '); return i === tokens.length - 1 ? s.trimEnd() : s; });
    case 'ByteFallback': {
      const out: string[] = [];
      let bytes: number[] = [];
      const flush = () => { if (bytes.length) { out.push(decodeUtf8Lossy(Uint8Array.from(bytes))); bytes = []; } };
      for (const t of tokens) {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
        if (m) bytes.push(parseInt(m[1]!, 16));
        else { flush(); out.push(t); }
      }
      flush();
      return out;
    }
    case 'Fuse': return [tokens.join('')];
    case 'Strip':
      return tokens.map((t) => {
        let a = 0;
        let b = t.length;
        for (let k = 0; k < cfg.start && t.startsWith(cfg.content, a); k++) a += cfg.content.length;
        for (let k = 0; k < cfg.stop && b - cfg.content.length >= a && t.slice(b - cfg.content.length, b) === cfg.content; k++) b -= cfg.content.length;
        return t.slice(a, b);
      });
    case 'Replace': {
      const p = cfg.pattern;
      return tokens.map((t) => ('String' in p ? t.split(p.String).join(cfg.content) : t.replace(new RegExp(p.Regex, 'gu'), cfg.content)));
    }
  }
}

function cleanup(s: string): string {
  return s.replace(/ \./g, '.').replace(/ \?/g, '?').replace(/ !/g, '!').replace(/ ,/g, ',').replace(/ ' /g, "'")
    .replace(/ n't/g, "n't").replace(/ 'm/g, "'m").replace(/ do not/g, " don't").replace(/ 's/g, "'s").replace(/ 've/g, "'ve").replace(/ 're/g, "'re");
}
