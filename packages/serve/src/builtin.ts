import { existsSync } from 'node:fs';
import { ConfigError, InputError, readText } from '@llm/core';
import { HashingEmbedder } from './models/hashing-embedder.js';
import { NgramLanguageModel, paragraphs } from './models/ngram.js';
import type { BackendFactory } from './registry.js';

/**
 * Factory for the built-in n-gram model. Paths: `ngram:austen` (the bundled novels, all of them),
 * `ngram:austen?chars=500000&order=5` (a prefix, another order), or `ngram:/some/file.txt`
 * (paragraphs of a UTF-8 text file).
 */
export const ngramFactory: BackendFactory = {
  kind: 'ngram',
  detect: (path) => path.startsWith('ngram:'),
  async load(path, { name, signal }) {
    const spec = path.replace(/^ngram:/, '');
    const [what, query] = spec.split('?', 2) as [string, string | undefined];
    const params = new URLSearchParams(query ?? '');
    const num = (k: string): number | undefined => {
      const v = params.get(k);
      if (v === null) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${path}: ${k} must be a positive integer, got '${v}'`, { field: k });
      return n;
    };
    const order = num('order');
    const chars = num('chars');
    if (what === 'austen' || what === '') return NgramLanguageModel.trainOnAusten({ id: name, order, maxChars: chars, signal });
    if (!existsSync(what)) throw new ConfigError(`${path}: no such file (use ngram:austen or ngram:<text file>)`, { file: what });
    const text = await readText(what);
    const docs = paragraphs(chars ? text.slice(0, chars) : text);
    if (docs.length === 0) throw new InputError('the text file is empty', { file: what });
    return NgramLanguageModel.train(docs, { id: name, order, signal });
  },
};

/** Factory for the built-in hashing embedder: `hashing:256` (the number is the dimension). */
export const hashingFactory: BackendFactory = {
  kind: 'hashing',
  detect: (path) => path.startsWith('hashing:') || path === 'hashing',
  async load(path, { name }) {
    const d = path.replace(/^hashing:?/, '');
    const dimension = d === '' ? 256 : Number(d);
    if (!Number.isInteger(dimension)) throw new ConfigError(`${path}: the dimension must be an integer`, { field: 'path' });
    return new HashingEmbedder({ id: name, dimension });
  },
};

/** The factories `@llm/serve` ships: the built-in small models. */
export const builtinFactories: readonly BackendFactory[] = [ngramFactory, hashingFactory];
