import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

/** One record of a training run's metrics log. */
export interface MetricRecord {
  /** Optimiser step (or epoch for per-epoch records). */
  step: number;
  /** Wall-clock time, ISO-8601; filled in by the logger when absent. */
  time?: string;
  [name: string]: number | string | undefined;
}

/**
 * A JSON-lines metrics log: one object per line, appended as training goes, so a run killed
 * midway keeps everything logged so far. Also keeps the records in memory for plotting.
 */
export class MetricsLog {
  readonly path: string | undefined;
  readonly records: MetricRecord[] = [];

  /** @param path file to append to; undefined keeps records in memory only. */
  constructor(path?: string) {
    this.path = path;
    if (path) mkdirSync(dirname(path), { recursive: true });
  }

  /** Record one set of metrics. */
  log(record: MetricRecord): void {
    const r: MetricRecord = { ...record, time: record.time ?? new Date().toISOString() };
    this.records.push(r);
    if (this.path) appendFileSync(this.path, `${JSON.stringify(r)}\n`);
  }

  /** The `[step, value]` points of one metric, skipping records without it. */
  series(name: string): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const r of this.records) {
      const v = r[name];
      if (typeof v === 'number' && Number.isFinite(v)) out.push([r.step, v]);
    }
    return out;
  }
}

/** One line of a chart. */
export interface CurveSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** Render loss (or any metric) curves as a standalone SVG image. */
export function renderCurvesSvg(
  series: readonly CurveSeries[],
  options: { title?: string; xLabel?: string; yLabel?: string; width?: number; height?: number; logY?: boolean } = {},
): string {
  const W = options.width ?? 720;
  const H = options.height ?? 420;
  const m = { l: 64, r: 20, t: 36, b: 48 };
  const pts = series.flatMap((s) => s.points);
  const fy = (v: number) => (options.logY ? Math.log10(Math.max(v, 1e-12)) : v);
  let x0 = Math.min(...pts.map((p) => p[0]));
  let x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = Math.min(...pts.map((p) => fy(p[1])));
  let y1 = Math.max(...pts.map((p) => fy(p[1])));
  if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y1 += 0.5; y0 -= 0.5; }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad; y1 += pad;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((fy(y) - y0) / (y1 - y0)) * (H - m.t - m.b);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  for (let i = 0; i <= 5; i++) {
    const yv = y0 + ((y1 - y0) * i) / 5;
    const py = H - m.b - ((H - m.t - m.b) * i) / 5;
    const label = options.logY ? (10 ** yv).toPrecision(3) : yv.toPrecision(3);
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.l - 6}" y="${(py + 4).toFixed(1)}" text-anchor="end">${label}</text>`);
    const xv = x0 + ((x1 - x0) * i) / 5;
    const px = m.l + ((W - m.l - m.r) * i) / 5;
    parts.push(`<text x="${px.toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${Number(xv.toPrecision(4))}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    parts.push(`<text x="${W - m.r - 8}" y="${m.t + 16 + i * 16}" text-anchor="end" fill="${color}">${esc(s.name)}</text>`);
  });
  if (options.title) parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(options.title)}</text>`);
  if (options.xLabel) parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  if (options.yLabel) parts.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Write curves as an SVG file, atomically. */
export async function writeCurvesSvg(path: string, series: readonly CurveSeries[], options?: Parameters<typeof renderCurvesSvg>[1]): Promise<void> {
  await writeFileAtomic(path, renderCurvesSvg(series, options));
}
