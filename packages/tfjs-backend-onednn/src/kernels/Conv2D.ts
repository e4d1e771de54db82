import * as tf from '@tensorflow/tfjs';

import { conv2dInfo, convGeometry } from './conv_utils.js';
import { allFloat32, nativeKernel } from './kernel_utils.js';

export const conv2DConfig = nativeKernel(tf.Conv2D, ({ inputs, backend, attrs, addon }) => {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  if (!allFloat32(x, filter)) return null;
  const info = conv2dInfo(x.shape, filter.shape, attrs, attrs.dilations as [number, number]);
  const geometry = info && convGeometry(info);
  if (!info || !geometry) return null;
  const out = backend.output(info.outShape);
  addon.conv2dForward(backend.f32(x), backend.f32(filter), null, out.values, geometry, 0, 0);
  return out.info;
});
