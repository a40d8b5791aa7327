import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { StepResult } from './types.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function svgsUnder(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, depth: number) => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      if (depth > 3) return;
      for (const f of readdirSync(p).sort()) walk(join(p, f), depth + 1);
    } else if (p.endsWith('.svg')) out.push(p);
  };
  for (const p of paths) walk(p, 0);
  return [...new Set(out)];
}

/**
 * The tour's HTML report: one section per step with its summary, metrics and the images it
 * produced (loss curves, the attention map, tables), embedded inline so the file stands alone.
 */
export function renderTourHtml(steps: ReadonlyArray<{ id: string; level: number; title: string; seconds: number } & StepResult>, totalSeconds: number, artifactsDir: string): string {
  const sections = steps.map((s) => {
    const metrics = Object.entries(s.metrics).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(String(v))}</td></tr>`).join('');
    const images = svgsUnder(s.artifacts).map((f) => `<figure>${readFileSync(f, 'utf8').replace(/<\?xml[^>]*>/, '')}<figcaption>${esc(relative(artifactsDir, f))}</figcaption></figure>`).join('');
    return `<section><h2>Level ${s.level} · ${esc(s.title)}</h2><p>${esc(s.summary)} <small>(${s.seconds.toFixed(1)} s${s.cached ? ', cached' : ''})</small></p>${metrics ? `<table>${metrics}</table>` : ''}${images}</section>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>@llm curriculum tour</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}h1{font-size:1.6em}h2{font-size:1.2em;border-bottom:1px solid #ddd;padding-bottom:.2em}table{border-collapse:collapse;margin:.5em 0}td{border:1px solid #ddd;padding:.2em .6em;font-size:.9em}figure{margin:1em 0}figcaption{font-size:.8em;color:#666}svg{max-width:100%;height:auto}</style>
</head><body><h1>@llm curriculum tour</h1><p>${steps.length} steps in ${totalSeconds.toFixed(1)} s.</p>
${sections}
</body></html>
`;
}
