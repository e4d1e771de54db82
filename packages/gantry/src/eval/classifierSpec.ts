import type { NetworkSpec } from 'gantry-core/models/network.js';

/**
 * The feature network: a small CNN classifier per embedded dataset. `body` maps an image
 * (28x28x1 for the digit and clothing sets, 64x64x3 for emoji) in [0, 1] to a 128-d feature vector (the penultimate layer, after its ReLU); `head`
 * maps features to class logits. Split in two so evaluation can read the features, and so
 * training can put dropout between them. About 85k parameters (340 KB as float32).
 */
export const FEATURE_DIM = 128;

export function classifierSpec(numClasses: number, input: [number, number, number] = [28, 28, 1]): { body: NetworkSpec; head: NetworkSpec } {
  const head: NetworkSpec = { input: [FEATURE_DIM], layers: [{ kind: 'dense', units: numClasses }] };
  if (input[0] === 64) return { body: colourBody64(input), head };
  return {
    body: {
      input,
      layers: [
        { kind: 'conv2d', filters: 32, kernel: 3, stride: 1, padding: 'same' }, // 28x28x32
        { kind: 'relu' },
        { kind: 'conv2d', filters: 32, kernel: 3, stride: 2, padding: 'same' }, // 14x14x32
        { kind: 'relu' },
        { kind: 'conv2d', filters: 64, kernel: 3, stride: 2, padding: 'same' }, // 7x7x64
        { kind: 'relu' },
        { kind: 'conv2d', filters: 32, kernel: 3, stride: 2, padding: 'valid' }, // 3x3x32
        { kind: 'relu' },
        { kind: 'flatten' }, // 288
        { kind: 'dense', units: FEATURE_DIM },
        { kind: 'relu' },
      ],
    },
    head,
  };
}

/**
 * The body for 64x64 colour images (emoji): four stride-2 3x3 convs straight from the image,
 * cheap on a CPU (about 6 MFLOP per image), about 108k parameters (430 KB) with the head.
 */
function colourBody64(input: [number, number, number]): NetworkSpec {
  return {
    input,
    layers: [
      { kind: 'conv2d', filters: 16, kernel: 3, stride: 2, padding: 'same' }, // 32x32x16
      { kind: 'relu' },
      { kind: 'conv2d', filters: 32, kernel: 3, stride: 2, padding: 'same' }, // 16x16x32
      { kind: 'relu' },
      { kind: 'conv2d', filters: 64, kernel: 3, stride: 2, padding: 'same' }, // 8x8x64
      { kind: 'relu' },
      { kind: 'conv2d', filters: 32, kernel: 3, stride: 2, padding: 'same' }, // 4x4x32
      { kind: 'relu' },
      { kind: 'flatten' }, // 512
      { kind: 'dense', units: FEATURE_DIM },
      { kind: 'relu' },
    ],
  };
}

/**
 * The fixed split of each embedded dataset: the first `train` images train the classifier,
 * the last `heldOut` images measure its accuracy. The embedded order interleaves classes
 * until the smallest class runs out, so the training part is class-balanced; MNIST's
 * held-out part holds the leftovers of the larger classes (only 63 fives, 327 ones).
 * The emoji order spreads each category evenly (data/emoji.ts), so its held-out tail holds
 * the categories in proportion. `input` is one image's [height, width, channels].
 */
export const CLASSIFIER_SPLITS = {
  mnist: { total: 10000, heldOut: 2000, input: [28, 28, 1] },
  'fashion-mnist': { total: 70000, heldOut: 10000, input: [28, 28, 1] },
  emoji: { total: 3786, heldOut: 600, input: [64, 64, 3] },
} as const;
