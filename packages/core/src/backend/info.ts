import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { tf } from './tf.js';
import { initBackend, type BackendReport } from './select.js';
import { nativeStatus, type NativeStatus } from './native.js';

/** The result of {@link matmulProbe}. */
export interface MatmulProbe {
  size: number;
  iterations: number;
  seconds: number;
  gflops: number;
}

/** Multiply two n×n float32 matrices on the active backend for about `seconds` and report GFLOP/s. */
export async function matmulProbe(options: { size?: number; seconds?: number } = {}): Promise<MatmulProbe> {
  await initBackend();
  const n = options.size ?? 512;
  const budget = (options.seconds ?? 2) * 1000;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  try {
    const warm = tf.matMul(a, b);
    await warm.data();
    warm.dispose();
    let iterations = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < budget) {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
      iterations++;
    }
    const seconds = (performance.now() - t0) / 1000;
    return { size: n, iterations, seconds, gflops: (2 * n ** 3 * iterations) / seconds / 1e9 };
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** What `llm info` reports about the runtime. */
export interface RuntimeInfo {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  backend: BackendReport;
  /** Threads the active backend uses for a kernel (wasm in Node runs single-threaded; native uses its pool). */
  backendThreads: number;
  tfjsVersion: string;
  /** The native kernel pack: whether it loaded, its microkernel and threads, or why not. */
  native: NativeStatus;
}

/** Runtime facts for `llm info`. */
export async function runtimeInfo(): Promise<RuntimeInfo> {
  const backend = await initBackend();
  const c = cpus();
  const native = nativeStatus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    backend,
    backendThreads: backend.tfName === 'tensorflow' ? c.length : backend.tfName === 'native' ? (native.threads ?? 1) : 1,
    tfjsVersion: tf.version_core,
    native,
  };
}

const TF_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

/** Versions of the tfjs packages as @llm/core resolves them (null when not installed). */
export function backendPackageVersions(): Record<string, string | null> {
  const req = createRequire(import.meta.url);
  const out: Record<string, string | null> = {};
  for (const p of TF_PACKAGES) {
    try {
      out[p] = (req(`${p}/package.json`) as { version: string }).version;
    } catch {
      out[p] = null;
    }
  }
  return out;
}
