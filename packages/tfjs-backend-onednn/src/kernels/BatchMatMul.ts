import * as tf from '@tensorflow/tfjs';

import { allFloat32, nativeKernel } from './kernel_utils.js';
import { runMatmul } from './matmul_utils.js';

export const batchMatMulConfig = nativeKernel(tf.BatchMatMul, (args) => {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  if (!allFloat32(a, b)) return null;
  return runMatmul(args, a, b, !!args.attrs.transposeA, !!args.attrs.transposeB, null, 0, 0);
});
