import * as tf from '@tensorflow/tfjs';

import { UnaryOp } from './eltwise_ops.js';
import { unaryKernel } from './unary_factory.js';

export const softplusConfig = unaryKernel(tf.Softplus, UnaryOp.Softplus);
