import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, InputError, Rng, initBackend, tf } from '@llm/core';
import type { Tensor3D } from '@llm/core';
import { GRU, LSTM, RecurrentLayer, SimpleRNN, lstmCell, parameterShapes, trainBagOfWords, loadFineFoods } from '../src/index.js';

beforeAll(async () => { await initBackend(); });

const x = () => tf.tensor3d(Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.sin(i)), [2, 4, 3]) as Tensor3D;

describe('RecurrentLayer', () => {
  it('names and shapes parameters as PyTorch does', () => {
    const shapes = parameterShapes({ kind: 'gru', inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true });
    expect([...shapes.keys()]).toEqual([
      'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse',
      'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1', 'weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'bias_ih_l1_reverse', 'bias_hh_l1_reverse',
    ]);
    expect(shapes.get('weight_ih_l1')).toEqual([15, 10]);
    expect(parameterShapes({ kind: 'lstm', inputSize: 3, hiddenSize: 5, bias: false }).size).toBe(2);
  });

  it('the layer equals the cell applied step by step (LSTM, one layer)', async () => {
    const layer = new LSTM({ inputSize: 3, hiddenSize: 4 }, new Rng(1));
    const w = layer.cellWeights(0, false);
    const input = x();
    let h = tf.zeros([2, 4]) as tf.Tensor2D;
    let c = tf.zeros([2, 4]) as tf.Tensor2D;
    for (let t = 0; t < 4; t++) ({ h, c } = lstmCell(tf.squeeze(tf.slice(input, [0, t, 0], [2, 1, 3]), [1]) as tf.Tensor2D, h, c, w));
    const res = layer.forward(input, { returnSequences: false });
    expect(res.output).toBeUndefined();
    const a = await res.state.h.data();
    const b = await h.data();
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 6));
  });

  it('LSTM: the final state and its gradients are the same with and without the output sequence (2 layers, bidirectional, padded)', async () => {
    const layer = new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true }, new Rng(4));
    const input = x();
    const vars = [...layer.parameters.values()];
    const run = (returnSequences: boolean) => {
      const { value, grads } = tf.variableGrads(() => {
        const r = layer.forward(input, { lengths: [4, 2], returnSequences });
        return tf.add(tf.sum(tf.mul(r.state.h, tf.linspace(-1, 1, r.state.h.size).reshape(r.state.h.shape))), tf.sum(r.state.c!)) as tf.Scalar;
      }, vars);
      return [value.dataSync()[0]!, ...vars.map((v) => Array.from(grads[v.name]!.dataSync()))] as [number, ...number[][]];
    };
    const [l1, ...g1] = run(false);
    const [l2, ...g2] = run(true);
    expect(l1).toBeCloseTo(l2, 5);
    g1.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(g2[i]![j]!, 5)));
  });

  it('is deterministic by seed, dropout included, and dropout is off when not training', async () => {
    const mk = () => new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.5 }, new Rng(7));
    const a = mk().forward(x(), { training: true, rng: new Rng(3) });
    const b = mk().forward(x(), { training: true, rng: new Rng(3) });
    expect(Array.from(await a.output!.data())).toEqual(Array.from(await b.output!.data()));
    const c = mk().forward(x(), { training: false });
    expect(Array.from(await c.output!.data())).not.toEqual(Array.from(await a.output!.data()));
    expect(() => mk().forward(x(), { training: true })).toThrow(ConfigError);
  });

  it('a padded batch gives the same final state as each sequence run alone', async () => {
    const layer = new SimpleRNN({ inputSize: 3, hiddenSize: 4, bidirectional: true }, new Rng(2));
    const input = x();
    const padded = layer.forward(input, { lengths: [4, 2] });
    const alone = layer.forward(tf.slice(input, [1, 0, 0], [1, 2, 3]) as Tensor3D);
    const hp = (await padded.state.h.array()) as number[][][];
    const ha = (await alone.state.h.array()) as number[][][];
    for (let d = 0; d < 2; d++) hp[d]![1]!.forEach((v, j) => expect(v).toBeCloseTo(ha[d]![0]![j]!, 6));
  });

  it('rejects bad input with typed errors', () => {
    const layer = new RecurrentLayer({ kind: 'lstm', inputSize: 3, hiddenSize: 4 });
    expect(() => layer.forward(tf.zeros([2, 4, 5]) as Tensor3D)).toThrow(InputError);
    expect(() => layer.forward(x(), { lengths: [4] })).toThrow(/lengths has 1/);
    expect(() => layer.forward(x(), { lengths: [5, 1] })).toThrow(/lengths\[0\]/);
    expect(() => layer.forward(x(), { initialState: { h: tf.zeros([1, 2, 4]) as Tensor3D } })).toThrow(/initial c/);
    expect(() => new RecurrentLayer({ kind: 'lstm', inputSize: 0, hiddenSize: 4 })).toThrow(ConfigError);
    expect(() => layer.loadStateDict(new Map([['weight_ih_l0', { shape: [1], data: new Float32Array(1) }]]))).toThrow(InputError);
  });
});

describe('bag-of-words baseline', () => {
  it('beats the majority class on fine-foods dev', async () => {
    const s = await loadFineFoods();
    const m = trainBagOfWords(s.train, { epochs: 5 });
    const r = m.evaluate(s.dev);
    const great = s.dev.filter((d) => d.label === 'great').length / s.dev.length;
    expect(r.accuracy).toBeGreaterThan(Math.max(great, 1 - great) + 0.05);
    expect(m.predict(['awful, stale and overpriced. never again', 'the best coffee ever, love love love it'])).toEqual([m.labels.indexOf('other'), m.labels.indexOf('great')]);
  });
});

describe('weightedCrossEntropy', () => {
  it('matches PyTorch CrossEntropyLoss(weight=…) on a hand-computed case', async () => {
    const { weightedCrossEntropy } = await import('../src/index.js');
    const loss = weightedCrossEntropy(tf.tensor2d([[0, 0], [1, 0]]), Int32Array.from([0, 1]), [1, 3]);
    const expected = (1 * Math.log(2) + 3 * Math.log(1 + Math.E)) / 4;
    expect((await loss.data())[0]).toBeCloseTo(expected, 5);
  });
});
