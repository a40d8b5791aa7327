/**
 * `@llm/rag`: retrieval-augmented generation over your documents.
 *
 * @packageDocumentation
 */
export type { Chunk, LoadedDocument, RetrievedChunk, IngestFailure } from './types.js';
export * from './loaders/index.js';
export { splitText, splitDocument, splitSentences, type SplitOptions } from './split/splitter.js';
export { DocumentStore, type StoredDocument } from './store/sqlite.js';
export { FlatIndex, similarity, type Metric } from './index/flat.js';
export { HnswIndex, type HnswOptions } from './index/hnsw.js';
export { Bm25Index, bm25Tokens, stem, type Bm25Options } from './retrieve/bm25.js';
export { reciprocalRankFusion, maximalMarginalRelevance, cosine } from './retrieve/fusion.js';
export { sentenceWindowScore, pairProximity, rerankBySentenceWindows, type WindowRerankOptions } from './retrieve/window-rerank.js';
export { KnowledgeBase, type KnowledgeBaseOptions, type IngestReport, type RetrievalMode, type RetrieveOptions } from './knowledge-base.js';
export { buildRagMessages, extractiveAnswer, generateAnswer, evalSupport, DONT_KNOW, type Answer, type AnswerSentence, type Citation, type SupportScorer, type GenerateAnswerOptions } from './answer/answer.js';
export { evaluateRetrieval, type RetrievalQuestion, type RetrievalEval } from './eval/retrieval-eval.js';
