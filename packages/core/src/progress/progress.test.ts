import { describe, expect, it, afterEach } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createProgress, progressEnabled, withProgress } from './progress.js';
import { MetricsLog, renderCurvesSvg, writeCurvesSvg } from './metrics.js';

class FakeTty extends Writable {
  isTTY = true;
  columns = 100;
  out = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void { this.out += chunk.toString(); cb(); }
  cursorTo(): boolean { return true; }
  clearLine(): boolean { return true; }
  moveCursor(): boolean { return true; }
}

const saved = { CI: process.env.CI, LLM_QUIET: process.env.LLM_QUIET };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
});

describe('progress', () => {
  it('is quiet off a TTY and under CI', () => {
    const tty = new FakeTty() as unknown as NodeJS.WriteStream;
    delete process.env.CI; delete process.env.LLM_QUIET;
    expect(progressEnabled(tty)).toBe(true);
    expect(progressEnabled({ isTTY: false } as NodeJS.WriteStream)).toBe(false);
    process.env.CI = 'true';
    expect(progressEnabled(tty)).toBe(false);
    const p = createProgress({ label: 'x', total: 10, stream: tty });
    p.tick(3);
    p.done();
    expect((tty as unknown as FakeTty).out).toBe('');
    expect(p.value).toBe(3);
  });

  it('draws a bar with payload on a TTY', async () => {
    const tty = new FakeTty();
    await withProgress({ label: 'train', total: 4, unit: 'steps', enabled: true, stream: tty as unknown as NodeJS.WriteStream }, async (p) => {
      for (let i = 0; i < 4; i++) p.tick(1, { loss: 1 / (i + 1) });
    });
    expect(tty.out).toContain('train');
    expect(tty.out).toContain('4/4 steps');
    expect(tty.out).toContain('loss=0.2500');
  });
});

describe('metrics', () => {
  it('appends JSON lines and renders curves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-metrics-'));
    const log = new MetricsLog(join(dir, 'm.jsonl'));
    log.log({ step: 1, loss: 2 });
    log.log({ step: 2, loss: 1.5, acc: 0.5 });
    const lines = readFileSync(join(dir, 'm.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.loss)).toEqual([2, 1.5]);
    expect(typeof lines[0]!.time).toBe('string');
    expect(log.series('acc')).toEqual([[2, 0.5]]);
    const svg = renderCurvesSvg([{ name: 'loss', points: log.series('loss') }], { title: 'a <b>', logY: true });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<path d="M');
    expect(svg).toContain('a &lt;b&gt;');
    await writeCurvesSvg(join(dir, 'c.svg'), [{ name: 'loss', points: [[0, 1], [1, 0.5]] }]);
    expect(readFileSync(join(dir, 'c.svg'), 'utf8')).toContain('</svg>');
  });
});
