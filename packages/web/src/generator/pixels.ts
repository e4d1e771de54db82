import * as tf from '@tensorflow/tfjs';

/** G's output `x` in `range` to [0, 1], as Gantry computes it (clip((x + 1) * 0.5, 0, 1) or clip(x, 0, 1)). */
export function toUnitRange(x: tf.Tensor, range: readonly [number, number]): tf.Tensor {
  if (range[0] === -1 && range[1] === 1) return tf.clipByValue(tf.mul(tf.add(x, 1), 0.5), 0, 1);
  if (range[0] === 0 && range[1] === 1) return tf.clipByValue(x, 0, 1);
  return tf.clipByValue(tf.div(tf.sub(x, range[0]), range[1] - range[0]), 0, 1);
}

/**
 * Images in [0, 1], NHWC with 1 or 3 channels, as RGBA bytes (round(255 * v), alpha 255), the
 * layout of ImageData: `count` images of height * width * 4 bytes, one after another.
 */
export function unitToRgba(unit: Float32Array, count: number, height: number, width: number, channels: number): Uint8ClampedArray {
  const pixels = count * height * width;
  const rgba = new Uint8ClampedArray(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const o = p * 4;
    if (channels === 1) {
      const v = Math.round(255 * unit[p]!);
      rgba[o] = v;
      rgba[o + 1] = v;
      rgba[o + 2] = v;
    } else {
      rgba[o] = Math.round(255 * unit[p * channels]!);
      rgba[o + 1] = Math.round(255 * unit[p * channels + 1]!);
      rgba[o + 2] = Math.round(255 * unit[p * channels + 2]!);
    }
    rgba[o + 3] = 255;
  }
  return rgba;
}

/** `toUnitRange` on plain numbers, in float32 steps as TF.js computes it, in place. */
export function toUnitRangeInPlace(x: Float32Array, range: readonly [number, number]): Float32Array {
  const f = Math.fround;
  const clip = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
  const [lo, hi] = range;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = lo === -1 && hi === 1 ? clip(f(f(v + 1) * 0.5)) : lo === 0 && hi === 1 ? clip(v) : clip(f(f(v - lo) / f(hi - lo)));
  }
  return x;
}
