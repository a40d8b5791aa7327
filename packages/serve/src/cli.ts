import type { Command } from 'commander';
import { commandAction } from '@llm/core';
import type { BackendFactory } from './registry.js';

/** What the composer of the CLI can add to `llm serve`. */
export interface ServeCliOptions {
  /** Backend factories for the neural kinds (`native`, `onnx`, `gguf`), registered by `@llm/cli`. */
  factories?: readonly BackendFactory[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Register `llm serve`: start the OpenAI-compatible server until SIGINT/SIGTERM.
 *
 * `llm serve [--model NAME=PATH …] [--config FILE] [--port 8080] [--host 127.0.0.1] [--api-key KEY]`
 *
 * With no model given, it serves the model folders the tour wrote under `--artifacts`
 * (default `artifacts/tour`) whose backend kind has a factory, plus the built-in small models, and
 * says how to get or serve a trained model when there is none.
 */
export function register(program: Command, options: ServeCliOptions = {}): void {
  const cmd = program
    .command('serve')
    .description('serve models over an OpenAI-compatible HTTP API with a web chat at /')
    .option('--model <NAME=PATH>', 'serve a model (repeatable): an HF folder, an ONNX export folder, a .gguf file, ngram:austen or hashing:256', collect, [])
    .option('--config <file>', 'JSON config file (models, keys, limits)')
    .option('--port <n>', 'port (0 picks a free one)', '8080')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--api-key <key>', 'require this Bearer key on /v1/* (repeatable)', collect, [])
    .option('--rate-limit <rpm>', 'requests per minute per API key')
    .option('--rag <file>', 'answer /v1/rag/ask from the paragraphs of this text file (built-in extractive answerer)')
    .option('--rag-index <dir>', 'answer /v1/rag/ask from an @llm/rag knowledge base (built by `llm rag ingest`)')
    .option('--cors <origin>', 'allow this browser origin (repeatable; CORS is off by default)', collect, [])
    .option('--artifacts <dir>', 'where to look for the model the tour produced when no --model is given', 'artifacts/tour')
    .option('--log-level <level>', 'pino log level', 'info');
  commandAction(cmd, async (self: Command) => {
    const o = self.opts<{ model: string[]; config?: string; port: string; host: string; apiKey: string[]; rateLimit?: string; rag?: string; ragIndex?: string; cors: string[]; artifacts: string; logLevel: string }>();
    const { ConfigError } = await import('@llm/core');
    const { loadConfig, parseModelFlag } = await import('./config.js');
    const { startServer, DEFAULT_MODELS } = await import('./serve.js');
    const { findModels } = await import('./registry.js');
    const { builtinFactories } = await import('./builtin.js');
    const { basename, resolve } = await import('node:path');
    const config = o.config ? loadConfig(o.config) : {};
    const port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be an integer in 0..65535, got '${o.port}'`, { field: '--port' });
    const rpm = o.rateLimit === undefined ? undefined : Number(o.rateLimit);
    if (rpm !== undefined && !(Number.isInteger(rpm) && rpm > 0)) throw new ConfigError('--rate-limit must be a positive integer', { field: '--rate-limit' });
    let models = o.model.length > 0 ? o.model.map(parseModelFlag) : config.models;
    if (!models || models.length === 0) {
      const kinds = new Set([...builtinFactories, ...(options.factories ?? [])].map((f) => f.kind));
      const found = findModels(resolve(o.artifacts));
      const usable = found.filter((m) => kinds.has(m.kind));
      for (const m of found.filter((f) => !kinds.has(f.kind))) process.stderr.write(`found ${m.path} (${m.kind}) but no ${m.kind} backend is registered in this build; skipping it.\n`);
      const names = new Set<string>();
      models = [
        ...usable.map((m, i) => {
          let name = basename(m.path).replace(/\.gguf$/i, '');
          if (names.has(name)) name = `${name}-${i}`;
          names.add(name);
          return { name, path: m.path, kind: m.kind, ...(i === 0 ? { aliases: ['tour'] } : {}) };
        }),
        ...DEFAULT_MODELS,
      ];
      process.stderr.write(
        (usable.length > 0
          ? `no --model given: serving the tour's model${usable.length > 1 ? 's' : ''} from ${o.artifacts} (${usable.map((m) => basename(m.path)).join(', ')}) and the built-in small models.\n`
          : `no --model given and no trained model in ${o.artifacts} (run \`llm tour\` to train one): serving the built-in small models (${DEFAULT_MODELS.map((m) => m.name).join(', ')}).\n`) +
          'To serve a trained model: llm serve --model NAME=PATH (an HF folder with config.json + model.safetensors, an ONNX export folder, or a .gguf file).\n',
      );
    }
    const apiKeys = [...(config.apiKeys ?? []), ...o.apiKey.map((key) => ({ key, requestsPerMinute: rpm }))];
    const ac = new AbortController();
    let kbAnswerer: import('./rag-kb.js').KnowledgeBaseAnswerer | undefined;
    if (o.ragIndex) {
      const { KnowledgeBaseAnswerer } = await import('./rag-kb.js');
      kbAnswerer = await KnowledgeBaseAnswerer.open(o.ragIndex);
    }
    const server = await startServer({
      ...(kbAnswerer ? { rag: kbAnswerer } : {}),
      ...config,
      factories: options.factories,
      models,
      host: self.getOptionValueSource('host') === 'default' ? (config.host ?? o.host) : o.host,
      port: self.getOptionValueSource('port') === 'default' ? (config.port ?? port) : port,
      apiKeys,
      corsOrigins: o.cors.length > 0 ? o.cors : config.corsOrigins,
      ragFile: o.rag ?? config.ragFile,
      logLevel: self.getOptionValueSource('logLevel') === 'default' ? (config.logLevel ?? o.logLevel) : o.logLevel,
      signal: ac.signal,
    });
    if (kbAnswerer) {
      kbAnswerer.resolveModel = (name) => {
        const m = server.registry.get(name);
        return m && m.type === 'chat' ? m.model : undefined;
      };
    }
    process.stderr.write(`serving ${server.registry.names().join(', ')} at ${server.url}/v1 (web chat: ${server.url}/)\n`);
    const t0 = Date.now();
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    kbAnswerer?.close();
    return {
      json: { url: server.url, models: server.registry.names(), uptimeSeconds: Math.round((Date.now() - t0) / 1000) },
      human: `stopped ${server.url} after ${Math.round((Date.now() - t0) / 1000)} s`,
    };
  });
}
