import * as tf from '@tensorflow/tfjs';

import { Cutout, SumPool2x, Translate, Upsample2x } from './custom_kernel_names.js';
import { customKernel } from './kernel_utils.js';

// Nearest-neighbour 2x upsampling and 2x2 sum pooling of NHWC images, each times attrs.scale,
// in one native pass. Each is the other's gradient with the same scale, so both are
// differentiable to any order. (As reshapes with a broadcasting add and a mean, they cost a
// residual GAN a third of its time outside convolutions.)

const MODE_UP = 0;
const MODE_DOWN = 1;

export const upsample2xConfig = customKernel(Upsample2x, ({ inputs, backend, attrs, addon }) => {
  const x = inputs.x!;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const out = backend.output([n, 2 * h, 2 * w, c]);
  addon.resample2x(MODE_UP, backend.f32(x), out.values, n, h, w, c, attrs.scale as number);
  return out.info;
});

export const sumPool2xConfig = customKernel(SumPool2x, ({ inputs, backend, attrs, addon }) => {
  const x = inputs.x!;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const out = backend.output([n, h / 2, w / 2, c]);
  addon.resample2x(MODE_DOWN, backend.f32(x), out.values, n, h / 2, w / 2, c, attrs.scale as number);
  return out.info;
});

export const upsample2xGradient: tf.GradConfig = {
  kernelName: Upsample2x,
  gradFunc: (dy, _saved, attrs) => ({ x: () => tf.engine().runKernel(SumPool2x, { x: dy as tf.Tensor }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor }),
};

export const sumPool2xGradient: tf.GradConfig = {
  kernelName: SumPool2x,
  gradFunc: (dy, _saved, attrs) => ({ x: () => tf.engine().runKernel(Upsample2x, { x: dy as tf.Tensor }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor }),
};

type PerImageOp = 'translate' | 'cutout';

/** A kernel whose output has x's shape: the addon's `op` with one list of integers per call (attrs[attr]). */
function perImageKernel(kernelName: string, op: PerImageOp, attr: string): tf.KernelConfig {
  return customKernel(kernelName, ({ inputs, backend, attrs, addon }) => {
    const x = inputs.x!;
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const out = backend.output([n, h, w, c]);
    addon[op](backend.f32(x), out.values, n, h, w, c, Int32Array.from(attrs[attr] as number[]));
    return out.info;
  });
}

// Each image shifted by its own (rows, columns) in attrs.shifts, zero where the source lies
// outside the image, in one native pass. The gradient is the same shift negated.
export const translateConfig = perImageKernel(Translate, 'translate', 'shifts');

export const translateGradient: tf.GradConfig = {
  kernelName: Translate,
  gradFunc: (dy, _saved, attrs) => ({
    x: () => tf.engine().runKernel(Translate, { x: dy as tf.Tensor }, { shifts: (attrs.shifts as number[]).map((v) => -v) }) as tf.Tensor,
  }),
};

// Each image with a box of rows and columns (attrs.boxes: top, bottom, left, right per image,
// the ends exclusive) multiplied by zero, in one native pass. It is its own gradient.
export const cutoutConfig = perImageKernel(Cutout, 'cutout', 'boxes');

export const cutoutGradient: tf.GradConfig = {
  kernelName: Cutout,
  gradFunc: (dy, _saved, attrs) => ({
    x: () => tf.engine().runKernel(Cutout, { x: dy as tf.Tensor }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
  }),
};
