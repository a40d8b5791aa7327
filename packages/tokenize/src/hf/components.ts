import { FormatError } from '@llm/core';
import { BYTE_TO_CHAR, utf8 } from '../bytes.js';
import { GPT2_PATTERN, toJsPattern } from '../patterns.js';
import { Normalized } from './normalized.js';

/**
 * The normalizers, pre-tokenizers, post-processors and decoders of HF `tokenizer.json`, as
 * plain JSON configs (exactly as the file spells them) and the code that applies them.
 *
 * @packageDocumentation
 */

/** A JSON object from tokenizer.json. */
export type JsonObject = { [k: string]: unknown };

/** Normalizer configs understood here. */
export type NormalizerConfig =
  | { type: 'NFC' | 'NFD' | 'NFKC' | 'NFKD' | 'Lowercase' | 'StripAccents' }
  | { type: 'BertNormalizer'; clean_text: boolean; handle_chinese_chars: boolean; strip_accents: boolean | null; lowercase: boolean }
  | { type: 'Strip'; strip_left: boolean; strip_right: boolean }
  | { type: 'Prepend'; prepend: string }
  | { type: 'Replace'; pattern: { String: string } | { Regex: string }; content: string }
  | { type: 'Sequence'; normalizers: NormalizerConfig[] };

/** Split behaviours of the Split pre-tokenizer. */
export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** Pre-tokenizer configs understood here. */
export type PreTokenizerConfig =
  | { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean }
  | { type: 'Whitespace' }
  | { type: 'WhitespaceSplit' }
  | { type: 'BertPreTokenizer' }
  | { type: 'Punctuation'; behavior: SplitBehavior }
  | { type: 'Digits'; individual_digits: boolean }
  | { type: 'Metaspace'; replacement: string; prepend_scheme: 'always' | 'first' | 'never'; split: boolean }
  | { type: 'Split'; pattern: { String: string } | { Regex: string }; behavior: SplitBehavior; invert: boolean }
  | { type: 'Sequence'; pretokenizers: PreTokenizerConfig[] };

/** One piece of a template: a sequence (A/B) or a special token, with its type id. */
export type TemplatePiece = { Sequence: { id: 'A' | 'B'; type_id: number } } | { SpecialToken: { id: string; type_id: number } };

/** Post-processor configs understood here. */
export type PostProcessorConfig =
  | { type: 'TemplateProcessing'; single: TemplatePiece[]; pair: TemplatePiece[]; special_tokens: Record<string, { id: string; ids: number[]; tokens: string[] }> }
  | { type: 'BertProcessing'; sep: [string, number]; cls: [string, number] }
  | { type: 'RobertaProcessing'; sep: [string, number]; cls: [string, number]; trim_offsets: boolean; add_prefix_space: boolean }
  | { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean }
  | { type: 'Sequence'; processors: PostProcessorConfig[] };

/** Decoder configs understood here. */
export type DecoderConfig =
  | { type: 'ByteLevel'; add_prefix_space?: boolean; trim_offsets?: boolean; use_regex?: boolean }
  | { type: 'WordPiece'; prefix: string; cleanup: boolean }
  | { type: 'Metaspace'; replacement: string; prepend_scheme: 'always' | 'first' | 'never'; split: boolean }
  | { type: 'BPEDecoder'; suffix: string }
  | { type: 'ByteFallback' }
  | { type: 'Fuse' }
  | { type: 'Strip'; content: string; start: number; stop: number }
  | { type: 'Replace'; pattern: { String: string } | { Regex: string }; content: string }
  | { type: 'Sequence'; decoders: DecoderConfig[] };

// ---------------------------------------------------------------- character classes

const CONTROL_RE = /^[\p{Cc}\p{Cf}]$/u;
const PUNCT_RE = /^\p{P}$/u;
const WS_RE = /^\s$/u;
const MN_RE = /\p{Mn}/gu;

const WHITESPACE = 1;
const CONTROL = 2;
const PUNCT = 4;
const classCache = new Map<number, number>();

function bertClass(cp: number): number {
  if (cp < 128) {
    if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d) return WHITESPACE;
    if (cp < 0x20 || cp === 0x7f) return CONTROL;
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return PUNCT;
    return 0;
  }
  let c = classCache.get(cp);
  if (c === undefined) {
    const ch = String.fromCodePoint(cp);
    c = 0;
    if (cp === 0x85 || (cp !== 0xfeff && WS_RE.test(ch))) c |= WHITESPACE; // Rust's char::is_whitespace
    else if (CONTROL_RE.test(ch)) c |= CONTROL;
    if (PUNCT_RE.test(ch)) c |= PUNCT;
    if (classCache.size < 65536) classCache.set(cp, c);
  }
  return c;
}

/** BERT's whitespace test. */
export function isBertWhitespace(cp: number): boolean {
  return (bertClass(cp) & WHITESPACE) !== 0;
}
/** BERT's control-character test (tab/newline/return count as whitespace). */
export function isBertControl(cp: number): boolean {
  return (bertClass(cp) & CONTROL) !== 0;
}
/** BERT's punctuation test: ASCII symbol ranges or a Unicode P* category. */
export function isBertPunctuation(cp: number): boolean {
  return (bertClass(cp) & PUNCT) !== 0;
}
/** CJK Unified Ideographs blocks, as BERT defines them. */
export function isCjk(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

// ---------------------------------------------------------------- normalizers

/** Apply a normalizer config in place. */
export function normalize(cfg: NormalizerConfig, n: Normalized): void {
  switch (cfg.type) {
    case 'NFC': case 'NFD': case 'NFKC': case 'NFKD': n.unicodeNormalize(cfg.type); return;
    case 'Lowercase': n.mapCodePoints((ch) => ch.toLowerCase()); return;
    case 'StripAccents': n.unicodeNormalize('NFD'); n.mapCodePoints((ch) => ch.replace(MN_RE, '')); return;
    case 'BertNormalizer': {
      if (cfg.clean_text) n.mapCodePoints((ch, cp) => (cp === 0 || cp === 0xfffd || isBertControl(cp) ? '' : isBertWhitespace(cp) ? ' ' : ch));
      if (cfg.handle_chinese_chars) n.mapCodePoints((ch, cp) => (isCjk(cp) ? ` ${ch} ` : ch));
      const strip = cfg.strip_accents ?? cfg.lowercase;
      if (strip) { n.unicodeNormalize('NFD'); n.mapCodePoints((ch) => ch.replace(MN_RE, '')); }
      if (cfg.lowercase) n.mapCodePoints((ch) => ch.toLowerCase());
      return;
    }
    case 'Strip': {
      let a = 0;
      let b = n.text.length;
      if (cfg.strip_left) while (a < b && /\s/u.test(n.text[a]!)) a++;
      if (cfg.strip_right) while (b > a && /\s/u.test(n.text[b - 1]!)) b--;
      const r = n.slice(a, b);
      n.text = r.text; n.s = r.s; n.e = r.e;
      return;
    }
    case 'Prepend': {
      if (n.text.length === 0) return;
      const s0 = n.s[0]!;
      const e0 = n.e[0]!;
      n.text = cfg.prepend + n.text;
      n.s = [...new Array<number>(cfg.prepend.length).fill(s0), ...n.s];
      n.e = [...new Array<number>(cfg.prepend.length).fill(e0), ...n.e];
      return;
    }
    case 'Replace': {
      const re = patternRegex(cfg.pattern);
      const parts: Normalized[] = [];
      let last = 0;
      let out = '';
      const s: number[] = [];
      const e: number[] = [];
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(n.text)) !== null) {
        if (m[0].length === 0) { re.lastIndex++; continue; }
        out += n.text.slice(last, m.index); s.push(...n.s.slice(last, m.index)); e.push(...n.e.slice(last, m.index));
        const ms = n.s[m.index]!;
        const me = n.e[m.index + m[0].length - 1]!;
        out += cfg.content;
        for (let k = 0; k < cfg.content.length; k++) { s.push(ms); e.push(me); }
        last = m.index + m[0].length;
      }
      void parts;
      out += n.text.slice(last); s.push(...n.s.slice(last)); e.push(...n.e.slice(last));
      n.text = out; n.s = s; n.e = e;
      return;
    }
    case 'Sequence': for (const c of cfg.normalizers) normalize(c, n); return;
  }
}

function patternRegex(p: { String: string } | { Regex: string }): RegExp {
  if ('Regex' in p) return new RegExp(toJsPattern(p.Regex), 'gu');
  return new RegExp(p.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
}

// ---------------------------------------------------------------- pre-tokenizers

/** Split one aligned string into pieces by match ranges, following an HF split behaviour. */
function splitBy(n: Normalized, matches: Array<[number, number]>, behavior: SplitBehavior): Normalized[] {
  const out: Normalized[] = [];
  const len = n.text.length;
  // Build (start, end, isMatch) segments.
  const segs: Array<[number, number, boolean]> = [];
  let pos = 0;
  for (const [a, b] of matches) {
    if (a > pos) segs.push([pos, a, false]);
    segs.push([a, b, true]);
    pos = b;
  }
  if (pos < len) segs.push([pos, len, false]);
  if (behavior === 'Contiguous') {
    const merged: Array<[number, number, boolean]> = [];
    for (const sg of segs) {
      const last = merged[merged.length - 1];
      if (last && last[2] && sg[2]) last[1] = sg[1];
      else merged.push([...sg]);
    }
    for (const [a, b] of merged) out.push(n.slice(a, b));
    return out;
  }
  if (behavior === 'Isolated') { for (const [a, b] of segs) out.push(n.slice(a, b)); return out; }
  if (behavior === 'Removed') { for (const [a, b, m] of segs) if (!m) out.push(n.slice(a, b)); return out; }
  if (behavior === 'MergedWithPrevious') {
    const res: Array<[number, number]> = [];
    for (const [a, b, m] of segs) {
      const last = res[res.length - 1];
      if (m && last) last[1] = b;
      else res.push([a, b]);
    }
    for (const [a, b] of res) out.push(n.slice(a, b));
    return out;
  }
  // MergedWithNext
  const res: Array<[number, number]> = [];
  let pending = -1;
  for (const [a, b, m] of segs) {
    if (m) { if (pending < 0) pending = a; continue; }
    res.push([pending >= 0 ? pending : a, b]);
    pending = -1;
  }
  if (pending >= 0) res.push([pending, len]);
  for (const [a, b] of res) out.push(n.slice(a, b));
  return out;
}

function regexMatches(re: RegExp, text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

function invertRanges(r: Array<[number, number]>, len: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let pos = 0;
  for (const [a, b] of r) { if (a > pos) out.push([pos, a]); pos = b; }
  if (pos < len) out.push([pos, len]);
  return out;
}

const GPT2_RE = new RegExp(GPT2_PATTERN, 'gu');
const regexCache = new Map<string, RegExp>();

function cachedRegex(p: { String: string } | { Regex: string }): RegExp {
  const key = JSON.stringify(p);
  let re = regexCache.get(key);
  if (!re) { re = patternRegex(p); regexCache.set(key, re); }
  return re;
}

/** Map a piece to its byte-level form: one character per UTF-8 byte, each spanning its source character. */
export function toByteLevel(n: Normalized): Normalized {
  const t = n.text;
  let ascii = true;
  for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) > 127) { ascii = false; break; }
  if (ascii) {
    let out = '';
    for (let i = 0; i < t.length; i++) out += BYTE_TO_CHAR[t.charCodeAt(i)];
    return new Normalized(out, n.s, n.e);
  }
  let out = '';
  const s: number[] = [];
  const e: number[] = [];
  for (let i = 0; i < t.length; ) {
    const cp = t.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    const b = utf8(t.slice(i, i + w));
    for (const x of b) { out += BYTE_TO_CHAR[x]; s.push(n.s[i]!); e.push(n.e[i + w - 1]!); }
    i += w;
  }
  return new Normalized(out, s, e);
}

/** Apply a pre-tokenizer to pieces. `first` tells whether the first piece starts the input (Metaspace 'first'). */
export function preTokenize(cfg: PreTokenizerConfig, pieces: Normalized[]): Normalized[] {
  const out: Normalized[] = [];
  switch (cfg.type) {
    case 'Sequence': {
      let cur = pieces;
      for (const c of cfg.pretokenizers) cur = preTokenize(c, cur);
      return cur;
    }
    case 'ByteLevel':
      for (let p of pieces) {
        if (cfg.add_prefix_space && !p.text.startsWith(' ')) {
          p = new Normalized(` ${p.text}`, [p.s[0] ?? 0, ...p.s], [p.s[0] ?? 0, ...p.e]);
        }
        const parts = cfg.use_regex ? splitBy(p, regexMatches(GPT2_RE, p.text), 'Isolated') : [p];
        for (const q of parts) out.push(toByteLevel(q));
      }
      return out;
    case 'Whitespace': {
      const re = /\w+|[^\w\s]+/gu;
      for (const p of pieces) out.push(...splitBy(p, invertRanges(regexMatches(re, p.text), p.text.length), 'Removed'));
      return out;
    }
    case 'WhitespaceSplit':
      for (const p of pieces) out.push(...splitBy(p, regexMatches(/\s+/gu, p.text), 'Removed'));
      return out;
    case 'BertPreTokenizer':
      for (const p of pieces) {
        const ws: Array<[number, number]> = [];
        const t = p.text;
        for (let i = 0; i < t.length; ) {
          const cp = t.codePointAt(i)!;
          const w = cp > 0xffff ? 2 : 1;
          if (cp === 0x20 || (cp > 0x20 ? cp >= 0x80 && /\s/u.test(String.fromCodePoint(cp)) : cp >= 0x09 && cp <= 0x0d)) ws.push([i, i + w]);
          i += w;
        }
        for (const q of splitBy(p, ws, 'Removed')) {
          const pm: Array<[number, number]> = [];
          for (let i = 0; i < q.text.length; ) {
            const cp = q.text.codePointAt(i)!;
            const w = cp > 0xffff ? 2 : 1;
            if (isBertPunctuation(cp)) pm.push([i, i + w]);
            i += w;
          }
          out.push(...splitBy(q, pm, 'Isolated'));
        }
      }
      return out;
    case 'Punctuation':
      for (const p of pieces) {
        const pm: Array<[number, number]> = [];
        for (let i = 0; i < p.text.length; ) {
          const cp = p.text.codePointAt(i)!;
          const w = cp > 0xffff ? 2 : 1;
          if (isBertPunctuation(cp)) pm.push([i, i + w]);
          i += w;
        }
        out.push(...splitBy(p, pm, cfg.behavior));
      }
      return out;
    case 'Digits':
      for (const p of pieces) out.push(...splitBy(p, regexMatches(cfg.individual_digits ? /\p{N}/gu : /\p{N}+/gu, p.text), cfg.individual_digits ? 'Isolated' : 'Contiguous'));
      return out;
    case 'Metaspace':
      pieces.forEach((p, idx) => {
        const rep = p.text.replace(/ /g, cfg.replacement);
        let q = new Normalized(rep, p.s, p.e);
        const prepend = cfg.prepend_scheme === 'always' || (cfg.prepend_scheme === 'first' && idx === 0);
        if (prepend && !rep.startsWith(cfg.replacement)) q = new Normalized(cfg.replacement + rep, [p.s[0] ?? 0, ...p.s], [p.s[0] ?? 0, ...p.e]);
        if (cfg.split) {
          const ms: Array<[number, number]> = [];
          for (let i = 0; i < q.text.length; i++) if (q.text.startsWith(cfg.replacement, i)) ms.push([i, i + cfg.replacement.length]);
          out.push(...splitBy(q, ms, 'MergedWithNext'));
        } else out.push(q);
      });
      return out;
    case 'Split': {
      const re = cachedRegex(cfg.pattern);
      for (const p of pieces) {
        let ms = regexMatches(re, p.text);
        if (cfg.invert) ms = invertRanges(ms, p.text.length);
        out.push(...splitBy(p, ms, cfg.behavior));
      }
      return out;
    }
  }
}

// ---------------------------------------------------------------- validation of configs

const NORMALIZERS = new Set(['NFC', 'NFD', 'NFKC', 'NFKD', 'Lowercase', 'StripAccents', 'BertNormalizer', 'Strip', 'Prepend', 'Replace', 'Sequence']);
const PRETOKENIZERS = new Set(['ByteLevel', 'Whitespace', 'WhitespaceSplit', 'BertPreTokenizer', 'Punctuation', 'Digits', 'Metaspace', 'Split', 'Sequence']);
const POSTPROCESSORS = new Set(['TemplateProcessing', 'BertProcessing', 'RobertaProcessing', 'ByteLevel', 'Sequence']);
const DECODERS = new Set(['ByteLevel', 'WordPiece', 'Metaspace', 'BPEDecoder', 'ByteFallback', 'Fuse', 'Strip', 'Replace', 'Sequence']);

function checkTyped(v: unknown, known: Set<string>, field: string, file: string | undefined, children?: string): void {
  if (v === null || v === undefined) return;
  if (typeof v !== 'object' || Array.isArray(v)) throw new FormatError('tokenizer.json', `${field} must be an object or null`, { file, field });
  const t = (v as JsonObject).type;
  if (typeof t !== 'string' || !known.has(t)) throw new FormatError('tokenizer.json', `${field}.type ${JSON.stringify(t)} is not supported (${[...known].join(', ')})`, { file, field: `${field}.type` });
  if (t === 'Sequence' && children) {
    const list = (v as JsonObject)[children];
    if (!Array.isArray(list)) throw new FormatError('tokenizer.json', `${field}.${children} must be an array`, { file, field: `${field}.${children}` });
    list.forEach((c, i) => checkTyped(c, known, `${field}.${children}[${i}]`, file, children));
  }
  if (t === 'Split' || t === 'Replace') {
    const p = (v as JsonObject).pattern as JsonObject | undefined;
    const src = p && (typeof p.Regex === 'string' ? p.Regex : typeof p.String === 'string' ? null : undefined);
    if (src === undefined) throw new FormatError('tokenizer.json', `${field}.pattern must be {"Regex": …} or {"String": …}`, { file, field: `${field}.pattern` });
    if (typeof src === 'string') {
      try { new RegExp(toJsPattern(src), 'u'); } catch (err) {
        throw new FormatError('tokenizer.json', `${field}.pattern.Regex is not a usable regex: ${(err as Error).message}`, { file, field: `${field}.pattern.Regex` }, { cause: err });
      }
    }
  }
}

/** Validate the pipeline sections of a tokenizer.json object. @throws FormatError naming the field. */
export function validatePipeline(json: JsonObject, file?: string): void {
  checkTyped(json.normalizer, NORMALIZERS, 'normalizer', file, 'normalizers');
  checkTyped(json.pre_tokenizer, PRETOKENIZERS, 'pre_tokenizer', file, 'pretokenizers');
  checkTyped(json.post_processor, POSTPROCESSORS, 'post_processor', file, 'processors');
  checkTyped(json.decoder, DECODERS, 'decoder', file, 'decoders');
}
