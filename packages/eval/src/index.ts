/**
 * `@llm/eval`: evaluation metrics that give the numbers the reference tools give (sacreBLEU's
 * BLEU/chrF/TER, rouge-score's ROUGE, the official SQuAD v1.1 script), classification and
 * language-model metrics, significance tests, human evaluation (web UI + SQLite + agreement),
 * and hallucination/bias helpers.
 *
 * @packageDocumentation
 */
export * from './text.js';
export * from './metric.js';
export * from './bleu/tokenizers.js';
export * from './bleu/bleu.js';
export * from './chrf.js';
export * from './ter/tokenizer.js';
export * from './ter/ter.js';
export * from './significance.js';
export * from './rouge/porter.js';
export * from './rouge/tokenize.js';
export * from './rouge/scorer.js';
export * from './rouge/aggregate.js';
export * from './squad.js';
export * from './classification.js';
export * from './lm.js';
export * from './hallucination.js';
export * from './bias.js';
export * from './io.js';
export * from './human/tasks.js';
export * from './human/agreement.js';
export * from './human/report.js';
export type { Judgment } from './human/store.js';
export { JudgmentStore } from './human/store.js';
export { startHumanEvalServer, raterOrder, pairwiseSides } from './human/server.js';
export type { ClientState, ClientTask, HumanEvalServer, ServeOptions } from './human/server.js';
