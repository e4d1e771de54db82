import * as tf from '@tensorflow/tfjs';

import { conv2dInfo, convGeometry } from './conv_utils.js';
import { allFloat32, nativeKernel } from './kernel_utils.js';

// Gradient of Conv2D w.r.t. its HWIO filter.
export const conv2DBackpropFilterConfig = nativeKernel(tf.Conv2DBackpropFilter, ({ inputs, backend, attrs, addon }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  if (!allFloat32(x, dy)) return null;
  const filterShape = attrs.filterShape as number[];
  const info = conv2dInfo(x.shape, filterShape, attrs);
  const geometry = info && convGeometry(info);
  if (!info || !geometry || !tf.util.arraysEqual(dy.shape, info.outShape)) return null;
  const out = backend.output(filterShape);
  addon.conv2dBackwardFilter(backend.f32(x), backend.f32(dy), out.values, geometry);
  return out.info;
});
