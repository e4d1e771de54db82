import * as tf from '@tensorflow/tfjs';

import { runBinary } from './binary_factory.js';
import { LeakyReluGrad } from './custom_kernel_names.js';
import { BinaryOp } from './eltwise_ops.js';
import { customKernel } from './kernel_utils.js';

// inputs {dy, x}, attrs {alpha}: dx = x > 0 ? dy : alpha * dy (alpha 0: ReLU).
export const leakyReluGradConfig = customKernel(LeakyReluGrad, (args) =>
  runBinary(args, BinaryOp.LeakyReluGrad, args.inputs.dy!, args.inputs.x!, args.attrs.alpha as number)!);

// The op is linear in dy and piecewise constant in x, so its own gradient is
// the same op applied to the incoming gradient (and zero for x). This keeps
// the fused activations usable for gradients of gradients.
export const leakyReluGradGradient: tf.GradConfig = {
  kernelName: LeakyReluGrad,
  inputsToSave: ['x'],
  gradFunc: (ddx, saved, attrs) => {
    const [x] = saved as tf.Tensor[];
    return {
      dy: () => tf.engine().runKernel(LeakyReluGrad, { dy: ddx as tf.Tensor, x: x! },
        attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
      x: () => tf.zerosLike(x!),
    };
  },
};
