import * as tf from '@tensorflow/tfjs';

import { ReduceOp, reduceKernel } from './reduce_factory.js';

export const minConfig = reduceKernel(tf.Min, ReduceOp.Min, 'axis');
