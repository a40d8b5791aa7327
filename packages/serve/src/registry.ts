import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, NotFoundError, type Embedder, type LanguageModel } from '@llm/core';
import { EmbeddingBatcher } from './batcher.js';
import { ModelQueue } from './scheduler.js';

/** Backend kinds the server knows by name. `native`, `onnx` and `gguf` are wired by `@llm/cli`. */
export type BackendKind = 'native' | 'onnx' | 'gguf' | 'ngram' | 'hashing' | (string & {});

/** Options handed to {@link BackendFactory.load}. */
export interface BackendLoadOptions {
  /** The served name of the model. */
  name: string;
  signal?: AbortSignal;
}

/**
 * Loads one kind of model from a path. The server ships factories for its built-in small models
 * (`ngram`, `hashing`); the neural backends (`native` HF folders through `@llm/transformer`,
 * `onnx` exports, `gguf` files through `@llm/quant`) are registered by whoever composes the server.
 */
export interface BackendFactory {
  readonly kind: BackendKind;
  /** Whether this factory recognises `path` (used when a model is given without a kind). */
  detect?(path: string): boolean;
  load(path: string, options: BackendLoadOptions): Promise<LanguageModel | Embedder>;
}

/** How to serve one model (a config file entry or a `--model NAME=PATH` flag). */
export interface ModelSpec {
  /** Name clients send as `model`. */
  name: string;
  /** Folder, file, or a built-in spec such as `ngram:austen` or `hashing:256`. */
  path: string;
  /** Backend kind; guessed from the path when absent. */
  kind?: BackendKind;
  /** Other names for the same model. */
  aliases?: string[];
  /** Requests (chat) or batches (embeddings) running at once. Default 2. */
  maxConcurrency?: number;
  /** Requests waiting at most before 429. Default 64. */
  maxQueue?: number;
  /** Per-request timeout in ms (queue wait included). Default: the server's. */
  timeoutMs?: number;
  /** Embedding models: texts per batch at most. Default: the embedder's maxBatchSize. */
  maxBatch?: number;
  /** Embedding models: how long a batch waits for more requests, in ms. Default 5. */
  maxWaitMs?: number;
}

interface ServedBase {
  name: string;
  kind: BackendKind;
  path: string;
  aliases: string[];
  queue: ModelQueue;
  timeoutMs?: number;
  /** Unix seconds when loaded. */
  created: number;
}

/** A served language model. */
export interface ServedLanguageModel extends ServedBase {
  type: 'chat';
  model: LanguageModel;
}

/** A served embedder with its batcher. */
export interface ServedEmbedder extends ServedBase {
  type: 'embedding';
  embedder: Embedder;
  batcher: EmbeddingBatcher;
}

/** Either kind of served model. */
export type ServedModel = ServedLanguageModel | ServedEmbedder;

/** Hooks the registry calls so the server can keep metrics. */
export interface RegistryHooks {
  onQueueChange?: (model: string, waiting: number, running: number) => void;
  onBatch?: (model: string, texts: number, requests: number) => void;
}

function isEmbedder(m: LanguageModel | Embedder): m is Embedder {
  return typeof (m as Embedder).embed === 'function' && typeof (m as Embedder).dimension === 'number';
}

/** Guess a backend kind from a path: `kind:rest` specs, `.gguf` files, ONNX export folders, HF folders. */
export function guessKind(path: string): BackendKind | undefined {
  const m = /^([a-z][a-z0-9-]*):(?![\\/])/.exec(path);
  if (m && m[1]!.length > 1) return m[1]!;
  if (/\.gguf$/i.test(path)) return 'gguf';
  if (existsSync(path) && statSync(path).isDirectory()) {
    if (existsSync(join(path, 'onnx', 'model.onnx')) || existsSync(join(path, 'model.onnx'))) return 'onnx';
    if (existsSync(join(path, 'config.json'))) return 'native';
  }
  return undefined;
}

/**
 * The models a server serves: loaded through {@link BackendFactory}s, looked up by name or alias,
 * each with its own admission queue (and, for embedders, a dynamic batcher).
 */
export class ModelRegistry {
  private readonly factories = new Map<string, BackendFactory>();
  private readonly byName = new Map<string, ServedModel>();
  private readonly models: ServedModel[] = [];
  private readonly hooks: RegistryHooks;

  constructor(factories: readonly BackendFactory[] = [], hooks: RegistryHooks = {}) {
    for (const f of factories) this.registerFactory(f);
    this.hooks = hooks;
  }

  /** Add (or replace) the factory for a kind. */
  registerFactory(factory: BackendFactory): this {
    this.factories.set(factory.kind, factory);
    return this;
  }

  /** Kinds with a factory. */
  kinds(): string[] {
    return [...this.factories.keys()];
  }

  /** Load a model from its spec through the factory of its kind and serve it. */
  async load(spec: ModelSpec, signal?: AbortSignal): Promise<ServedModel> {
    const kind = spec.kind ?? this.detect(spec.path);
    const factory = this.factories.get(kind);
    if (!factory) {
      const hint = kind === 'native' || kind === 'onnx' || kind === 'gguf'
        ? ` (the ${kind} backend is registered by @llm/cli once @llm/${kind === 'gguf' ? 'quant' : 'transformer'} is installed)`
        : '';
      throw new ConfigError(`model '${spec.name}': no backend for kind '${kind}'${hint}; available: ${this.kinds().join(', ') || 'none'}`, { field: `models.${spec.name}.kind` });
    }
    const path = /^[a-z][a-z0-9-]+:/.test(spec.path) ? spec.path : resolve(spec.path);
    const loaded = await factory.load(path, { name: spec.name, signal });
    return this.add(spec, loaded, kind);
  }

  /** Serve an already-loaded model under `spec.name` (its `path` is informational). */
  add(spec: ModelSpec, loaded: LanguageModel | Embedder, kind: BackendKind = spec.kind ?? 'custom'): ServedModel {
    const names = [spec.name, ...(spec.aliases ?? [])];
    for (const n of names) {
      if (!n || n.length > 256) throw new ConfigError(`bad model name '${n}'`, { field: 'models.name' });
      if (this.byName.has(n)) throw new ConfigError(`model name '${n}' is used twice`, { field: `models.${spec.name}` });
    }
    const hooks = this.hooks;
    const queue = new ModelQueue({
      maxConcurrency: spec.maxConcurrency ?? 2,
      maxQueue: spec.maxQueue ?? 64,
      onChange: (waiting, running) => hooks.onQueueChange?.(spec.name, waiting, running),
    });
    const base = { name: spec.name, kind, path: spec.path, aliases: spec.aliases ?? [], queue, timeoutMs: spec.timeoutMs, created: Math.floor(Date.now() / 1000) };
    const served: ServedModel = isEmbedder(loaded)
      ? { ...base, type: 'embedding', embedder: loaded, batcher: new EmbeddingBatcher(loaded, { maxBatch: spec.maxBatch, maxWaitMs: spec.maxWaitMs, queue, onBatch: (t, r) => hooks.onBatch?.(spec.name, t, r) }) }
      : { ...base, type: 'chat', model: loaded };
    for (const n of names) this.byName.set(n, served);
    this.models.push(served);
    hooks.onQueueChange?.(spec.name, 0, 0);
    return served;
  }

  /** The model served under a name or alias, or undefined. */
  get(name: string): ServedModel | undefined {
    return this.byName.get(name);
  }

  /** Like {@link get}, but throws a {@link NotFoundError}. */
  require(name: string): ServedModel {
    const m = this.byName.get(name);
    if (!m) throw new NotFoundError(`model '${name}' is not served; served: ${[...this.byName.keys()].join(', ')}`);
    return m;
  }

  /** Every served model, in load order. */
  list(): readonly ServedModel[] {
    return this.models;
  }

  /** Every name and alias. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  private detect(path: string): BackendKind {
    for (const f of this.factories.values()) if (f.detect?.(path)) return f.kind;
    const k = guessKind(path);
    if (!k) throw new ConfigError(`cannot tell what kind of model '${path}' is: expected an HF folder (config.json), an ONNX export folder (onnx/model.onnx), a .gguf file, or ngram:<dataset|file> / hashing:<dimension>`, { file: path });
    return k;
  }
}

/**
 * Model folders and files under `dir` (depth ≤ 3): HF folders (`config.json` + `model.safetensors`),
 * ONNX export folders and `.gguf` files, with their guessed kind. Used to find the model the tour
 * produced (`artifacts/tour`). A missing `dir` gives an empty list.
 */
/** `model_type`s of HF folders that can be served as language models. */
export const SERVABLE_MODEL_TYPES: ReadonlySet<string> = new Set(['gpt2', 'llama', 'mistral', 't5']);

function modelTypeOf(dir: string): string | undefined {
  try {
    const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { model_type?: unknown };
    return typeof raw.model_type === 'string' ? raw.model_type : undefined;
  } catch {
    return undefined;
  }
}

export function findModels(dir: string, depth = 3): Array<{ path: string; kind: BackendKind }> {
  const out: Array<{ path: string; kind: BackendKind }> = [];
  const walk = (d: string, left: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    if (names.has('config.json') && (names.has('model.safetensors') || names.has('model.safetensors.index.json') || names.has('onnx'))) {
      const kind = guessKind(d);
      // Only language models can be served as chat/completions models: skip classifiers, encoders.
      if (kind && SERVABLE_MODEL_TYPES.has(modelTypeOf(d) ?? '')) out.push({ path: d, kind });
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isFile() && /\.gguf$/i.test(e.name)) out.push({ path: join(d, e.name), kind: 'gguf' });
      else if (e.isDirectory() && left > 0 && !e.name.startsWith('.') && e.name !== 'node_modules') walk(join(d, e.name), left - 1);
    }
  };
  walk(dir, depth);
  return out;
}
