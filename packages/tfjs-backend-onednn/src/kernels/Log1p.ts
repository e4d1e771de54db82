import * as tf from '@tensorflow/tfjs';

import { UnaryOp } from './eltwise_ops.js';
import { unaryKernel } from './unary_factory.js';

export const log1pConfig = unaryKernel(tf.Log1p, UnaryOp.Log1p);
