import type { Command } from 'commander';
import { commandAction } from '@llm/core';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Register `llm serve`: start the OpenAI-compatible server until SIGINT/SIGTERM.
 *
 * `llm serve [--model NAME=PATH …] [--config FILE] [--port 8080] [--host 127.0.0.1] [--api-key KEY]`
 */
export function register(program: Command): void {
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
    .option('--cors <origin>', 'allow this browser origin (repeatable; CORS is off by default)', collect, [])
    .option('--log-level <level>', 'pino log level', 'info');
  commandAction(cmd, async (self: Command) => {
    const o = self.opts<{ model: string[]; config?: string; port: string; host: string; apiKey: string[]; rateLimit?: string; rag?: string; cors: string[]; logLevel: string }>();
    const { ConfigError } = await import('@llm/core');
    const { loadConfig, parseModelFlag } = await import('./config.js');
    const { startServer, DEFAULT_MODELS } = await import('./serve.js');
    const config = o.config ? loadConfig(o.config) : {};
    const port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be an integer in 0..65535, got '${o.port}'`, { field: '--port' });
    const rpm = o.rateLimit === undefined ? undefined : Number(o.rateLimit);
    if (rpm !== undefined && !(Number.isInteger(rpm) && rpm > 0)) throw new ConfigError('--rate-limit must be a positive integer', { field: '--rate-limit' });
    const models = o.model.length > 0 ? o.model.map(parseModelFlag) : config.models;
    if (!models || models.length === 0) {
      process.stderr.write(`no --model or config models given: serving the built-in small models (${DEFAULT_MODELS.map((m) => m.name).join(', ')}).\n` +
        'To serve a trained model: llm serve --model NAME=PATH (an HF folder with config.json + model.safetensors, an ONNX export folder, or a .gguf file).\n');
    }
    const apiKeys = [...(config.apiKeys ?? []), ...o.apiKey.map((key) => ({ key, requestsPerMinute: rpm }))];
    const ac = new AbortController();
    const server = await startServer({
      ...config,
      models,
      host: self.getOptionValueSource('host') === 'default' ? (config.host ?? o.host) : o.host,
      port: self.getOptionValueSource('port') === 'default' ? (config.port ?? port) : port,
      apiKeys,
      corsOrigins: o.cors.length > 0 ? o.cors : config.corsOrigins,
      ragFile: o.rag ?? config.ragFile,
      logLevel: self.getOptionValueSource('logLevel') === 'default' ? (config.logLevel ?? o.logLevel) : o.logLevel,
      signal: ac.signal,
    });
    process.stderr.write(`serving ${server.registry.names().join(', ')} at ${server.url}/v1 (web chat: ${server.url}/)\n`);
    const t0 = Date.now();
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return {
      json: { url: server.url, models: server.registry.names(), uptimeSeconds: Math.round((Date.now() - t0) / 1000) },
      human: `stopped ${server.url} after ${Math.round((Date.now() - t0) / 1000)} s`,
    };
  });
}
