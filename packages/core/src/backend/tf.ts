/**
 * The one tfjs instance of the workspace. Packages above `@llm/core` import `tf` from here and
 * never import a tfjs backend themselves: `@llm/core` decides which backend runs.
 *
 * `@tensorflow/tfjs` (not tfjs-core alone) is imported because it registers every op's gradient
 * and the chained tensor methods; tfjs-node and tfjs-node-gpu build on the same package.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Scalar, Variable, Rank, DataType, TensorLike, NamedTensorMap } from '@tensorflow/tfjs';
