import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tf, type Tensor, type Variable } from '@llm/core';
import {
  AdamW, Gpt2, causalLmLoss, clipGradNorm, cosineWithWarmup, crossEntropy, evaluate, resumeTrainingCheckpoint, saveTrainingCheckpoint, trainStep, writeLossCurve,
} from '../src/index.js';
import { reference, type RefTensor } from './helpers.js';

beforeAll(async () => { await initBackend(); });

const ref = reference('training');
const arr = (t: unknown) => (t as RefTensor).data;

describe('training utilities against PyTorch', () => {
  it('AdamW: three steps equal torch.optim.AdamW (decoupled weight decay on all params)', () => {
    const cfg = ref.adamw as { lr: number; betas: [number, number]; eps: number; weight_decay: number };
    const w = tf.variable(tf.tensor(arr(ref.w0), [4, 3]));
    const b = tf.variable(tf.tensor(arr(ref.b0), [3]));
    const opt = new AdamW({ lr: cfg.lr, beta1: cfg.betas[0], beta2: cfg.betas[1], eps: cfg.eps, weightDecay: cfg.weight_decay, decay: () => true });
    const params = new Map<string, Variable>([['w', w], ['b', b]]);
    for (let s = 0; s < 3; s++) {
      const gw = tf.tensor(arr(ref.grads_w).slice(s * 12, s * 12 + 12), [4, 3]);
      const gb = tf.tensor(arr(ref.grads_b).slice(s * 3, s * 3 + 3), [3]);
      opt.apply(params, new Map([['w', gw], ['b', gb]]));
    }
    const dw = Math.max(...Array.from(w.dataSync(), (v, i) => Math.abs(v - arr(ref.w3)[i]!)));
    const db = Math.max(...Array.from(b.dataSync(), (v, i) => Math.abs(v - arr(ref.b3)[i]!)));
    expect(dw).toBeLessThan(1e-5);
    expect(db).toBeLessThan(1e-5);
    opt.dispose();
  });

  it('cross-entropy with ignore_index and label smoothing equals F.cross_entropy', () => {
    const logits = tf.tensor(arr(ref.logits), [5, 7]);
    const targets = ref.targets as number[];
    expect(crossEntropy(logits, targets).dataSync()[0]).toBeCloseTo(ref.ce as number, 5);
    expect(crossEntropy(logits, targets, { labelSmoothing: 0.1 }).dataSync()[0]).toBeCloseTo(ref.ce_smoothed as number, 5);
  });

  it('clipGradNorm equals clip_grad_norm_', () => {
    const grads = new Map<string, Tensor>([['p1', tf.tensor([[3, 4], [0, 12]])], ['p2', tf.tensor([1, 2, 2])]]);
    expect(clipGradNorm(grads, 1)).toBeCloseTo(ref.clip_norm as number, 4);
    expect(Array.from(grads.get('p1')!.dataSync()).map((v, i) => Math.abs(v - arr(ref.clipped_p1)[i]!)).every((d) => d < 1e-6)).toBe(true);
    expect(Array.from(grads.get('p2')!.dataSync()).map((v, i) => Math.abs(v - arr(ref.clipped_p2)[i]!)).every((d) => d < 1e-6)).toBe(true);
  });

  it('warmup + cosine schedule equals HF get_cosine_schedule_with_warmup', () => {
    (ref.cosine_factors as number[]).forEach((f, step) => expect(cosineWithWarmup(step, { warmupSteps: 3, totalSteps: 10 })).toBeCloseTo(f, 12));
    expect(cosineWithWarmup(10, { warmupSteps: 3, totalSteps: 10, minLrRatio: 0.1 })).toBeCloseTo(0.1, 12);
  });
});

describe('a tiny GPT learns, checkpoints and resumes exactly', () => {
  const cfg = { vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2, nInner: 32, activation: 'gelu_new' as const, layerNormEps: 1e-5, dropout: 0 };
  const data = (rng: Rng) => Array.from({ length: 4 }, () => { const s = rng.int(12); return Array.from({ length: 9 }, (_, i) => (s + i) % 12); });

  it('loss falls with accumulation + clipping; resume from a checkpoint reproduces the uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tr-ckpt-'));
    const run = async (steps: number, model: Gpt2, opt: AdamW, from = 0) => {
      const losses: number[] = [];
      for (let s = from; s < steps; s++) {
        const batch = data(new Rng(s));
        const lr = 3e-2 * cosineWithWarmup(s, { warmupSteps: 2, totalSteps: 30, minLrRatio: 0.1 });
        const r = trainStep(model, opt, 2, (i) => causalLmLoss(model, batch.slice(i * 2, i * 2 + 2)), { maxGradNorm: 1, lr });
        losses.push(r.loss);
      }
      return losses;
    };
    const a = new Gpt2(cfg).initRandom(3);
    const optA = new AdamW({ lr: 3e-2, weightDecay: 0.01 });
    const first = await run(12, a, optA);
    await saveTrainingCheckpoint(dir, a, optA, { step: 12, extra: { note: 'x' } });
    const rest = await run(20, a, optA, 12);
    const losses = [...first, ...rest];
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.5);

    const b = new Gpt2(cfg).initRandom(99); // different init: resume must overwrite it
    const optB = new AdamW({ lr: 3e-2, weightDecay: 0.01 });
    const state = await resumeTrainingCheckpoint(dir, b, optB);
    expect(state?.step).toBe(12);
    expect(optB.step).toBe(12);
    const restB = await run(20, b, optB, 12);
    restB.forEach((l, i) => expect(l).toBeCloseTo(rest[i]!, 5));

    const ev = await evaluate([data(new Rng(100))], (batch) => causalLmLoss(a, batch));
    expect(ev.perplexity).toBeCloseTo(Math.exp(ev.loss), 10);
    await writeLossCurve(join(dir, 'loss.svg'), { train: losses.map((l, i) => [i, l]) });
    expect(readFileSync(join(dir, 'loss.svg'), 'utf8')).toContain('<svg');
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-12', 'latest.json', 'loss.svg']);
    expect(readdirSync(join(dir, 'checkpoint-12')).sort()).toEqual(['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer_state.json']);
    a.dispose(); b.dispose(); optA.dispose(); optB.dispose();
  });
});

describe('cached weight transposes follow training', () => {
  it('inference after an optimizer step uses the updated weights', async () => {
    const cfg = { vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2, nInner: 32, activation: 'gelu_new' as const, layerNormEps: 1e-5, dropout: 0 };
    const m = new Gpt2(cfg).initRandom(1);
    const ids = [[1, 2, 3, 4]];
    const before = m.forward(ids).dataSync().slice();
    const opt = new AdamW({ lr: 0.05 });
    trainStep(m, opt, 1, () => causalLmLoss(m, [[1, 2, 3, 4, 5]]));
    const after = m.forward(ids).dataSync();
    expect(Array.from(after)).not.toEqual(Array.from(before));
    const dir = mkdtempSync(join(tmpdir(), 'tr-tcache-'));
    await m.save(dir);
    const { loadPretrained } = await import('../src/index.js');
    const fresh = await loadPretrained(dir);
    expect(Array.from((fresh as Gpt2).forward(ids).dataSync())).toEqual(Array.from(after));
    m.dispose(); fresh.dispose(); opt.dispose();
  });
});

describe('trainStep folds averaging and clipping into the AdamW pass', () => {
  it('equals the step written out: mean of micro-batch gradients, clip_grad_norm_, AdamW', () => {
    const cfg = { vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2, nInner: 32, activation: 'gelu_new' as const, layerNormEps: 1e-5, dropout: 0 };
    const batches = [[[1, 2, 3, 4, 5]], [[6, 7, 8, 9, 10]]];
    for (const maxGradNorm of [undefined, 0.05, 1e3]) {
      const a = new Gpt2(cfg).initRandom(3);
      const b = new Gpt2(cfg).initRandom(3);
      const optA = new AdamW({ lr: 0.01 });
      const optB = new AdamW({ lr: 0.01 });
      const r = trainStep(a, optA, 2, (i) => causalLmLoss(a, batches[i]!), { maxGradNorm });
      // by hand on b
      const vars = [...b.weights.values()];
      const sums = new Map<string, Tensor>();
      for (const batch of batches) {
        const { value, grads } = tf.variableGrads(() => causalLmLoss(b, batch) as tf.Scalar, vars);
        for (const [n, v] of b.weights) {
          const prev = sums.get(n);
          sums.set(n, prev ? tf.add(prev, grads[v.name]!) : tf.clone(grads[v.name]!));
          prev?.dispose();
        }
        tf.dispose([value, ...Object.values(grads)]);
      }
      const mean = new Map([...sums].map(([n, g]) => [n, tf.div(g, 2)]));
      const norm = maxGradNorm ? clipGradNorm(mean, maxGradNorm) : Math.sqrt([...mean.values()].reduce((t, g) => t + tf.sum(tf.square(g)).dataSync()[0]!, 0));
      expect(r.gradNorm).toBeCloseTo(norm, 4);
      optB.apply(b.weights, mean);
      for (const [n, w] of a.weights) {
        const x = w.dataSync();
        const y = b.weights.get(n)!.dataSync();
        let worst = 0;
        for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
        expect(worst, `${n} (maxGradNorm ${maxGradNorm})`).toBeLessThan(1e-6);
      }
      tf.dispose([...sums.values(), ...mean.values()]);
      a.dispose(); b.dispose(); optA.dispose(); optB.dispose();
    }
  });
});

describe('trainStep leaves no tensors behind', () => {
  it('with and without gradient clipping, the tensor count is steady after the first step', () => {
    const cfg = { vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2, nInner: 32, activation: 'gelu_new' as const, layerNormEps: 1e-5, dropout: 0 };
    const m = new Gpt2(cfg).initRandom(2);
    const opt = new AdamW({ lr: 0.01 });
    for (const maxGradNorm of [undefined, 1]) {
      trainStep(m, opt, 1, () => causalLmLoss(m, [[1, 2, 3, 4, 5]]), { maxGradNorm }); // optimizer state appears here
      const before = tf.memory().numTensors;
      trainStep(m, opt, 1, () => causalLmLoss(m, [[1, 2, 3, 4, 5]]), { maxGradNorm });
      trainStep(m, opt, 2, (i) => causalLmLoss(m, [[1, 2, 3, 4, 5 + i]]), { maxGradNorm });
      expect(tf.memory().numTensors).toBe(before);
    }
    m.dispose(); opt.dispose();
  });
});
