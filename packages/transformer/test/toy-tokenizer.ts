import type { Encoding, EncodeOptions, Tokenizer } from '@llm/core';

/**
 * A character tokenizer for tests: id i < n-1 is the character with code 32 + i, the last id is
 * `<|endoftext|>`. Real tokenizers come from @llm/tokenize.
 */
export class CharTokenizer implements Tokenizer {
  readonly specialTokens: Record<string, number>;
  constructor(readonly vocabSize: number, private readonly eos = '<|endoftext|>') {
    this.specialTokens = { [eos]: vocabSize - 1 };
  }
  encode(text: string, _pair?: string, _options?: EncodeOptions): Encoding {
    const ids = [...text].map((ch) => {
      const id = ch.codePointAt(0)! - 32;
      if (id < 0 || id >= this.vocabSize - 1) throw new Error(`char ${JSON.stringify(ch)} not in toy vocab`);
      return id;
    });
    let pos = 0;
    const offsets = ids.map(() => [pos, ++pos] as [number, number]);
    return { ids, tokens: ids.map((i) => this.idToToken(i)!), offsets, typeIds: ids.map(() => 0), attentionMask: ids.map(() => 1), specialTokensMask: ids.map(() => 0) };
  }
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id === this.vocabSize - 1) { if (!options?.skipSpecialTokens) s += this.eos; continue; }
      s += String.fromCharCode(32 + id);
    }
    return s;
  }
  tokenToId(token: string): number | undefined {
    if (token === this.eos) return this.vocabSize - 1;
    return token.length === 1 ? token.charCodeAt(0) - 32 : undefined;
  }
  idToToken(id: number): string | undefined {
    if (id === this.vocabSize - 1) return this.eos;
    return id >= 0 && id < this.vocabSize - 1 ? String.fromCharCode(32 + id) : undefined;
  }
}
