import * as tf from '@tensorflow/tfjs';

import { ReduceOp, reduceKernel } from './reduce_factory.js';

export const meanConfig = reduceKernel(tf.Mean, ReduceOp.Sum, 'axis', true);
