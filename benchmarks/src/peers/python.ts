import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Contender, Runner } from '../harness.js';

/**
 * Peers in Python (numpy's OpenBLAS SGEMM, PyTorch): a long-lived worker process
 * (`python/peer_worker.py`) per thread configuration, driven over JSON lines. The worker
 * times each repetition itself, so process start-up and IPC are not counted.
 */

/** The interpreter with Debian's python3-numpy and python3-torch (`LLM_BENCH_PYTHON` overrides). */
export function pythonPath(): string {
  return process.env.LLM_BENCH_PYTHON ?? '/usr/bin/python3';
}

function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const tries = [join(here, '..', 'python', 'peer_worker.py'), join(here, '..', '..', 'python', 'peer_worker.py')];
  const found = tries.find((p) => existsSync(p));
  if (!found) throw new Error(`peer_worker.py not found (looked in ${tries.join(', ')})`);
  return found;
}

interface Reply {
  ok: boolean;
  info?: string;
  seconds?: number;
  cpu_seconds?: number;
  error?: string;
}

/** A running worker. */
export class PythonWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(r: Reply) => void> = [];
  private stderr = '';
  private exited: string | undefined;

  constructor(lib: 'numpy' | 'torch', env: Record<string, string>, torchThreads = 1) {
    this.child = spawn(pythonPath(), [workerScript(), '--lib', lib, '--torch-threads', String(torchThreads)], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    const lines = createInterface({ input: this.child.stdout });
    lines.on('line', (line) => {
      const w = this.waiting.shift();
      if (!w) return;
      try {
        w(JSON.parse(line) as Reply);
      } catch {
        w({ ok: false, error: `bad reply: ${line.slice(0, 200)}` });
      }
    });
    const fail = (why: string) => {
      this.exited = why;
      while (this.waiting.length) this.waiting.shift()!({ ok: false, error: `${why}${this.stderr ? `: ${this.stderr.trim().split('\n').pop()}` : ''}` });
    };
    this.child.on('error', (err) => fail(`cannot start ${pythonPath()} (${err.message})`));
    this.child.on('exit', (code) => fail(`python exited with code ${code}`));
  }

  /** Send one message and wait for its reply. */
  request(msg: Record<string, unknown>): Promise<Reply> {
    if (this.exited) return Promise.resolve({ ok: false, error: this.exited });
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** Ask the worker to quit and wait for it. */
  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.write(`${JSON.stringify({ op: 'quit' })}\n`);
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill(), 5000);
    await done;
    clearTimeout(timer);
  }
}

/** Thread setup of a Python peer. */
export interface PythonPeerConfig {
  name: string;
  lib: 'numpy' | 'torch';
  /** OPENBLAS_NUM_THREADS for the worker. */
  blasThreads: number;
  /** torch.set_num_threads (torch only). */
  torchThreads?: number;
}

/** A harness contender running `workload` with `params` in a Python worker. */
export function pythonContender(cfg: PythonPeerConfig, workload: string, params: Record<string, number>): Contender {
  return {
    name: cfg.name,
    side: 'peer',
    prepare: async () => {
      if (!existsSync(pythonPath())) return { skipped: `${pythonPath()} not found` };
      // Idle peers must not spin between repetitions while another contender is timed:
      // OpenBLAS threads busy-wait ~2^28 cycles after a call by default, OpenMP threads too.
      const env = {
        OPENBLAS_NUM_THREADS: String(cfg.blasThreads),
        OMP_NUM_THREADS: String(cfg.torchThreads ?? cfg.blasThreads),
        OPENBLAS_THREAD_TIMEOUT: '4',
        OMP_WAIT_POLICY: 'PASSIVE',
      };
      const worker = new PythonWorker(cfg.lib, env, cfg.torchThreads ?? 1);
      const r = await worker.request({ op: 'setup', workload, ...params });
      if (!r.ok) {
        await worker.close();
        return { skipped: r.error?.includes('No module named') ? `${cfg.lib} is not installed for ${pythonPath()} (${r.error})` : `setup failed: ${r.error}` };
      }
      const runner: Runner = {
        info: r.info,
        run: async () => {
          const x = await worker.request({ op: 'run' });
          if (!x.ok || typeof x.seconds !== 'number') throw new Error(x.error ?? 'no timing');
          return { seconds: x.seconds, cpuSeconds: x.cpu_seconds };
        },
        dispose: () => worker.close(),
      };
      return runner;
    },
  };
}
