import * as tf from '@tensorflow/tfjs';

import { ReduceOp, reduceKernel } from './reduce_factory.js';

export const maxConfig = reduceKernel(tf.Max, ReduceOp.Max, 'reductionIndices');
