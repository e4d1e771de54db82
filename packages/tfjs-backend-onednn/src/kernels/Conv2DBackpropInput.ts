import * as tf from '@tensorflow/tfjs';

import { conv2dInfo, convGeometry } from './conv_utils.js';
import { allFloat32, nativeKernel } from './kernel_utils.js';

// Gradient of Conv2D w.r.t. its input; also what conv2dTranspose runs.
export const conv2DBackpropInputConfig = nativeKernel(tf.Conv2DBackpropInput, ({ inputs, backend, attrs, addon }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  if (!allFloat32(dy, filter)) return null;
  const inputShape = attrs.inputShape as number[];
  const info = conv2dInfo(inputShape, filter.shape, attrs);
  const geometry = info && convGeometry(info);
  // a dy that does not have the forward conv's output shape is left to the cpu kernel
  if (!info || !geometry || !tf.util.arraysEqual(dy.shape, info.outShape)) return null;
  const out = backend.output(info.inShape);
  addon.conv2dBackwardData(backend.f32(dy), backend.f32(filter), out.values, geometry);
  return out.info;
});
