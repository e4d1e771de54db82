import * as tf from '@tensorflow/tfjs';

import { ReduceOp, reduceKernel } from './reduce_factory.js';

export const sumConfig = reduceKernel(tf.Sum, ReduceOp.Sum, 'axis');
