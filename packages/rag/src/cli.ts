import type { Command } from 'commander';
import { commandAction, ConfigError, formatTable } from '@llm/core';

/** Embedders `llm rag` can build by name; packages that provide one register a factory here. */
export type EmbedderFactory = () => Promise<import('@llm/core').Embedder>;
const embedders = new Map<string, EmbedderFactory>();

/** Make an embedder available to `--embedder NAME` (the CLI registers the workspace's embedders). */
export function registerEmbedder(name: string, factory: EmbedderFactory): void {
  embedders.set(name, factory);
}

async function embedderFor(name: string | undefined) {
  if (!name || name === 'none') return undefined;
  const f = embedders.get(name);
  if (!f) throw new ConfigError(`unknown embedder '${name}' (available: none${[...embedders.keys()].map((k) => `, ${k}`).join('')})`);
  return f();
}

/** `llm rag ingest|retrieve|ask|info`. */
export function register(program: Command): void {
  const rag = program.command('rag').description('retrieval-augmented answers over your documents (PDF, HTML, Markdown, text, MediaWiki dumps)');

  commandAction(
    rag.command('ingest').description('load, split, embed and store documents; unchanged files are skipped, changed ones replaced')
      .argument('<paths...>', 'files or folders')
      .requiredOption('--index <dir>', 'knowledge-base folder')
      .option('--embedder <name>', 'embedder for dense retrieval (none = BM25 only)', 'none')
      .option('--chunk-size <n>', 'characters per chunk', '1000')
      .option('--chunk-overlap <n>', 'characters shared by neighbouring chunks', '150'),
    async (paths: string[], cmd: Command) => {
      const o = cmd.opts<{ index: string; embedder: string; chunkSize: string; chunkOverlap: string }>();
      const { KnowledgeBase } = await import('./knowledge-base.js');
      const kb = await KnowledgeBase.open(o.index, { embedder: await embedderFor(o.embedder), split: { chunkSize: Number(o.chunkSize), chunkOverlap: Number(o.chunkOverlap), sentenceAware: true } });
      try {
        const r = await kb.ingest(paths);
        return {
          json: r,
          human: [`ingested in ${r.seconds.toFixed(1)} s: ${r.added.length} added, ${r.updated.length} updated, ${r.unchanged.length} unchanged, ${r.chunks} chunks written`, ...r.failed.map((f) => `  failed: ${f.error}`)],
        };
      } finally {
        kb.close();
      }
    },
  );

  commandAction(
    rag.command('retrieve').description('the chunks most relevant to a question')
      .argument('<question>', 'the question')
      .requiredOption('--index <dir>', 'knowledge-base folder')
      .option('--k <n>', 'how many chunks', '5')
      .option('--mode <mode>', 'bm25 | dense | hybrid (default: hybrid with an embedder, else bm25)')
      .option('--embedder <name>', 'the embedder the index was built with', 'none'),
    async (question: string, cmd: Command) => {
      const o = cmd.opts<{ index: string; k: string; mode?: 'bm25' | 'dense' | 'hybrid'; embedder: string }>();
      const { KnowledgeBase } = await import('./knowledge-base.js');
      const kb = await KnowledgeBase.open(o.index, { embedder: await embedderFor(o.embedder) });
      try {
        const chunks = await kb.retrieve(question, { k: Number(o.k), mode: o.mode });
        return {
          json: { chunks: chunks.map((c) => ({ text: c.text, source: c.source, page: c.page ?? null, score: c.score, id: c.id })) },
          human: chunks.map((c) => `#${c.rank} ${c.source}${c.page !== undefined ? ` p.${c.page}` : ''} (score ${c.score.toFixed(3)})\n${c.text.slice(0, 400)}\n`),
        };
      } finally {
        kb.close();
      }
    },
  );

  commandAction(
    rag.command('ask').description('answer a question from the knowledge base, with citations (extractive unless a model is given)')
      .argument('<question>', 'the question')
      .requiredOption('--index <dir>', 'knowledge-base folder')
      .option('--k <n>', 'passages to read', '5')
      .option('--embedder <name>', 'the embedder the index was built with', 'none'),
    async (question: string, cmd: Command) => {
      const o = cmd.opts<{ index: string; k: string; embedder: string }>();
      const { KnowledgeBase } = await import('./knowledge-base.js');
      const { extractiveAnswer } = await import('./answer/answer.js');
      const kb = await KnowledgeBase.open(o.index, { embedder: await embedderFor(o.embedder) });
      try {
        const chunks = await kb.retrieve(question, { k: Number(o.k) });
        const a = extractiveAnswer(question, chunks);
        return {
          json: a,
          human: [a.answer, ...a.citations.map((c) => `  [${c.n}] ${c.source}${c.page !== undefined ? `, page ${c.page}` : ''}`)],
        };
      } finally {
        kb.close();
      }
    },
  );

  commandAction(
    rag.command('chat').description('a terminal chat over the knowledge base (one question per line; empty line or Ctrl-D ends)')
      .requiredOption('--index <dir>', 'knowledge-base folder')
      .option('--k <n>', 'passages to read', '5')
      .option('--embedder <name>', 'the embedder the index was built with', 'none'),
    async (cmd: Command) => {
      const o = cmd.opts<{ index: string; k: string; embedder: string }>();
      const { KnowledgeBase } = await import('./knowledge-base.js');
      const { extractiveAnswer } = await import('./answer/answer.js');
      const { createInterface } = await import('node:readline');
      const kb = await KnowledgeBase.open(o.index, { embedder: await embedderFor(o.embedder) });
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) });
      let asked = 0;
      try {
        if (process.stdin.isTTY) process.stderr.write(`${kb.size} chunks loaded. Ask a question (empty line to quit).\n`);
        rl.setPrompt('? ');
        if (process.stdin.isTTY) rl.prompt();
        for await (const line of rl) {
          const q = line.trim();
          if (!q) break;
          const a = extractiveAnswer(q, await kb.retrieve(q, { k: Number(o.k) }));
          asked++;
          process.stdout.write(`${a.answer}\n${a.citations.map((c) => `  [${c.n}] ${c.source}${c.page !== undefined ? `, page ${c.page}` : ''}`).join('\n')}\n\n`);
          if (process.stdin.isTTY) rl.prompt();
        }
      } finally {
        rl.close();
        kb.close();
      }
      return { json: { questions: asked }, human: [] };
    },
  );

  commandAction(
    rag.command('info').description('documents and chunks in a knowledge base').requiredOption('--index <dir>', 'knowledge-base folder'),
    async (cmd: Command) => {
      const { DocumentStore } = await import('./store/sqlite.js');
      const { join } = await import('node:path');
      const { existsSync } = await import('node:fs');
      const file = join(cmd.opts<{ index: string }>().index, 'store.sqlite');
      if (!existsSync(file)) throw new ConfigError(`no knowledge base at ${file}; run 'llm rag ingest' first`);
      const store = new DocumentStore(file);
      try {
        const docs = store.documents();
        return {
          json: { documents: docs, embedder: store.getMeta('embedder') ?? null },
          human: formatTable(['source', 'chunks', 'ingested'], docs.map((d) => [d.source, d.chunks, d.ingestedAt])),
        };
      } finally {
        store.close();
      }
    },
  );
}
