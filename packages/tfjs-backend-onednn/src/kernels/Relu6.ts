import * as tf from '@tensorflow/tfjs';

import { UnaryOp } from './eltwise_ops.js';
import { unaryKernel } from './unary_factory.js';

export const relu6Config = unaryKernel(tf.Relu6, UnaryOp.Relu6);
