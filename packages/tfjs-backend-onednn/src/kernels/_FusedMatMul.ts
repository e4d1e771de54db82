import * as tf from '@tensorflow/tfjs';

import { runBinary } from './binary_factory.js';
import { activationCode } from './conv_utils.js';
import { BinaryOp } from './eltwise_ops.js';
import { allFloat32, nativeKernel } from './kernel_utils.js';
import { runMatmul } from './matmul_utils.js';

// Matmul + bias + activation. Bias with N (or 1) elements and the activation
// are applied natively right after the GEMM; other bias shapes and prelu use
// native broadcast ops.
export const fusedMatMulConfig = nativeKernel(tf._FusedMatMul, (args) => {
  const { backend, attrs } = args;
  const { a, b, bias, preluActivationWeights: prelu } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  if (!a || !b || !allFloat32(a, b, bias, prelu)) return null;
  const isPrelu = attrs.activation === 'prelu';
  const act = isPrelu ? 0 : activationCode(attrs.activation);
  if (act === null || (isPrelu && !prelu)) return null;
  const n = attrs.transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
  const biasSize = bias ? tf.util.sizeFromShape(bias.shape) : 0;
  const simpleBias = bias !== undefined && (biasSize === n || biasSize === 1) && bias.shape.length <= 1;
  if (bias && !simpleBias) return null;
  let result = runMatmul(args, a, b, !!attrs.transposeA, !!attrs.transposeB,
    simpleBias ? backend.f32(bias!) : null, act, (attrs.leakyreluAlpha as number | undefined) ?? 0.2);
  if (result && isPrelu) {
    const y = runBinary(args, BinaryOp.Prelu, result, prelu!);
    backend.disposeIntermediateTensorInfo(result);
    result = y;
  }
  return result;
});
