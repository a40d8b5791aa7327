/**
 * `@llm/embeddings`: Word2Vec, GloVe and fastText trained with tight Float32Array loops
 * (Hogwild over worker_threads), the word2vec/fastText file formats, a reader for fastText
 * `.bin`/`.ftz` models, a KeyedVectors-like API, analogy evaluation and sentence embedders.
 *
 * @packageDocumentation
 */
export * from './text.js';
export * from './vectors.js';
export * from './formats.js';
export * from './word2vec.js';
export type { KernelArgs } from './kernel.js';
export * from './fasttext.js';
export * from './glove.js';
export * from './evaluate.js';
export * from './embedder.js';
