import { describe, expect, it } from 'vitest';
import { Rng } from '@llm/core';
import { pyNormalizeSpaces } from '../text.js';
import { IdList, TokenInterner } from '../intern.js';
import { tokenize13a, tokenizeRegexp } from './tokenizers.js';
import { RegexpPasses, scan13a } from './scan.js';

// The regex formulation of mteval-v13a (sacreBLEU's TokenizerRegexp + Tokenizer13a), kept here as
// the oracle for the character-code passes.
function regex13a(line: string): string {
  let s = line.split('<skipped>').join('').split('-\n').join('').split('\n').join(' ');
  s = s.split('&quot;').join('"').split('&amp;').join('&').split('&lt;').join('<').split('&gt;').join('>');
  return regexRegexp(` ${s} `);
}
function regexRegexp(line: string): string {
  let s = line.replace(/[{-~[-` -&(-+:-@/]/g, ' $& ');
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ');
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2');
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return pyNormalizeSpaces(s);
}

describe('13a character-code passes equal the regex substitutions', () => {
  const alphabet = ['a', 'B', '1', '9', '.', ',', '-', ' ', '\n', "'", '"', '&', '&amp;', '&quot;', '<skipped>', '-\n', '(', '$', '/', 'é', '\u00a0', '\u2028', '𝒜', '\t', '\u001c', '0.5', '1,000', '3-4'];
  it('on 5000 random strings over digits, . , - and punctuation', () => {
    const rng = new Rng(7);
    for (let k = 0; k < 5000; k++) {
      const n = rng.int(25);
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)]!;
      expect(tokenize13a(s), JSON.stringify(s)).toBe(regex13a(s));
      expect(tokenizeRegexp(s), JSON.stringify(s)).toBe(regexRegexp(s));
    }
  });
  it('scan13a interns exactly the tokens of tokenize13a (after rstrip)', () => {
    const interner = new TokenInterner(4);
    const out = new IdList(2);
    const passes = new RegexpPasses();
    for (const line of ['Hello, "world" &amp; 3.14-2 A.B.  ', '', '   ', 'x-\n', 'a..b,,c 1.-2 -3- 4-', 'repeat repeat repeat, repeat.']) {
      out.clear();
      scan13a(line, passes, interner, out);
      const toks = Array.from(out.ids.subarray(0, out.length), (id) => interner.text(id));
      expect(toks.join(' ')).toBe(regex13a(line.replace(/\s+$/u, '')));
    }
  });
});

describe('TokenInterner', () => {
  it('gives the same id to equal tokens from strings and buffers, across table growth', () => {
    const it = new TokenInterner(2);
    const words = Array.from({ length: 3000 }, (_, i) => `w${i}é`);
    const ids = words.map((w) => it.intern(w));
    expect(new Set(ids).size).toBe(3000);
    words.forEach((w, i) => {
      expect(it.internString(`  ${w} `, 2, 2 + w.length)).toBe(ids[i]);
      const buf = Uint16Array.from(w, (c) => c.charCodeAt(0));
      expect(it.internBuffer(buf, 0, buf.length)).toBe(ids[i]);
      expect(it.text(ids[i]!)).toBe(w);
    });
    expect(it.size).toBe(3000);
  });
  it('reset forgets every token, also after a large table', () => {
    const it = new TokenInterner(4);
    for (let i = 0; i < 20000; i++) it.intern(`t${i}`);
    it.reset();
    expect(it.size).toBe(0);
    expect(it.intern('t19999')).toBe(0);
    expect(it.intern('x')).toBe(1);
    expect(it.intern('t19999')).toBe(0);
    expect(it.text(1)).toBe('x');
  });
});
