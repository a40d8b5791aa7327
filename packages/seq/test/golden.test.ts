import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llm/core';
import type { Tensor, Tensor3D } from '@llm/core';
import { RecurrentLayer, clipGradNorm, type CellKind } from '../src/index.js';
import { loadRecurrent, readStateDict, saveRecurrent, type FloatTensor } from '../src/state-dict.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const CASES = ['rnn_uni', 'rnn_bi', 'rnn_relu_bi_h0', 'lstm_uni', 'lstm_bi', 'lstm_bi_h0', 'gru_uni', 'gru_bi', 'gru_bi_h0'];
const TOL = 1e-5;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return m;
}

function t(f: FloatTensor): Tensor {
  return tf.tensor(f.data, f.shape, 'float32');
}

let tmp: string;
beforeAll(async () => {
  await initBackend();
  tmp = mkdtempSync(join(tmpdir(), 'seq-golden-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('golden fixtures from PyTorch (pack_padded_sequence, 2 layers)', () => {
  for (const name of CASES) {
    it(`${name}: torch state_dict loads; outputs, h_n/c_n and every gradient match within ${TOL}`, async () => {
      const file = join(FIXTURES, `${name}.safetensors`);
      const { tensors: fx, metadata } = await readStateDict(file);
      const get = (k: string) => {
        const v = fx.get(k);
        if (!v) throw new Error(`fixture ${name} lacks ${k}`);
        return v;
      };
      const layer = new RecurrentLayer({
        kind: metadata.kind as CellKind,
        inputSize: Number(metadata.input_size),
        hiddenSize: Number(metadata.hidden_size),
        numLayers: Number(metadata.num_layers),
        bidirectional: metadata.bidirectional === 'true',
        nonlinearity: metadata.nonlinearity as 'tanh' | 'relu',
      });
      // The torch state_dict in the fixture file, loaded by name (other fixture keys ignored).
      await loadRecurrent(layer, file, { strict: false });
      const lengths = Array.from(get('lengths').data);
      const x = tf.variable(t(get('input')), true);
      const init = fx.has('h0') ? { h: t(get('h0')) as Tensor3D, c: fx.has('c0') ? (t(get('c0')) as Tensor3D) : undefined } : undefined;
      const rOut = t(get('r_output'));
      const rH = t(get('r_h_n'));
      const rC = fx.has('r_c_n') ? t(get('r_c_n')) : undefined;

      const res = layer.forward(x as unknown as Tensor3D, { lengths, initialState: init });
      expect(maxDiff(await res.output!.data(), get('output').data)).toBeLessThan(TOL);
      expect(maxDiff(await res.state.h.data(), get('h_n').data)).toBeLessThan(TOL);
      if (fx.has('c_n')) expect(maxDiff(await res.state.c!.data(), get('c_n').data)).toBeLessThan(TOL);
      // Padded steps output exactly zero, as pad_packed_sequence returns.
      const out = await res.output!.array();
      expect(out[1]![4]!.every((v) => v === 0)).toBe(true);

      const vars = [...layer.parameters.values(), x];
      const { value, grads } = tf.variableGrads(() => {
        const r = layer.forward(x as unknown as Tensor3D, { lengths, initialState: init });
        let loss = tf.add(tf.sum(tf.mul(r.output!, rOut)), tf.sum(tf.mul(r.state.h, rH)));
        if (rC) loss = tf.add(loss, tf.sum(tf.mul(r.state.c!, rC)));
        return loss as tf.Scalar;
      }, vars);
      expect(Math.abs((await value.data())[0]! - Number(metadata.loss))).toBeLessThan(1e-4);
      for (const [pname, v] of layer.parameters) {
        const g = grads[v.name]!;
        const d = maxDiff(await g.data(), get(`grad.${pname}`).data);
        expect(d, `grad of ${pname}`).toBeLessThan(TOL);
      }
      expect(maxDiff(await grads[x.name]!.data(), get('grad.input').data), 'grad of input').toBeLessThan(TOL);

      // Save with torch names, load into a fresh layer: same outputs.
      const saved = join(tmp, `${name}.safetensors`);
      await saveRecurrent(layer, saved);
      const again = new RecurrentLayer(layer.config, undefined);
      await loadRecurrent(again, saved, { strict: true });
      const res2 = again.forward(x as unknown as Tensor3D, { lengths, initialState: init });
      expect(maxDiff(await res2.output!.data(), get('output').data)).toBeLessThan(TOL);
      tf.dispose([res.output!, res.state.h, res.state.c, res2.output!, res2.state.h, res2.state.c, value, ...Object.values(grads), x, rOut, rH, rC, init?.h, init?.c].filter((v): v is Tensor => v !== undefined));
      layer.dispose();
      again.dispose();
    });
  }
});

describe('clipGradNorm', () => {
  it('scales to maxNorm like torch.nn.utils.clip_grad_norm_, and leaves small gradients alone', () => {
    const g = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
    const { grads, norm } = clipGradNorm(g, 1);
    expect(norm).toBeCloseTo(5, 6);
    expect(Array.from(grads.a.dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect(Array.from(grads.b.dataSync())[1]).toBeCloseTo(4 / (5 + 1e-6), 6);
    const small = clipGradNorm(g, 10);
    expect(Array.from(small.grads.b.dataSync())).toEqual([0, 4]);
  });
});
