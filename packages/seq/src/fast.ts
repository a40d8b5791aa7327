import { fusedOpsNative, tf } from '@llm/core';
import type { Tensor, Tensor2D } from '@llm/core';

/**
 * `a·b` whose gradients are also plain (untransposed) products: `da = dy·bᵀ` and `db = aᵀ·dy` are
 * computed as `matMul(dy, transpose(b))` and `matMul(transpose(a), dy)`.
 *
 * Why: on the wasm backend, tfjs's `BatchMatMul` with `transposeA`/`transposeB` set runs about ten
 * times slower than without (measured in this package's benchmark, `node /tmp/mm.mjs`-style
 * probes: [32,128]·[512,128]ᵀ 24 ms vs 1.5–3 ms for the pre-transposed product), and tfjs's own
 * `matMul` gradient uses those flags. An explicit transpose is a cheap copy. This belongs in
 * `@llm/core`'s compute path (a BatchMatMul kernel for wasm that transposes first); it lives here
 * until core has it.
 */
export const matMulFast: (a: Tensor2D, b: Tensor2D) => Tensor2D = tf.customGrad(((a: Tensor, b: Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as Tensor2D, b as Tensor2D),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sa, sb] = saved as [Tensor2D, Tensor2D];
      return [tf.matMul(dy as Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: Tensor2D, b: Tensor2D) => Tensor2D;

/**
 * `x·Wᵀ` for a weight `W` stored `[out, in]` (PyTorch layout). On the native backend one
 * `BatchMatMul` with `transposeB` (its kernel folds transposes into packing, forward and in both
 * gradients, so no transposed copy of `x` or `W` is made); elsewhere through {@link matMulFast}.
 */
export function linearT(x: Tensor2D, weight: Tensor2D): Tensor2D {
  if (fusedOpsNative()) return tf.matMul(x, weight, false, true);
  return matMulFast(x, tf.transpose(weight));
}

/**
 * `tf.unstack(x)` along axis 0, by halving recursively. On the wasm backend every output of
 * `Unpack`/`SplitV` costs time in proportion to the whole input, so unstacking T steps costs
 * O(T²); halving costs O(T log T) (measured: [200, 32, 512] in 0.48 s instead of 4.3 s). The
 * gradient (concat at each level) stays linear.
 */
export function unstackFast<T extends Tensor>(x: Tensor): T[] {
  const n = x.shape[0]!;
  if (n === 1) return [tf.reshape(x, x.shape.slice(1)) as T];
  const h = n >> 1;
  const [a, b] = tf.split(x, [h, n - h], 0);
  return [...unstackFast<T>(a!), ...unstackFast<T>(b!)];
}

/**
 * `tf.stack(xs)` along axis 0 whose gradient unstacks with {@link unstackFast} (tfjs's own
 * gradient of `stack` is an `unstack`, quadratic on wasm).
 */
export function stackFast(xs: readonly Tensor[]): Tensor {
  const f = tf.customGrad(((...args: unknown[]) => {
    const inputs = args.slice(0, -1) as Tensor[];
    return {
      value: tf.stack(inputs),
      gradFunc: (dy: Tensor) => unstackFast(dy),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...t: Tensor[]) => Tensor;
  return f(...xs);
}
