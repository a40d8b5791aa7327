import { createRequire } from 'node:module';
import { BackendError, ConfigError } from '../errors.js';
import { tf } from './tf.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';
import { registerMissingGradients } from './gradients.js';

/**
 * Backend selection: `node-gpu` (@tensorflow/tfjs-node-gpu) → `node` (@tensorflow/tfjs-node)
 * → `wasm` → `cpu`. The native packages are optional peers, loaded at run time; every kind of
 * load failure (not installed, missing libtensorflow, no CUDA driver) is caught and reported.
 * `LLM_BACKEND` or {@link initBackend}'s `prefer` overrides the order.
 */

/** Names of the backends this workspace knows, in default preference order. */
export const BACKEND_ORDER = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
/** A backend name. */
export type BackendName = (typeof BACKEND_ORDER)[number];

/** How one candidate fared. */
export interface BackendAttempt {
  name: BackendName;
  /** tfjs's own name for it (`tensorflow`, `wasm`, `cpu`). */
  tfName: string;
  ok: boolean;
  /** Why it was skipped or failed (absent when chosen). */
  reason?: string;
}

/** The outcome of {@link initBackend}. */
export interface BackendReport {
  active: BackendName;
  tfName: string;
  attempts: BackendAttempt[];
  /** Kernels @llm/core registered on the active backend. */
  extraKernels: string[];
  /** What chose the order: `default`, `LLM_BACKEND` or `api`. */
  chosenBy: 'default' | 'LLM_BACKEND' | 'api';
}

/** A way to load one backend; `load` throws when it cannot be used. Injectable for tests. */
export interface BackendCandidate {
  name: BackendName;
  tfName: string;
  load: () => Promise<void>;
}

const require_ = createRequire(import.meta.url);

function loadOptional(pkg: string): () => Promise<void> {
  return async () => {
    // require() rather than import(): bundlers must not try to resolve these optional peers.
    require_(pkg);
  };
}

/** The real candidates, in preference order. */
export function defaultCandidates(): BackendCandidate[] {
  return [
    { name: 'node-gpu', tfName: 'tensorflow', load: loadOptional('@tensorflow/tfjs-node-gpu') },
    { name: 'node', tfName: 'tensorflow', load: loadOptional('@tensorflow/tfjs-node') },
    { name: 'wasm', tfName: 'wasm', load: async () => undefined },
    { name: 'cpu', tfName: 'cpu', load: async () => undefined },
  ];
}

function isBackendName(s: string): s is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(s);
}

/** Parse a preference such as `wasm` or `node,wasm,cpu`. */
export function parseBackendList(value: string, source = 'LLM_BACKEND'): BackendName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!isBackendName(n)) throw new ConfigError(`${source}: unknown backend '${n}' (known: ${BACKEND_ORDER.join(', ')})`);
  }
  return names as BackendName[];
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const first = err.message.split('\n')[0] ?? '';
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return 'not installed';
    return code ? `${code}: ${first}` : first;
  }
  return String(err);
}

/** The cpu backend prints an "install tfjs-node" banner on first use; @llm/core reports backends itself. */
function silenceCpuBanner(): void {
  try {
    const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
    if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
  } catch { /* cpu backend unavailable: nothing to silence */ }
}

let current: BackendReport | undefined;
let pending: Promise<BackendReport> | undefined;

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /** Backends to try, in order (overrides `LLM_BACKEND`). */
  prefer?: BackendName | readonly BackendName[];
  /** Replace the loaders (tests simulate broken backends this way). */
  candidates?: readonly BackendCandidate[];
  /** Re-select even if a backend was already chosen. */
  force?: boolean;
}

async function select(options: InitBackendOptions): Promise<BackendReport> {
  registerMissingGradients();
  let chosenBy: BackendReport['chosenBy'] = 'default';
  let order: BackendName[] = [...BACKEND_ORDER];
  if (options.prefer !== undefined) {
    order = typeof options.prefer === 'string' ? [options.prefer] : [...options.prefer];
    chosenBy = 'api';
  } else if (process.env.LLM_BACKEND) {
    order = parseBackendList(process.env.LLM_BACKEND);
    chosenBy = 'LLM_BACKEND';
  }
  const candidates = options.candidates ?? defaultCandidates();
  const attempts: BackendAttempt[] = [];
  for (const c of candidates) {
    if (!order.includes(c.name)) attempts.push({ name: c.name, tfName: c.tfName, ok: false, reason: `not requested (${chosenBy === 'default' ? 'default order' : chosenBy})` });
  }
  for (const name of order) {
    const c = candidates.find((x) => x.name === name);
    if (!c) {
      attempts.push({ name, tfName: '?', ok: false, reason: 'no loader' });
      continue;
    }
    try {
      await c.load();
      if (!tf.findBackendFactory(c.tfName)) throw new Error(`package loaded but registered no '${c.tfName}' backend`);
      const extra = c.tfName === 'wasm' ? registerWasmTrainingKernels() : [];
      const ok = await tf.setBackend(c.tfName);
      if (!ok) throw new Error(`tfjs could not initialise '${c.tfName}'`);
      await tf.ready();
      silenceCpuBanner();
      attempts.push({ name, tfName: c.tfName, ok: true });
      return { active: name, tfName: c.tfName, attempts, extraKernels: extra, chosenBy };
    } catch (err) {
      attempts.push({ name, tfName: c.tfName, ok: false, reason: describe(err) });
    }
  }
  throw new BackendError(`no tensor backend could be initialised: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`);
}

/**
 * Choose and initialise the tensor backend (idempotent: later calls return the first report
 * unless `force` is set). Every package calls this before using tensors.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendReport> {
  if (!options.force && options.prefer === undefined && options.candidates === undefined) {
    if (current) return current;
    if (pending) return pending;
  }
  pending = select(options);
  try {
    current = await pending;
    return current;
  } finally {
    pending = undefined;
  }
}

/** Switch to a named backend (the API override). */
export async function useBackend(name: BackendName): Promise<BackendReport> {
  return initBackend({ prefer: name, force: true });
}

/** The report of the last successful {@link initBackend}, if any. */
export function backendReport(): BackendReport | undefined {
  return current;
}
