import * as tf from '@tensorflow/tfjs';

import { binaryKernel } from './binary_factory.js';
import { BinaryOp } from './eltwise_ops.js';

export const minimumConfig = binaryKernel(tf.Minimum, BinaryOp.Min);
