import * as tf from '@tensorflow/tfjs';

import { binaryKernel } from './binary_factory.js';
import { BinaryOp } from './eltwise_ops.js';

// y = x > 0 ? x : alpha * x, alpha broadcast against x.
export const preluConfig = binaryKernel(tf.Prelu, BinaryOp.Prelu, 'x', 'alpha');
