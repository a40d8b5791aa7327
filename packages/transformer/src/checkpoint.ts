/**
 * Hugging Face checkpoint folders: `config.json` plus `model.safetensors`, or shards listed in
 * `model.safetensors.index.json` (`{"weight_map": {name: file}}`). Tensors are read lazily
 * through `SafetensorsFile` (only the header at open, each tensor when asked for) and converted
 * to float32 (F16/BF16/F64 checkpoints load too). Writing goes through `writeSafetensors` and
 * `writeJsonAtomic`, so a crash never leaves a half-written file.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConfigError,
  FormatError,
  NotFoundError,
  SafetensorsFile,
  toFloat32,
  writeJsonAtomic,
  writeSafetensors,
  type SafeTensor,
} from '@llm/core';

/** A float32 tensor in host memory. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Read and parse `dir/config.json` as an object. */
export async function readHfConfig(dir: string): Promise<{ config: Record<string, unknown>; file: string }> {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('no config.json in the model folder', { file }, { cause: err });
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FormatError('config.json', `not valid JSON (${(err as Error).message})`, { file }, { cause: err });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new FormatError('config.json', 'must be a JSON object', { file });
  return { config: json as Record<string, unknown>, file };
}

/** Typed accessors for config keys that name the key and file in their errors. */
export class ConfigReader {
  constructor(readonly raw: Record<string, unknown>, readonly file = 'config.json') {}

  private fail(key: string, msg: string): never {
    throw new ConfigError(`config key '${key}' ${msg}`, { file: this.file, field: key });
  }

  /** A positive integer (or non-negative with `min: 0`); `fallback` when absent or null. */
  int(key: string, fallback?: number, min = 1): number {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(key, 'is missing');
      return fallback;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(key, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A finite number. */
  num(key: string, fallback?: number): number {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(key, 'is missing');
      return fallback;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, `must be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A string, optionally one of `allowed`. */
  str<T extends string>(key: string, fallback?: T, allowed?: readonly T[]): T {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(key, 'is missing');
      return fallback;
    }
    if (typeof v !== 'string') this.fail(key, `must be a string, got ${JSON.stringify(v)}`);
    if (allowed && !allowed.includes(v as T)) this.fail(key, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  /** A boolean. */
  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** Token id(s): a number or array of numbers (HF allows both for `eos_token_id`). */
  ids(key: string): number[] {
    const v = this.raw[key];
    if (v === undefined || v === null) return [];
    const arr = Array.isArray(v) ? v : [v];
    if (!arr.every((x) => Number.isInteger(x) && (x as number) >= 0)) this.fail(key, `must be a token id or a list of ids, got ${JSON.stringify(v)}`);
    return arr as number[];
  }

  /** Check `a` divides evenly by `b` (e.g. hidden size by heads). */
  divisible(aKey: string, a: number, bKey: string, b: number): void {
    if (a % b !== 0) throw new ConfigError(`config key '${aKey}' (${a}) must be divisible by '${bKey}' (${b})`, { file: this.file, field: aKey });
  }
}

/** Lazy access to the tensors of a checkpoint folder (single file or sharded). */
export class CheckpointReader {
  private constructor(
    readonly dir: string,
    private readonly files: Map<string, SafetensorsFile>,
    private readonly where: Map<string, string>,
  ) {}

  /** Open `dir/model.safetensors` or the shards named in `dir/model.safetensors.index.json`. */
  static async open(dir: string): Promise<CheckpointReader> {
    const indexPath = join(dir, 'model.safetensors.index.json');
    const single = join(dir, 'model.safetensors');
    const files = new Map<string, SafetensorsFile>();
    const where = new Map<string, string>();
    const exists = async (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
    try {
      if (await exists(single)) {
        const f = await SafetensorsFile.open(single);
        files.set(single, f);
        for (const n of f.names) where.set(n, single);
      } else if (await exists(indexPath)) {
        let index: unknown;
        try {
          index = JSON.parse(await readFile(indexPath, 'utf8'));
        } catch (err) {
          throw new FormatError('model.safetensors.index.json', `not valid JSON (${(err as Error).message})`, { file: indexPath }, { cause: err });
        }
        const wm = (index as { weight_map?: unknown } | null)?.weight_map;
        if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) throw new FormatError('model.safetensors.index.json', 'missing object "weight_map"', { file: indexPath, field: 'weight_map' });
        for (const [name, shard] of Object.entries(wm as Record<string, unknown>)) {
          if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) throw new FormatError('model.safetensors.index.json', `weight_map["${name}"] must be a file name in the folder`, { file: indexPath, field: `weight_map.${name}` });
          const p = join(dir, shard);
          if (!files.has(p)) files.set(p, await SafetensorsFile.open(p));
          if (!files.get(p)!.names.includes(name)) throw new FormatError('model.safetensors.index.json', `tensor '${name}' is mapped to ${shard}, which does not contain it`, { file: indexPath, field: `weight_map.${name}` });
          where.set(name, p);
        }
      } else {
        throw new NotFoundError('no model.safetensors or model.safetensors.index.json in the model folder', { file: dir });
      }
    } catch (err) {
      for (const f of files.values()) await f.close();
      throw err;
    }
    return new CheckpointReader(dir, files, where);
  }

  /** Every tensor name in the checkpoint. */
  get names(): string[] {
    return [...this.where.keys()];
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  /** Shape of a tensor (header only). */
  shape(name: string): number[] {
    const p = this.where.get(name);
    if (!p) throw new NotFoundError(`checkpoint has no tensor '${name}'`, { file: this.dir, field: name });
    return this.files.get(p)!.info(name).shape;
  }

  /** Read one tensor from disk as float32. */
  async read(name: string): Promise<HostTensor> {
    const p = this.where.get(name);
    if (!p) throw new NotFoundError(`checkpoint has no tensor '${name}'`, { file: this.dir, field: name });
    const t: SafeTensor = await this.files.get(p)!.read(name);
    if (t.data instanceof Uint8Array && t.dtype !== 'U8' && t.dtype !== 'BOOL') throw new FormatError('safetensors', `tensor '${name}' has unexpected raw data`, { file: p, field: name });
    if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) throw new FormatError('safetensors', `tensor '${name}' has dtype ${t.dtype}; expected a float type`, { file: p, field: name });
    return { shape: [...t.shape], data: toFloat32(t.dtype, t.data as Parameters<typeof toFloat32>[1]) };
  }

  async close(): Promise<void> {
    for (const f of this.files.values()) await f.close();
  }
}

/** Options for {@link writeCheckpoint}. */
export interface WriteCheckpointOptions {
  /** Split into shards of at most this many bytes (HF's `max_shard_size`); default: one file. */
  maxShardBytes?: number;
}

/**
 * Write an HF folder: `config.json` and `model.safetensors`, or `model-0000i-of-0000n.safetensors`
 * shards plus `model.safetensors.index.json` when `maxShardBytes` is exceeded. Tensors are F32.
 */
export async function writeCheckpoint(dir: string, config: Record<string, unknown>, tensors: ReadonlyMap<string, HostTensor>, options: WriteCheckpointOptions = {}): Promise<string[]> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const entries = [...tensors.entries()];
  const toSafe = (t: HostTensor): SafeTensor => ({ dtype: 'F32', shape: t.shape, data: t.data });
  const total = entries.reduce((a, [, t]) => a + t.data.byteLength, 0);
  const max = options.maxShardBytes ?? Number.POSITIVE_INFINITY;
  const written: string[] = [];
  if (total <= max) {
    await writeSafetensors(join(dir, 'model.safetensors'), new Map(entries.map(([n, t]) => [n, toSafe(t)])), { format: 'pt' });
    written.push('model.safetensors');
  } else {
    const shards: Array<Array<[string, HostTensor]>> = [[]];
    let size = 0;
    for (const e of entries) {
      if (size + e[1].data.byteLength > max && shards[shards.length - 1]!.length > 0) {
        shards.push([]);
        size = 0;
      }
      shards[shards.length - 1]!.push(e);
      size += e[1].data.byteLength;
    }
    const n = shards.length;
    const weightMap: Record<string, string> = {};
    for (let i = 0; i < n; i++) {
      const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
      await writeSafetensors(join(dir, name), new Map(shards[i]!.map(([k, t]) => [k, toSafe(t)])), { format: 'pt' });
      for (const [k] of shards[i]!) weightMap[k] = name;
      written.push(name);
    }
    await writeJsonAtomic(join(dir, 'model.safetensors.index.json'), { metadata: { total_size: total }, weight_map: weightMap });
    written.push('model.safetensors.index.json');
  }
  await writeJsonAtomic(join(dir, 'config.json'), config);
  written.push('config.json');
  return written;
}
