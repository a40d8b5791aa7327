/**
 * The Tercom tokenizer/normalizer as sacreBLEU re-implements it.
 *
 * @packageDocumentation
 */
import { pyNormalizeSpaces } from '../text.js';

/** Options of the Tercom normalizer. */
export interface TercomOptions {
  /** Tercom normalization (punctuation splitting, XML entities, possessives). Default false. */
  normalized?: boolean;
  /** Remove punctuation. Default false. */
  noPunct?: boolean;
  /** CJK handling with `normalized`/`noPunct`. Default false. */
  asianSupport?: boolean;
  /** Keep case. Default false (lowercase). */
  caseSensitive?: boolean;
}

const ASIAN_PUNCT = /([\u3001\u3002\u3008-\u3011\u3014-\u301f\uff61-\uff65\u30fb])/g;
const FULL_WIDTH_PUNCT = /([\uff0e\uff0c\uff1f\uff1a\uff1b\uff01\uff02\uff08\uff09])/g;

function normalizeGeneralAndWestern(sent: string): string {
  let s = sent.replace(/\n-/g, '');
  s = s.replace(/\n/g, ' ');
  s = s.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  s = ` ${s} `;
  s = s.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ');
  s = s.replace(/'s /g, " 's ");
  s = s.replace(/'s$/g, " 's");
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ');
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2');
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return s;
}

function normalizeAsian(sent: string): string {
  let s = sent.replace(/([\u4e00-\u9fff\u3400-\u4dbf])/g, ' $1 ');
  s = s.replace(/([\u31c0-\u31ef\u2e80-\u2eff])/g, ' $1 ');
  s = s.replace(/([\u3300-\u33ff\uf900-\ufaff\ufe30-\ufe4f])/g, ' $1 ');
  s = s.replace(/([\u3200-\u3f22])/g, ' $1 ');
  s = s.replace(/(^|^[\u3040-\u309f])([\u3040-\u309f]+)(?=$|^[\u3040-\u309f])/g, '$1 $2 ');
  s = s.replace(/(^|^[\u30a0-\u30ff])([\u30a0-\u30ff]+)(?=$|^[\u30a0-\u30ff])/g, '$1 $2 ');
  s = s.replace(/(^|^[\u31f0-\u31ff])([\u31f0-\u31ff]+)(?=$|^[\u31f0-\u31ff])/g, '$1 $2 ');
  s = s.replace(ASIAN_PUNCT, ' $1 ');
  s = s.replace(FULL_WIDTH_PUNCT, ' $1 ');
  return s;
}

/** Tercom tokenization of one sentence (sacreBLEU's `TercomTokenizer.__call__`). */
export function tercomTokenize(sent: string, options: TercomOptions = {}): string {
  if (!sent) return '';
  let s = options.caseSensitive ? sent : sent.toLowerCase();
  if (options.normalized) {
    s = normalizeGeneralAndWestern(s);
    if (options.asianSupport) s = normalizeAsian(s);
  }
  if (options.noPunct) {
    s = s.replace(/[.,?:;!"()]/g, '');
    if (options.asianSupport) s = s.replace(ASIAN_PUNCT, '').replace(FULL_WIDTH_PUNCT, '');
  }
  return pyNormalizeSpaces(s);
}
