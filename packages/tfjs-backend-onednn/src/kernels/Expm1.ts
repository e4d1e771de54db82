import * as tf from '@tensorflow/tfjs';

import { UnaryOp } from './eltwise_ops.js';
import { unaryKernel } from './unary_factory.js';

export const expm1Config = unaryKernel(tf.Expm1, UnaryOp.Expm1);
