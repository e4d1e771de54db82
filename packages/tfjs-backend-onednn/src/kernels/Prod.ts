import * as tf from '@tensorflow/tfjs';

import { ReduceOp, reduceKernel } from './reduce_factory.js';

export const prodConfig = reduceKernel(tf.Prod, ReduceOp.Prod, 'axis');
