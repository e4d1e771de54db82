import type { NetworkSpec } from '../models/network.js';

/**
 * The feature network: a small CNN classifier per embedded dataset. `body` maps a 28x28x1
 * image in [0, 1] to a 128-d feature vector (the penultimate layer, after its ReLU); `head`
 * maps features to class logits. Split in two so evaluation can read the features, and so
 * training can put dropout between them. About 85k parameters (340 KB as float32).
 */
export const FEATURE_DIM = 128;

export function classifierSpec(numClasses: number): { body: NetworkSpec; head: NetworkSpec } {
  return {
    body: {
      input: [28, 28, 1],
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
    head: { input: [FEATURE_DIM], layers: [{ kind: 'dense', units: numClasses }] },
  };
}

/**
 * The fixed split of each embedded dataset: the first `train` images train the classifier,
 * the last `heldOut` images measure its accuracy. The embedded order interleaves classes
 * until the smallest class runs out, so the training part is class-balanced; MNIST's
 * held-out part holds the leftovers of the larger classes (only 63 fives, 327 ones).
 */
export const CLASSIFIER_SPLITS = {
  mnist: { total: 10000, heldOut: 2000 },
  'fashion-mnist': { total: 70000, heldOut: 10000 },
} as const;
