import { describe, expect, it } from 'vitest';
import { formatResults, markdownResults, runCase, type Contender } from './harness.js';

/** A contender whose "timings" are a fixed sequence (self-timed), recording when it ran. */
function fake(name: string, side: 'ours' | 'peer', times: number[], log: string[]): Contender {
  let i = 0;
  return {
    name,
    side,
    prepare: async () => ({
      info: `${name} v1`,
      before: () => {
        log.push(`before ${name}`);
      },
      run: () => {
        log.push(name);
        const t = times[Math.min(i, times.length - 1)]!;
        i++;
        return { seconds: t, cpuSeconds: 2 * t };
      },
    }),
  };
}

describe('runCase', () => {
  it('warms up, interleaves rounds in rotating order, and summarises medians, IQR, CPU time, throughput and ratios', async () => {
    const log: string[] = [];
    // warm-up samples first (ignored), then the timed ones
    const ours = fake('ours', 'ours', [9, 9, 0.2, 0.1, 0.3, 5.0, 0.2], log);
    const peer = fake('peer', 'peer', [9, 9, 0.4, 0.4, 0.5, 0.3, 0.4], log);
    const r = await runCase({ id: 'x', title: 'x', work: { amount: 8, unit: 'GFLOP/s', scale: 1e9 / 1e9 }, reference: 'peer', contenders: [ours, peer] }, { warmup: 2, reps: 5, maxSecondsPerContender: 1e9 });
    const [o, p] = r.results;
    expect(o!.samples).toEqual([0.2, 0.1, 0.3, 5.0, 0.2]);
    expect(o!.stats!.median).toBe(0.2);
    expect(o!.stats!.iqr).toBeCloseTo(0.1, 12);
    expect(o!.cpuStats!.median).toBe(0.4);
    expect(o!.info).toBe('ours v1');
    expect(p!.stats!.median).toBe(0.4);
    expect(o!.throughput).toBeCloseTo(40, 12);
    expect(o!.speedVs).toEqual({ peer: 2 });
    expect(p!.speedVs).toBeUndefined();
    // warm-up of each, then rounds alternating which goes first
    const runs = log.filter((l) => !l.startsWith('before'));
    expect(runs).toEqual(['ours', 'ours', 'peer', 'peer', 'ours', 'peer', 'peer', 'ours', 'ours', 'peer', 'peer', 'ours', 'ours', 'peer']);
    expect(log.filter((l) => l.startsWith('before')).length).toBe(14);
  });

  it('reports a contender that cannot run, or that throws, as skipped with the reason', async () => {
    const log: string[] = [];
    const absent: Contender = { name: 'absent', side: 'peer', prepare: async () => ({ skipped: 'numpy is not installed' }) };
    const broken: Contender = { name: 'broken', side: 'ours', prepare: async () => ({ run: () => { throw new Error('kernel missing\nstack'); } }) };
    const r = await runCase({ id: 'y', title: 'y', contenders: [absent, broken, fake('ok', 'ours', [1], log)] }, { warmup: 1, reps: 3 });
    expect(r.results[0]).toMatchObject({ name: 'absent', skipped: 'numpy is not installed', samples: [] });
    expect(r.results[1]!.skipped).toBe('failed in warm-up: kernel missing');
    expect(r.results[2]!.stats!.n).toBe(3);
    expect(r.results[2]!.speedVs).toEqual({});
    const text = formatResults([r]);
    expect(text).toContain('skipped: numpy is not installed');
    expect(markdownResults([r]).split('\n')[0]).toBe('| case | system | side | median ms | IQR ms | CPU ms | n | throughput | ours/peer speed |');
  });

  it('cuts the repetitions of a slow contender to the time cap, but not below minReps', async () => {
    const log: string[] = [];
    const r = await runCase({ id: 'z', title: 'z', contenders: [fake('slow', 'ours', [4], log), fake('fast', 'peer', [0.001], log)] }, { warmup: 1, reps: 10, maxSecondsPerContender: 10, minReps: 3 });
    expect(r.results[0]!.samples.length).toBe(3);
    expect(r.results[1]!.samples.length).toBe(10);
  });

  it('stops between rounds when aborted', async () => {
    const log: string[] = [];
    const ac = new AbortController();
    ac.abort();
    await expect(runCase({ id: 'a', title: 'a', contenders: [fake('a', 'ours', [1], log)] }, { signal: ac.signal })).rejects.toThrow();
  });
});
