import * as tf from '@tensorflow/tfjs';

import { binaryKernel } from './binary_factory.js';
import { BinaryOp } from './eltwise_ops.js';

// dx = y >= 0 ? dy : dy * (y + 1), from the forward output y.
export const eluGradConfig = binaryKernel(tf.EluGrad, BinaryOp.EluGrad, 'dy', 'y');
