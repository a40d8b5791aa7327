import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, parseJson } from '@llm/core';
import type { ModelSpec } from './registry.js';
import type { ApiKey } from './server.js';

/** The server's config file (JSON). Every field is optional; flags override it. */
export interface ServeConfig {
  host?: string;
  port?: number;
  /** Models to serve. */
  models?: ModelSpec[];
  apiKeys?: ApiKey[];
  corsOrigins?: string[];
  bodyLimit?: number;
  requestTimeoutMs?: number;
  defaultMaxTokens?: number;
  /** Text file whose paragraphs the built-in extractive RAG answers from. */
  ragFile?: string;
  /** Embedding model (served name) for RAG. Default: the first embedding model. */
  ragEmbedding?: string;
  /** pino log level. Default `info`. */
  logLevel?: string;
}

type Check = (v: unknown) => boolean;
const isStr: Check = (v) => typeof v === 'string' && v.length > 0;
const isPosInt: Check = (v) => Number.isInteger(v) && (v as number) > 0;
const isNonNegInt: Check = (v) => Number.isInteger(v) && (v as number) >= 0;

function need(ok: boolean, file: string, field: string, what: string): void {
  if (!ok) throw new ConfigError(`${field} must be ${what}`, { file, field });
}

/** Validate a parsed config object; paths are resolved against `baseDir`. */
export function validateConfig(raw: unknown, file = '<config>', baseDir = process.cwd()): ServeConfig {
  need(typeof raw === 'object' && raw !== null && !Array.isArray(raw), file, '$', 'an object');
  const c = raw as Record<string, unknown>;
  const known = new Set(['host', 'port', 'models', 'apiKeys', 'corsOrigins', 'bodyLimit', 'requestTimeoutMs', 'defaultMaxTokens', 'ragFile', 'ragEmbedding', 'logLevel', '$schema']);
  for (const k of Object.keys(c)) if (!known.has(k)) throw new ConfigError(`unknown field '${k}'; known: ${[...known].join(', ')}`, { file, field: k });
  if (c.host !== undefined) need(isStr(c.host), file, 'host', 'a string');
  if (c.port !== undefined) need(isNonNegInt(c.port) && (c.port as number) < 65536, file, 'port', 'an integer in 0..65535');
  for (const k of ['bodyLimit', 'requestTimeoutMs', 'defaultMaxTokens'] as const) if (c[k] !== undefined) need(isPosInt(c[k]), file, k, 'a positive integer');
  for (const k of ['ragFile', 'ragEmbedding', 'logLevel'] as const) if (c[k] !== undefined) need(isStr(c[k]), file, k, 'a string');
  const out: ServeConfig = { ...(c as ServeConfig) };
  if (c.models !== undefined) {
    need(Array.isArray(c.models), file, 'models', 'an array');
    out.models = (c.models as unknown[]).map((m, i) => {
      const f = `models[${i}]`;
      need(typeof m === 'object' && m !== null, file, f, 'an object');
      const s = m as Record<string, unknown>;
      need(isStr(s.name), file, `${f}.name`, 'a non-empty string');
      need(isStr(s.path), file, `${f}.path`, 'a non-empty string');
      if (s.kind !== undefined) need(isStr(s.kind), file, `${f}.kind`, 'a string');
      if (s.aliases !== undefined) need(Array.isArray(s.aliases) && (s.aliases as unknown[]).every(isStr), file, `${f}.aliases`, 'an array of strings');
      for (const k of ['maxConcurrency', 'timeoutMs', 'maxBatch'] as const) if (s[k] !== undefined) need(isPosInt(s[k]), file, `${f}.${k}`, 'a positive integer');
      for (const k of ['maxQueue', 'maxWaitMs'] as const) if (s[k] !== undefined) need(isNonNegInt(s[k]), file, `${f}.${k}`, 'a non-negative integer');
      const path = s.path as string;
      const resolved = /^[a-z][a-z0-9-]+:/.test(path) || isAbsolute(path) ? path : resolve(baseDir, path);
      return { ...(s as unknown as ModelSpec), path: resolved };
    });
  }
  if (c.apiKeys !== undefined) {
    need(Array.isArray(c.apiKeys), file, 'apiKeys', 'an array');
    (c.apiKeys as unknown[]).forEach((k, i) => {
      need(typeof k === 'object' && k !== null && isStr((k as ApiKey).key), file, `apiKeys[${i}].key`, 'a non-empty string');
      const rpm = (k as ApiKey).requestsPerMinute;
      if (rpm !== undefined) need(isPosInt(rpm), file, `apiKeys[${i}].requestsPerMinute`, 'a positive integer');
    });
  }
  if (c.corsOrigins !== undefined) need(Array.isArray(c.corsOrigins) && (c.corsOrigins as unknown[]).every(isStr), file, 'corsOrigins', 'an array of origins');
  if (out.ragFile && !isAbsolute(out.ragFile)) out.ragFile = resolve(baseDir, out.ragFile);
  return out;
}

/** Read and validate a JSON config file. */
export function loadConfig(file: string): ServeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file: ${(err as Error).message}`, { file });
  }
  return validateConfig(parseJson(text, { file }), file, dirname(resolve(file)));
}

/** Parse `NAME=PATH` (or `NAME=KIND:PATH` for built-ins such as `austen=ngram:austen`). */
export function parseModelFlag(flag: string): ModelSpec {
  const i = flag.indexOf('=');
  if (i <= 0 || i === flag.length - 1) throw new ConfigError(`--model expects NAME=PATH, got '${flag}'`, { field: '--model' });
  return { name: flag.slice(0, i), path: flag.slice(i + 1) };
}
