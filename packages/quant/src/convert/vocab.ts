/**
 * Tokenizer metadata for GGUF (`tokenizer.ggml.*`) from an HF `tokenizer.json` (BPE models:
 * byte-fallback SentencePiece-style → llama.cpp's `llama` (SPM) vocab; byte-level GPT-2 style →
 * `gpt2` vocab with merges).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, NotFoundError, parseJson, readText } from '@llm/core';
import { gv, type GGUFValue } from '../gguf/types.js';

/** llama.cpp token types (`llama_token_type`). */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/** A vocabulary ready to be written as `tokenizer.ggml.*`. */
export interface GGUFVocab {
  /** `llama` (SentencePiece-style, scores) or `gpt2` (byte-level BPE, merges). */
  model: 'llama' | 'gpt2';
  tokens: string[];
  scores?: number[];
  tokenTypes?: number[];
  merges?: string[];
  bosId?: number;
  eosId?: number;
  unkId?: number;
  padId?: number;
  /** Pre-tokenizer name for `gpt2` vocabs (`tokenizer.ggml.pre`), default `default`. */
  pre?: string;
  addBos?: boolean;
  addEos?: boolean;
  chatTemplate?: string;
}

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[]; byte_fallback?: boolean; unk_token?: string | null };
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

/** Read an HF `tokenizer.json` (BPE) into a {@link GGUFVocab}. */
export function vocabFromTokenizerJson(text: string, file = 'tokenizer.json', chatTemplate?: string): GGUFVocab {
  const j = parseJson(text, { file }) as TokenizerJson;
  const m = j.model;
  if (!m || m.type !== 'BPE' || !m.vocab) throw new FormatError('tokenizer.json', `only BPE models are supported (got ${m?.type ?? 'none'})`, { file, field: 'model.type' });
  const size = Math.max(...Object.values(m.vocab), ...(j.added_tokens ?? []).map((t) => t.id)) + 1;
  const tokens: string[] = new Array(size).fill('');
  const types: number[] = new Array(size).fill(TokenType.UNUSED);
  for (const [tok, id] of Object.entries(m.vocab)) { tokens[id] = tok; types[id] = TokenType.NORMAL; }
  const special = new Map<string, number>();
  for (const t of j.added_tokens ?? []) { tokens[t.id] = t.content; types[t.id] = t.special === false ? TokenType.USER_DEFINED : TokenType.CONTROL; special.set(t.content, t.id); }
  for (let i = 0; i < size; i++) if (tokens[i] === '') tokens[i] = `[PAD${i}]`;
  const merges = (m.merges ?? []).map((x) => (Array.isArray(x) ? `${x[0]} ${x[1]}` : x));
  const find = (...names: string[]) => { for (const n of names) { const id = special.get(n) ?? m.vocab![n]; if (id !== undefined) return id; } return undefined; };
  if (m.byte_fallback) {
    // SentencePiece-style: a merge's rank becomes a score (earlier merges score higher).
    const scores: number[] = new Array(size).fill(0);
    merges.forEach((mg, rank) => { const id = m.vocab![mg.replace(' ', '')]; if (id !== undefined && scores[id] === 0) scores[id] = -(rank + 1); });
    for (let i = 0; i < size; i++) if (/^<0x[0-9A-F]{2}>$/.test(tokens[i]!)) types[i] = TokenType.BYTE;
    const unkId = m.unk_token ? m.vocab[m.unk_token] : find('<unk>');
    if (unkId !== undefined) types[unkId] = TokenType.UNKNOWN;
    return { model: 'llama', tokens, scores, tokenTypes: types, bosId: find('<s>'), eosId: find('</s>'), unkId, addBos: true, addEos: false, chatTemplate };
  }
  return { model: 'gpt2', tokens, tokenTypes: types, merges, bosId: find('<|endoftext|>', '<s>'), eosId: find('<|endoftext|>', '</s>'), pre: 'gpt-2', addBos: false, addEos: false, chatTemplate };
}

/** The `tokenizer.ggml.*` metadata entries for a vocab. */
export function vocabMetadata(v: GGUFVocab): [string, GGUFValue][] {
  const out: [string, GGUFValue][] = [['tokenizer.ggml.model', gv.str(v.model)]];
  if (v.model === 'gpt2') out.push(['tokenizer.ggml.pre', gv.str(v.pre ?? 'default')]);
  out.push(['tokenizer.ggml.tokens', gv.strs(v.tokens)]);
  if (v.scores) out.push(['tokenizer.ggml.scores', gv.f32s(v.scores)]);
  if (v.tokenTypes) out.push(['tokenizer.ggml.token_type', gv.i32s(v.tokenTypes)]);
  if (v.merges) out.push(['tokenizer.ggml.merges', gv.strs(v.merges)]);
  if (v.bosId !== undefined) out.push(['tokenizer.ggml.bos_token_id', gv.u32(v.bosId)]);
  if (v.eosId !== undefined) out.push(['tokenizer.ggml.eos_token_id', gv.u32(v.eosId)]);
  if (v.unkId !== undefined) out.push(['tokenizer.ggml.unknown_token_id', gv.u32(v.unkId)]);
  if (v.padId !== undefined) out.push(['tokenizer.ggml.padding_token_id', gv.u32(v.padId)]);
  if (v.addBos !== undefined) out.push(['tokenizer.ggml.add_bos_token', gv.bool(v.addBos)]);
  if (v.addEos !== undefined) out.push(['tokenizer.ggml.add_eos_token', gv.bool(v.addEos)]);
  if (v.chatTemplate) out.push(['tokenizer.chat_template', gv.str(v.chatTemplate)]);
  return out;
}

/**
 * The vocabulary of an HF folder: `tokenizer.json`, plus the chat template from
 * `tokenizer_config.json` (`chat_template`) when there is one.
 * @throws NotFoundError without a `tokenizer.json`.
 */
export async function vocabFromHfFolder(dir: string): Promise<GGUFVocab> {
  const tj = join(dir, 'tokenizer.json');
  if (!existsSync(tj)) throw new NotFoundError(`no tokenizer.json in ${dir} (pass a vocab)`, { file: tj });
  let template: string | undefined;
  const tc = join(dir, 'tokenizer_config.json');
  if (existsSync(tc)) {
    const c = parseJson(await readText(tc), { file: tc }) as { chat_template?: unknown };
    if (typeof c.chat_template === 'string') template = c.chat_template;
  }
  return vocabFromTokenizerJson(await readText(tj), tj, template);
}
