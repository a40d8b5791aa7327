// The two training steps the kernel benchmarks time (issue 14), built once here for
// profile-step.mjs, train-parity.mjs and benchmarks/seq/lstm-train-step.mjs:
//   gpt:  GPT-2 6 layers, d 256, 8 heads, context 128, batch 16, vocab 8192, AdamW, clip 1
//   lstm: the LSTM classifier, embedding 128, hidden 128, sequence 200, batch 32, Adam
// `root` is the checkout whose built packages are imported (to compare two trees).
import { join } from 'node:path';

/** GPT training step on random tokens (seeded). */
export async function gptWorkload(root) {
  const { Rng } = await import(join(root, 'packages/core/dist/index.js'));
  const { Gpt2, AdamW, causalLmLoss, trainStep } = await import(join(root, 'packages/transformer/dist/index.js'));
  const cfg = { vocabSize: 8192, nPositions: 128, nEmbd: 256, nLayer: 6, nHead: 8, nInner: 1024, activation: 'gelu_new', layerNormEps: 1e-5, dropout: 0 };
  const B = 16, T = 128;
  const model = new Gpt2(cfg).initRandom(0);
  const rng = new Rng(1);
  const opt = new AdamW({ lr: 1e-4 });
  return {
    cfg, B, T,
    step() {
      const b = Array.from({ length: B }, () => Array.from({ length: T + 1 }, () => rng.int(cfg.vocabSize)));
      trainStep(model, opt, 1, () => causalLmLoss(model, b), { maxGradNorm: 1 });
    },
    dispose() { model.dispose(); },
  };
}

/** LSTM classifier training step on one fixed random batch (seeded). */
export async function lstmWorkload(root) {
  const { Rng, tf } = await import(join(root, 'packages/core/dist/index.js'));
  const { RecurrentClassifier, WordTokenizer, weightedCrossEntropy } = await import(join(root, 'packages/seq/dist/index.js'));
  const V = 5000, E = 128, H = 128, T = 200, B = 32;
  const words = ['[PAD]', '[UNK]', ...Array.from({ length: V - 2 }, (_, i) => `w${i}`)];
  const model = RecurrentClassifier.create({ labels: ['a', 'b'], cell: 'lstm', embeddingDim: E, hiddenSize: H, pooling: 'last', maxLength: T, dropout: 0 }, new WordTokenizer(words), { seed: 0 });
  const rng = new Rng(1);
  const ids = new Int32Array(B * T).map(() => 1 + rng.int(V - 1));
  const batch = { ids, lengths: new Array(B).fill(T), width: T };
  const y = Int32Array.from({ length: B }, () => rng.int(2));
  const vars = model.namedParameters().map(([, v]) => v);
  const opt = tf.train.adam(1e-3);
  return {
    V, E, H, T, B,
    step() {
      const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(model.logits(batch), y), vars);
      opt.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    },
    dispose() { model.dispose(); },
  };
}
