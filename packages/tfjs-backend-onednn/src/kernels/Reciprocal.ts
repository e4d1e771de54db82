import * as tf from '@tensorflow/tfjs';

import { UnaryOp } from './eltwise_ops.js';
import { unaryKernel } from './unary_factory.js';

export const reciprocalConfig = unaryKernel(tf.Reciprocal, UnaryOp.Reciprocal);
