import type { Command } from 'commander';
import { resolve, join } from 'node:path';
import { createRequire } from 'node:module';
import { commandAction, ConfigError, formatTable, writeJsonAtomic } from '@llm/core';
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
      .option('--only <ids>', 'comma-separated step ids to run'),
    async (cmd: Command) => {
      const opts = cmd.opts<{ artifacts: string; fresh?: boolean; fast?: boolean; level?: string; only?: string }>();
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
      const pending = PENDING_STAGES.filter((p) => !installed(p.package));
      const total = (performance.now() - t0) / 1000;
      const report = { totalSeconds: Number(total.toFixed(1)), steps: results, pending };
      await writeJsonAtomic(join(artifactsDir, 'report.json'), report);
      const human = [
        '',
        'Curriculum tour report',
        formatTable(['level', 'step', 'time', 'result'], results.map((r) => [r.level, r.id, `${r.seconds.toFixed(1)}s${r.cached ? ' (cached)' : ''}`, r.summary])),
        '',
        pending.length ? `Not yet built: ${pending.map((p) => `L${p.level} ${p.title} (${p.package})`).join('; ')}` : 'Every level is built.',
        `Total ${total.toFixed(1)} s. Report: ${join(artifactsDir, 'report.json')}`,
      ];
      return { json: report, human };
    },
  );
}
