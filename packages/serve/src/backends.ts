import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendFactory } from './registry.js';

/**
 * The neural backends behind one interface: HF folders run natively on tfjs through
 * `@llm/transformer` (`native`), ONNX exports through onnxruntime-node (`onnx`), and GGUF files
 * through node-llama-cpp via `@llm/quant` (`gguf`). Each is imported only when a model of its kind
 * is loaded, so the server starts fast and works without the ones it does not use.
 */

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** HF-layout folders (`config.json` + `model.safetensors` or a sharded index), run on tfjs. */
export const nativeFactory: BackendFactory = {
  kind: 'native',
  detect: (path) => isDir(path) && existsSync(join(path, 'config.json')) && (existsSync(join(path, 'model.safetensors')) || existsSync(join(path, 'model.safetensors.index.json'))),
  async load(path) {
    const { initBackend } = await import('@llm/core');
    await initBackend();
    const { loadLanguageModel } = await import('@llm/transformer');
    return loadLanguageModel(path, { backend: 'tfjs' });
  },
};

/** Folders holding an ONNX export (`onnx/model.onnx`), run by onnxruntime-node. */
export const onnxFactory: BackendFactory = {
  kind: 'onnx',
  detect: (path) => isDir(path) && existsSync(join(path, 'onnx', 'model.onnx')),
  async load(path) {
    const { initBackend } = await import('@llm/core');
    await initBackend();
    const { loadLanguageModel } = await import('@llm/transformer');
    return loadLanguageModel(path, { backend: 'onnx' });
  },
};

/** GGUF files, validated by `@llm/quant` and run by node-llama-cpp (2 threads). */
export const ggufFactory: BackendFactory = {
  kind: 'gguf',
  detect: (path) => /\.gguf$/i.test(path) && existsSync(path),
  async load(path) {
    const { LlamaCppModel } = await import('@llm/quant');
    return LlamaCppModel.load(path, { threads: 2 });
  },
};

/** The neural factories, in detection order (ONNX before native: an export folder has both). */
export const neuralFactories: readonly BackendFactory[] = [onnxFactory, nativeFactory, ggufFactory];
