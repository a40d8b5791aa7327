import { describe, expect, it, afterEach } from 'vitest';
import { BackendError, ConfigError } from '../errors.js';
import { tf } from './tf.js';
import { backendReport, defaultCandidates, initBackend, parseBackendList, useBackend, type BackendCandidate } from './select.js';

const saved = process.env.LLM_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.LLM_BACKEND;
  else process.env.LLM_BACKEND = saved;
});

/** The real candidates with node-gpu and node replaced by loaders that fail the ways real ones do. */
function brokenNative(): BackendCandidate[] {
  const real = defaultCandidates();
  return [
    { name: 'node-gpu', tfName: 'tensorflow', load: async () => { throw Object.assign(new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory'), { code: 'ERR_DLOPEN_FAILED' }); } },
    { name: 'node', tfName: 'tensorflow', load: async () => { /* "loads" but registers no backend, like a half-installed package */ } },
    ...real.filter((c) => c.name === 'wasm' || c.name === 'cpu'),
  ];
}

describe('backend selection', () => {
  it('falls back past broken native backends to wasm and says why', async () => {
    delete process.env.LLM_BACKEND;
    const r = await initBackend({ candidates: brokenNative(), force: true });
    expect(r.active).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const byName = Object.fromEntries(r.attempts.map((a) => [a.name, a]));
    expect(byName['node-gpu']!.reason).toBe('ERR_DLOPEN_FAILED: libcudart.so.11.0: cannot open shared object file: No such file or directory');
    expect(byName['node']!.reason).toMatch(/registered no 'tensorflow' backend/);
    expect(r.extraKernels).toContain('UnsortedSegmentSum');
    expect(backendReport()).toBe(r);
  });

  it('reports optional packages that are not installed as such', async () => {
    delete process.env.LLM_BACKEND;
    const r = await initBackend({ force: true });
    for (const a of r.attempts.filter((x) => x.name === 'node' || x.name === 'node-gpu')) {
      if (!a.ok) expect(a.reason).toBeTruthy();
    }
    expect(['node-gpu', 'node', 'wasm']).toContain(r.active);
  });

  it('falls back to cpu when wasm fails too', async () => {
    const failing: BackendCandidate[] = brokenNative().map((c) => (c.name === 'wasm' ? { ...c, load: async () => { throw new Error('wasm blocked'); } } : c));
    const r = await initBackend({ candidates: failing, force: true });
    expect(r.active).toBe('cpu');
    expect(r.attempts.find((a) => a.name === 'wasm')!.reason).toBe('wasm blocked');
  });

  it('throws a BackendError listing every reason when nothing works', async () => {
    const none: BackendCandidate[] = brokenNative().map((c) => ({ ...c, load: async () => { throw new Error(`${c.name} down`); } }));
    await expect(initBackend({ candidates: none, force: true })).rejects.toThrow(BackendError);
    await expect(initBackend({ candidates: none, force: true })).rejects.toThrow(/wasm: wasm down; cpu: cpu down/);
  });

  it('honours LLM_BACKEND and the API override', async () => {
    process.env.LLM_BACKEND = 'cpu';
    const r = await initBackend({ force: true });
    expect(r.active).toBe('cpu');
    expect(r.chosenBy).toBe('LLM_BACKEND');
    expect(r.attempts.find((a) => a.name === 'wasm')!.reason).toMatch(/not requested/);
    const w = await useBackend('wasm');
    expect(w.active).toBe('wasm');
    expect(w.chosenBy).toBe('api');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects unknown backend names', () => {
    expect(parseBackendList('wasm, cpu')).toEqual(['wasm', 'cpu']);
    expect(() => parseBackendList('webgpu')).toThrow(ConfigError);
  });
});
