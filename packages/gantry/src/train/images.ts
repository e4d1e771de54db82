import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import type { ImageShape } from '../data/dataset.js';

/** The shape of one image the generator makes. */
export function imageShapeOf(config: TrainConfig): ImageShape {
  const l = config.discriminator.input;
  return { height: l[0], width: l[1], channels: l[2] };
}

/** Map G's output to [0, 1]. */
export function toUnitRange(x: tf.Tensor, config: Pick<TrainConfig, 'pixelRange'>): tf.Tensor {
  return config.pixelRange === '-1,1' ? tf.clipByValue(tf.mul(tf.add(x, 1), 0.5), 0, 1) : tf.clipByValue(x, 0, 1);
}
