import * as tf from '@tensorflow/tfjs';

import { ActivationGradSum, LeakyReluGrad } from './custom_kernel_names.js';
import { customKernel } from './kernel_utils.js';

// inputs {dy, y}, attrs {alpha} -> [g, sum]: g = y > 0 ? dy : alpha * dy (the gradient of a
// convolution's output taken back through its relu or leaky relu, y the activated output), and
// g summed over every axis but the last (its bias gradient), in one pass over dy and y. The
// same values as LeakyReluGrad followed by Sum, bit for bit.
export const activationGradSumConfig = customKernel(ActivationGradSum, ({ inputs, backend, attrs, addon }) => {
  const { dy, y } = inputs as Record<string, tf.TensorInfo>;
  const channels = dy!.shape[dy!.shape.length - 1]!;
  const g = backend.output(dy!.shape);
  const sum = backend.output([channels]);
  addon.activationGradSum(backend.f32(dy!), backend.f32(y!), g.values, sum.values, g.values.length / channels, channels,
    attrs.alpha as number);
  return [g.info, sum.info];
});

// Both outputs are linear in dy through the same mask: dy's gradient is the mask applied to g's
// gradient plus the sum's gradient spread over the rows; y's is zero (the mask is piecewise
// constant). This keeps the fused convolution's gradient differentiable once more.
export const activationGradSumGradient: tf.GradConfig = {
  kernelName: ActivationGradSum,
  inputsToSave: ['y'],
  gradFunc: (dys, saved, attrs) => {
    const [y] = saved as tf.Tensor[];
    const [dg, dsum] = dys as tf.Tensor[];
    return {
      dy: () => tf.engine().runKernel(LeakyReluGrad, { dy: tf.add(dg!, dsum!), x: y! },
        { alpha: attrs.alpha as number }) as tf.Tensor,
      y: () => tf.zerosLike(y!),
    };
  },
};
