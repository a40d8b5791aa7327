import { tf } from './tf.js';

/**
 * Gradients tfjs does not define but training code meets, registered once for every backend:
 *
 * - `StridedSlice`: the positions the slice read, found by slicing an index tensor the same
 *   way, receive `dy` through `UnsortedSegmentSum` (exact for every mask and stride).
 * - comparison and logical ops (`Greater`, `Equal`, …): zero, as in PyTorch where their
 *   outputs are not differentiable; without this, `tf.where(tf.greater(x, 0), …)` cannot be
 *   differentiated at all.
 * - `Einsum` with two operands: each operand's gradient is another einsum of `dy` with the
 *   other operand (indices summed away in the forward pass are broadcast back).
 */

const ZERO_GRAD_BINARY = ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr', 'LogicalXor'];
const ZERO_GRAD_UNARY = ['LogicalNot', 'IsNan', 'IsInf', 'IsFinite', 'ArgMax', 'ArgMin', 'OnesLike', 'ZerosLike'];

type GradSaved = tf.Tensor[];

function stridedSliceGrad(dy: tf.Tensor | tf.Tensor[], saved: GradSaved, attrs: tf.NamedAttrMap): Record<string, () => tf.Tensor> {
  const [x] = saved as [tf.Tensor];
  const a = attrs as unknown as { begin: number[]; end: number[]; strides: number[]; beginMask: number; endMask: number; ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number };
  return {
    x: () => tf.tidy(() => {
      // float32 positions (exact below 2^24): wasm's StridedSlice mishandles int32 input.
      if (x.size >= 1 << 24) throw new Error('StridedSlice gradient: tensors of 2^24 elements or more are not supported');
      const positions = tf.reshape(tf.range(0, x.size, 1, 'float32'), x.shape);
      const taken = tf.cast(tf.stridedSlice(positions, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask), 'int32');
      const flat = tf.unsortedSegmentSum(tf.reshape(dy as tf.Tensor, [-1]), tf.reshape(taken, [-1]), x.size);
      return tf.reshape(flat, x.shape);
    }),
  };
}

function einsumGrad(dy: tf.Tensor | tf.Tensor[], saved: GradSaved, attrs: tf.NamedAttrMap): Record<string, () => tf.Tensor> {
  const equation = String((attrs as { equation: string }).equation).replace(/\s/g, '');
  const [lhs, out = ''] = equation.split('->') as [string, string?];
  const terms = lhs.split(',');
  if (terms.length !== 2 || saved.length !== 2 || equation.includes('...')) {
    throw new Error(`Einsum gradient: only two-operand equations without '...' are supported, got '${equation}'`);
  }
  const [ta, tb] = terms as [string, string];
  const [A, B] = saved as [tf.Tensor, tf.Tensor];
  const grad = (mine: string, other: string, otherT: tf.Tensor, self: tf.Tensor) => () => tf.tidy(() => {
    if (new Set(mine).size !== mine.length) throw new Error(`Einsum gradient: repeated index in '${mine}' is not supported`);
    const avail = new Set(out + other);
    const kept = [...mine].filter((c) => avail.has(c)).join('');
    // Gradient over the indices still present, then broadcast over those summed away in forward.
    let g = tf.einsum(`${out},${other}->${kept}`, dy as tf.Tensor, otherT);
    if (kept !== mine) {
      const shape = [...mine].map((c, i) => (avail.has(c) ? self.shape[i]! : 1));
      const order = [...mine].filter((c) => avail.has(c));
      const perm = [...kept].map((c) => order.indexOf(c));
      g = tf.broadcastTo(tf.reshape(tf.transpose(g, perm), shape), self.shape);
    }
    return g;
  });
  return { '0': grad(ta, tb, B, A), '1': grad(tb, ta, A, B) };
}

let done = false;

/** Register the gradients above (idempotent). Returns the names registered. */
export function registerMissingGradients(): string[] {
  if (done) return [];
  done = true;
  const names: string[] = [];
  const add = (kernelName: string, gradFunc: tf.GradConfig['gradFunc'], inputsToSave?: string[], saveAllInputs?: boolean) => {
    if (tf.getGradient(kernelName)) return;
    tf.registerGradient({ kernelName, gradFunc, inputsToSave, saveAllInputs });
    names.push(kernelName);
  };
  add('StridedSlice', stridedSliceGrad as tf.GradConfig['gradFunc'], ['x']);
  add('Einsum', einsumGrad as tf.GradConfig['gradFunc'], undefined, true);
  const zeros = (names: string[]) => ((_dy: tf.Tensor, saved: tf.Tensor[]) => {
    const out: Record<string, () => tf.Tensor> = {};
    names.forEach((k, i) => { out[k] = () => tf.zerosLike(saved[i]!); });
    return out;
  }) as tf.GradConfig['gradFunc'];
  for (const op of ZERO_GRAD_BINARY) add(op, zeros(['a', 'b']), ['a', 'b']);
  for (const op of ZERO_GRAD_UNARY) add(op, zeros(['x']), ['x']);
  return names;
}
