#!/usr/bin/env node
// Level 4 — mitigating hallucinations with RAG + verification.
//
// A language model answers questions about Debian three ways, and every answer sentence is checked
// against the documentation with @llm/eval's support scorer:
//   closed-book   the model answers from what it memorised (no retrieval)
//   rag           the same model, prompted with the retrieved passages (numbered, to be cited)
//   rag+verify    rag, then every sentence not supported by its passages is removed; with nothing
//                 left the system says it does not know
//   extractive    no generation: the best-supported sentence of the retrieved passages, quoted
// on the 20 hand-written Debian-FAQ questions (answerable) and on questions the documents cannot
// answer (the system should abstain).
//
// The model is the built-in byte-level Kneser–Ney n-gram LM of @llm/serve trained on the Debian
// FAQ's own text: fluent Debian-flavoured prose with no notion of truth — a small, honest stand-in
// for an LLM that hallucinates. Swap in any LanguageModel (a GGUF via @llm/quant's loadGGUF, an
// OpenAI-compatible endpoint) with --model-gguf FILE.
//
//   npm run setup
//   node examples/level-4/hallucination/hallucination.mjs [--n 20] [--max-tokens 60] [--seed 1] [--model-gguf FILE]
//        [--strict-support 0.8] [--strict-overlap 1.0]   (the stricter verification rows)
import { join } from 'node:path';
import { collect, datasetFiles, readJsonl } from '../../../packages/core/dist/index.js';
import { scoreSupport } from '../../../packages/eval/dist/index.js';
import { KnowledgeBase, extractiveAnswer, generateAnswer, loadPdf } from '../../../packages/rag/dist/index.js';
import { NgramLanguageModel, paragraphs } from '../../../packages/serve/dist/index.js';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const n = Number(opt('n', '20'));
const maxTokens = Number(opt('max-tokens', '60'));
const seed = Number(opt('seed', '1'));
const gguf = opt('model-gguf', undefined);
const t0 = Date.now();

// Questions the documents do not answer: a grounded system must say so.
const UNANSWERABLE = [
  'Who wrote Pride and Prejudice?',
  'What is the boiling point of mercury at sea level?',
  'Which team won the 1998 football World Cup?',
  'How many moons does Jupiter have?',
  'What is the capital city of Australia?',
  'Who painted the ceiling of the Sistine Chapel?',
  'How long should an egg be boiled to be soft?',
  'What is the speed of sound in water?',
];

const [faqPdf] = datasetFiles('debian-pdfs').filter((f) => f.includes('debian-faq'));
const questions = (await collect(readJsonl(datasetFiles('debian-faq-questions')[0]))).map((r) => r.value).slice(0, n);

// Knowledge base over the FAQ (BM25; cached under artifacts/).
const kb = await KnowledgeBase.open(join(process.cwd(), 'artifacts', 'kb-debian-faq'));
await kb.ingest([faqPdf]);

// The generator: an n-gram LM of the FAQ's own text, or a GGUF.
let model;
if (gguf) {
  const { loadGGUF } = await import('../../../packages/quant/dist/index.js');
  model = await loadGGUF(gguf, { threads: 2 });
} else {
  const doc = await loadPdf(faqPdf);
  const text = doc.pages.map((p) => p.text).join("\n\n");
  model = NgramLanguageModel.train(paragraphs(text), { id: 'ngram-debian-faq', order: 6 });
}
const gen = { maxTokens, temperature: 0.7, topK: 40, seed };

const contains = (answer, golds) => golds.some((g) => answer.toLowerCase().includes(g.toLowerCase()));
const strictSupport = Number(opt('strict-support', '0.8'));
const strictOverlap = Number(opt('strict-overlap', '1.0'));
const rows = { 'closed-book': [], rag: [], 'rag+verify': [], [`rag+verify@${strictSupport}`]: [], extractive: [], [`extractive@${strictOverlap}`]: [] };
const add = (mode, r) => rows[mode].push(r);

async function judge(text, passages) {
  const units = await scoreSupport(text, passages);
  return { units: units.length, supported: units.filter((u) => u.supported).length };
}

async function run(question, golds, answerable) {
  const chunks = await kb.retrieve(question, { k: 5 });
  const passages = chunks.map((c) => c.text);
  // Closed book: no passages in the prompt; judged against the passages a retriever would give.
  const closed = await model.generate(`Question: ${question}\nAnswer:`, gen);
  const closedText = closed.text.split('\n')[0].trim();
  add('closed-book', { answerable, abstained: closedText.length === 0, correct: contains(closedText, golds), ...(await judge(closedText, passages)), text: closedText });
  // RAG: numbered passages in the prompt; sentences flagged, then (verify) removed.
  const flagged = await generateAnswer(question, chunks, model, { ...gen, removeUnsupported: false });
  const s1 = flagged.sentences;
  add('rag', { answerable, abstained: flagged.abstained, correct: contains(flagged.answer, golds), units: s1.length, supported: s1.filter((s) => s.supported).length, text: flagged.answer });
  const verified = await generateAnswer(question, chunks, model, { ...gen, removeUnsupported: true });
  const kept = verified.sentences.filter((s) => s.supported);
  add('rag+verify', { answerable, abstained: verified.abstained || kept.length === 0, correct: contains(verified.answer, golds), units: kept.length, supported: kept.length, text: verified.answer });
  const strict = await generateAnswer(question, chunks, model, { ...gen, removeUnsupported: true, minSupport: strictSupport });
  const keptStrict = strict.sentences.filter((s) => s.supported);
  add(`rag+verify@${strictSupport}`, { answerable, abstained: strict.abstained || keptStrict.length === 0, correct: contains(strict.answer, golds), units: keptStrict.length, supported: keptStrict.length, text: strict.answer });
  const exStrict = extractiveAnswer(question, chunks, { minOverlap: strictOverlap });
  add(`extractive@${strictOverlap}`, { answerable, abstained: exStrict.abstained, correct: contains(exStrict.answer, golds), ...(exStrict.abstained ? { units: 0, supported: 0 } : await judge(exStrict.sentences.map((s) => s.text).join(' '), passages)), text: exStrict.answer });
  const ex = extractiveAnswer(question, chunks);
  add('extractive', { answerable, abstained: ex.abstained, correct: contains(ex.answer, golds), ...(ex.abstained ? { units: 0, supported: 0 } : await judge(ex.sentences.map((s) => s.text).join(' '), passages)), text: ex.answer });
}

for (const q of questions) await run(q.question, q.answers, true);
for (const q of UNANSWERABLE) await run(q, [], false);

const pct = (a, b) => (b === 0 ? '   –' : `${((100 * a) / b).toFixed(0).padStart(3)}%`);
console.log(`\n${questions.length} answerable Debian-FAQ questions, ${UNANSWERABLE.length} unanswerable; model ${model.id}; ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
console.log('mode                 answer found  sentences supported  abstained (answerable)  abstained (unanswerable)');
for (const [mode, rs] of Object.entries(rows)) {
  const a = rs.filter((r) => r.answerable);
  const u = rs.filter((r) => !r.answerable);
  const units = a.reduce((s, r) => s + r.units, 0);
  const sup = a.reduce((s, r) => s + r.supported, 0);
  console.log(`${mode.padEnd(20)} ${pct(a.filter((r) => r.correct).length, a.length).padStart(12)}  ${pct(sup, units).padStart(19)}  ${pct(a.filter((r) => r.abstained).length, a.length).padStart(22)}  ${pct(u.filter((r) => r.abstained).length, u.length).padStart(24)}`);
}
const q0 = questions[0];
console.log(`\nExample — ${q0.question} (accepted: ${q0.answers.join(' | ')})`);
for (const [mode, rs] of Object.entries(rows)) console.log(`  ${mode.padEnd(18)} ${rs[0].text.slice(0, 160).replace(/\s+/g, ' ')}`);
console.log(`\nExample — ${UNANSWERABLE[0]}`);
for (const [mode, rs] of Object.entries(rows)) console.log(`  ${mode.padEnd(18)} ${rs.find((r) => !r.answerable).text.slice(0, 160).replace(/\s+/g, ' ')}`);
kb.close();
if (gguf) await model.dispose?.();
