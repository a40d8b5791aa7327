import { mkdir, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { readJson } from '../data/readers.js';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../formats/safetensors.js';
import { writeJsonAtomic } from './atomic.js';

/**
 * Training checkpoints that survive being killed at any moment: each checkpoint is a folder
 * `step-<n>/` holding `tensors.safetensors` (weights and optimizer slots) and `state.json`
 * (step, RNG position, config, metrics). Both are written atomically, then `latest.json` is
 * atomically pointed at the folder, so `latest()` only ever sees a complete checkpoint.
 */

/** What a checkpoint holds. */
export interface Checkpoint<S = Record<string, unknown>> {
  step: number;
  tensors: Record<string, SafeTensor>;
  /** JSON-serialisable training state: RNG position, epoch, best dev score, config… */
  state: S;
}

/** Options for {@link Checkpointer}. */
export interface CheckpointerOptions {
  /** How many recent checkpoints to keep (older ones are deleted after a save). Default 3. */
  keep?: number;
}

const LATEST = 'latest.json';
const stepDir = (step: number) => `step-${String(step).padStart(9, '0')}`;

/** Saves and restores checkpoints in one folder. */
export class Checkpointer<S = Record<string, unknown>> {
  readonly keep: number;

  constructor(readonly dir: string, options: CheckpointerOptions = {}) {
    this.keep = Math.max(1, options.keep ?? 3);
  }

  /** Write a checkpoint; returns its folder. */
  async save(ckpt: Checkpoint<S>): Promise<string> {
    if (!Number.isSafeInteger(ckpt.step) || ckpt.step < 0) throw new RangeError(`checkpoint step must be a non-negative integer, got ${ckpt.step}`);
    const name = stepDir(ckpt.step);
    const folder = join(this.dir, name);
    await mkdir(folder, { recursive: true });
    await writeSafetensors(join(folder, 'tensors.safetensors'), ckpt.tensors, { step: String(ckpt.step) });
    await writeJsonAtomic(join(folder, 'state.json'), { step: ckpt.step, state: ckpt.state });
    await writeJsonAtomic(join(this.dir, LATEST), { step: ckpt.step, folder: name });
    await this.prune(name);
    return folder;
  }

  /** The newest complete checkpoint, or undefined when there is none. */
  async latest(): Promise<Checkpoint<S> | undefined> {
    const pointer = join(this.dir, LATEST);
    if (!existsSync(pointer)) return undefined;
    const p = (await readJson(pointer)) as { step?: unknown; folder?: unknown };
    if (typeof p.folder !== 'string' || typeof p.step !== 'number') throw new FormatError('checkpoint', 'latest.json must hold {step, folder}', { file: pointer });
    return this.load(join(this.dir, p.folder));
  }

  /** Load the checkpoint in `folder`. */
  async load(folder: string): Promise<Checkpoint<S>> {
    const stateFile = join(folder, 'state.json');
    const st = (await readJson(stateFile)) as { step?: unknown; state?: unknown };
    if (typeof st.step !== 'number') throw new FormatError('checkpoint', 'state.json has no numeric step', { file: stateFile, field: 'step' });
    const { tensors } = await readSafetensors(join(folder, 'tensors.safetensors'));
    return { step: st.step, tensors: Object.fromEntries(tensors), state: st.state as S };
  }

  private async prune(current: string): Promise<void> {
    const dirs = (await readdir(this.dir)).filter((d) => /^step-\d{9}$/.test(d)).sort();
    const stale = dirs.filter((d) => d !== current).slice(0, Math.max(0, dirs.length - this.keep));
    for (const d of stale) await rm(join(this.dir, d), { recursive: true, force: true });
  }
}
