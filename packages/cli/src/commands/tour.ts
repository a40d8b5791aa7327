import type { Command } from 'commander';
import { resolve, join } from 'node:path';
import { createRequire } from 'node:module';
import { commandAction, ConfigError, formatTable, writeFileAtomic, writeJsonAtomic } from '@llm/core';
import { renderTourHtml } from '../tour/report-html.js';
import { PENDING_STAGES, TOUR_STEPS } from '../tour/steps.js';
import type { StepResult } from '../tour/types.js';


const require_ = createRequire(import.meta.url);
function installed(pkg: string): boolean {
  try { require_.resolve(`${pkg}/package.json`); return true; } catch { return false; }
}

/** `llm tour`: run every level present on the bundled data and print a report. */
export function registerTourCommand(program: Command): void {
  commandAction(
    program.command('tour').description('run the curriculum tour: every level present, small defaults, bundled data; prints a report')
      .option('--artifacts <dir>', 'where artifacts are written and reused', 'artifacts/tour')
      .option('--fresh', 'ignore cached artifacts')
      .option('--fast', 'a short smoke version: smallest settings, exits when done')
      .option('--level <n>', 'run only the steps of one curriculum level (0-4)')
      .option('--only <ids>', 'comma-separated step ids to run')
      .option('--serve', 'after the report, serve the tour\'s models and the RAG chatbot until Ctrl-C')
      .option('--port <n>', 'port for --serve', '8080'),
    async (cmd: Command) => {
      const opts = cmd.opts<{ artifacts: string; fresh?: boolean; fast?: boolean; level?: string; only?: string; serve?: boolean; port: string }>();
      const level = opts.level === undefined ? undefined : Number(opts.level);
      if (level !== undefined && !(Number.isInteger(level) && level >= 0 && level <= 4)) throw new ConfigError(`--level must be 0, 1, 2, 3 or 4, got '${opts.level}'`);
      const artifactsDir = resolve(opts.artifacts);
      const controller = new AbortController();
      const onSigint = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSigint);
      const only = opts.only ? new Set(opts.only.split(',')) : undefined;
      const results: Array<{ id: string; level: number; title: string; seconds: number } & StepResult> = [];
      const t0 = performance.now();
      try {
        for (const step of TOUR_STEPS) {
          if (only && !only.has(step.id)) continue;
          if (level !== undefined && step.level !== level) continue;
          process.stderr.write(`\n== level ${step.level}: ${step.title}\n`);
          const s0 = performance.now();
          const r = await step.run({ artifactsDir, fresh: Boolean(opts.fresh), fast: Boolean(opts.fast), signal: controller.signal, log: (l) => process.stderr.write(`   ${l}\n`) });
          results.push({ id: step.id, level: step.level, title: step.title, seconds: (performance.now() - s0) / 1000, ...r });
        }
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
      const present = new Set(TOUR_STEPS.map((s) => s.id));
      const pending = PENDING_STAGES.filter((p) => !installed(p.package) || !p.steps.some((id) => present.has(id)));
      const total = (performance.now() - t0) / 1000;
      const report = { totalSeconds: Number(total.toFixed(1)), steps: results, pending };
      await writeJsonAtomic(join(artifactsDir, 'report.json'), report);
      await writeFileAtomic(join(artifactsDir, 'report.html'), renderTourHtml(results, total, artifactsDir));
      const human = [
        '',
        'Curriculum tour report',
        formatTable(['level', 'step', 'time', 'result'], results.map((r) => [r.level, r.id, `${r.seconds.toFixed(1)}s${r.cached ? ' (cached)' : ''}`, r.summary])),
        '',
        pending.length ? `Not yet built: ${pending.map((p) => `L${p.level} ${p.title} (${p.package})`).join('; ')}` : 'Every level is built.',
        `Total ${total.toFixed(1)} s. Report: ${join(artifactsDir, 'report.html')} (and report.json)`,
      ];
      if (opts.serve) {
        process.stdout.write(`${human.join('\n')}\n\n`);
        await serveTour(artifactsDir, Number(opts.port));
        return { json: report, human: 'server stopped' };
      }
      return { json: report, human };
    },
  );
}

/** Serve what the tour produced (its models, the built-in small ones, the RAG chatbot) until Ctrl-C. */
async function serveTour(artifactsDir: string, port: number): Promise<void> {
  const { startServer, DEFAULT_MODELS, findModels, KnowledgeBaseAnswerer } = await import('@llm/serve');
  const { basename } = await import('node:path');
  const { existsSync } = await import('node:fs');
  const kbDir = join(artifactsDir, 'rag', 'kb-debian-faq');
  const rag = existsSync(join(kbDir, 'store.sqlite')) ? await KnowledgeBaseAnswerer.open(kbDir) : undefined;
  const found = findModels(artifactsDir).filter((m) => m.kind === 'native' || m.kind === 'gguf');
  const models = [...found.map((m, i) => ({ name: `${basename(m.path).replace(/\.gguf$/i, '')}-${i}`, path: m.path, kind: m.kind })), ...DEFAULT_MODELS];
  const server = await startServer({ port, models, ...(rag ? { rag } : {}) });
  if (rag) rag.resolveModel = (name) => { const m = server.registry.get(name); return m && m.type === 'chat' ? m.model : undefined; };
  process.stderr.write(`\nServing ${server.registry.names().join(', ')}\n  web chat (with RAG over the Debian FAQ): ${server.url}/\n  OpenAI-compatible API: ${server.url}/v1\nPress Ctrl-C to stop.\n`);
  await new Promise<void>((res) => { process.once('SIGINT', () => res()); process.once('SIGTERM', () => res()); });
  await server.close();
  rag?.close();
}
