/**
 * Trains the feature network of one embedded dataset and writes its weights and manifest to
 * packages/gantry/models/<dataset>-classifier/. Seeded: the same command gives the same
 * weights on the same backend.
 *
 *   npm run build:ts
 *   node packages/gantry/dist/scripts/train-classifier.js --dataset mnist
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend.js';
import { loadDataset } from '../src/data/load.js';
import { CLASSIFIER_SPLITS, FEATURE_DIM, classifierSpec } from '../src/eval/classifierSpec.js';
import { argmaxRows, classifierDir, wrapClassifier, type ClassifierManifest } from '../src/eval/featureNetwork.js';
import { Network } from 'gantry-core/models/network.js';
import { Optimizer } from 'gantry-core/train/optimizer.js';
import { Rng, permutation } from 'gantry-core/util/random.js';

const defaults = {
  mnist: { epochs: 15 },
  'fashion-mnist': { epochs: 3 },
  emoji: { epochs: 30 },
};
const BATCH_SIZE = 64;
const LEARNING_RATE = 2e-3; // peak; cosine decay to 2% of it over training
const DROPOUT = 0.25; // on the features, training only
const MAX_SHIFT = 2; // random translation of training images by up to 2 pixels each way (28x28; scaled with the image side)

const { values } = parseArgs({
  options: { dataset: { type: 'string', default: 'mnist' }, epochs: { type: 'string' }, seed: { type: 'string', default: '0' }, out: { type: 'string' } },
});
const dataset = values.dataset as keyof typeof CLASSIFIER_SPLITS;
if (!(dataset in CLASSIFIER_SPLITS)) throw new Error(`--dataset must be one of ${Object.keys(CLASSIFIER_SPLITS).join(', ')}`);
const epochs = values.epochs ? parseInt(values.epochs, 10) : defaults[dataset].epochs;
const seed = parseInt(values.seed as string, 10);
const outDir = values.out ?? classifierDir(dataset);

const backend = await selectBackend('auto');
const data = await loadDataset(dataset);
const split = CLASSIFIER_SPLITS[dataset];
if (data.count !== split.total || !data.labels || !data.numClasses) throw new Error(`${dataset}: expected ${split.total} labelled images, got ${data.count}`);
const numClasses = data.numClasses;
const labels = data.labels;
const trainCount = split.total - split.heldOut;
const [H, W, C] = split.input;
const imageSize = H * W * C;
const maxShift = Math.round((MAX_SHIFT * H) / 28);
// colour images (emoji) are also mirrored at random: a category does not depend on left and right
const mirror = C === 3;
const pixels01 = data.pixels01;
if (data.height !== H || data.width !== W || data.channels !== C) throw new Error(`${dataset}: expected ${H}x${W}x${C} images`);
console.log(`${dataset}: ${trainCount} training images, ${split.heldOut} held out; backend ${backend.name}; ${epochs} epochs`);

const spec = classifierSpec(numClasses, [H, W, C]);
const body = new Network('classifier-body', spec.body, seed, 1);
const head = new Network('classifier-head', spec.head, seed, 2);
const params = [...body.trainable, ...head.trainable];
const settings = { kind: 'adam' as const, learningRate: LEARNING_RATE, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const optimizer = new Optimizer(settings, params);

/** One batch of training images, each shifted by a random whole number of pixels (zero fill for grey; the corner pixel, the page colour, for colour), and mirrored at random for colour. */
function augmentedBatch(indices: Uint32Array, rng: Rng): Float32Array {
  const out = new Float32Array(indices.length * imageSize);
  indices.forEach((src, b) => {
    const dy = rng.below(2 * maxShift + 1) - maxShift;
    const dx = rng.below(2 * maxShift + 1) - maxShift;
    const flip = mirror && rng.below(2) === 1;
    const base = src * imageSize;
    for (let y = 0; y < H; y++) {
      const sy = y - dy;
      for (let x = 0; x < W; x++) {
        const sx0 = x - dx;
        const sx = flip ? W - 1 - sx0 : sx0;
        const inside = sy >= 0 && sy < H && sx0 >= 0 && sx0 < W;
        for (let k = 0; k < C; k++) out[b * imageSize + (y * W + x) * C + k] = inside ? pixels01[base + (sy * W + sx) * C + k]! : C === 3 ? pixels01[base + k]! : 0;
      }
    }
  });
  return out;
}

const heldOutImages = pixels01.subarray(trainCount * imageSize);
const heldOutLabels = labels.subarray(trainCount);
function heldOutAccuracy(): number {
  const net = wrapClassifier({ dataset, featureDim: FEATURE_DIM, numClasses, body: spec.body, heldOutAccuracy: NaN }, body, head, '');
  const predicted = argmaxRows(net.probs(heldOutImages, split.heldOut), split.heldOut, numClasses);
  return predicted.reduce((a, p, i) => a + (p === heldOutLabels[i] ? 1 : 0), 0) / split.heldOut;
}

const stepsPerEpoch = Math.floor(trainCount / BATCH_SIZE);
const totalSteps = stepsPerEpoch * epochs;
const started = Date.now();
let accuracy = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  const order = permutation(trainCount, seed, 1, epoch);
  const rng = new Rng(seed, 2, epoch);
  let lossSum = 0;
  for (let s = 0; s < stepsPerEpoch; s++) {
    const step = epoch * stepsPerEpoch + s;
    settings.learningRate = LEARNING_RATE * (0.02 + 0.98 * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps)));
    const idx = order.subarray(s * BATCH_SIZE, (s + 1) * BATCH_SIZE);
    const x = tf.tensor4d(augmentedBatch(idx, rng), [BATCH_SIZE, H, W, C]);
    const y = tf.oneHot(tf.tensor1d(Array.from(idx, (i) => labels[i]!), 'int32'), numClasses);
    const { value, grads } = tf.variableGrads(() => {
      const feats = tf.dropout(body.apply(x, { training: true }), DROPOUT, undefined, seed * 1000003 + step);
      return tf.losses.softmaxCrossEntropy(y, head.apply(feats, { training: true })) as tf.Scalar;
    }, params.map((p) => p.variable));
    optimizer.apply(params.map((p) => grads[p.variable.name]!));
    if (s % 25 === 0) lossSum += value.dataSync()[0]! * 25;
    tf.dispose([x, y, value, ...Object.values(grads)]);
  }
  accuracy = heldOutAccuracy();
  console.log(`epoch ${epoch + 1}/${epochs}: loss ${(lossSum / stepsPerEpoch).toFixed(4)}, held-out accuracy ${(100 * accuracy).toFixed(2)}%, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
const seconds = (Date.now() - started) / 1000;

const vars = [...body.allVariables(), ...head.allVariables()];
const weights = new Float32Array(vars.reduce((a, v) => a + v.variable.size, 0));
let offset = 0;
for (const v of vars) {
  weights.set(v.variable.dataSync() as Float32Array, offset);
  offset += v.variable.size;
}
const manifest: ClassifierManifest = {
  format: 'gantry-classifier-1',
  dataset,
  numClasses,
  featureDim: FEATURE_DIM,
  body: spec.body,
  head: spec.head,
  weights: vars.map((v) => ({ name: v.name, shape: v.variable.shape })),
  split: { train: trainCount, heldOut: split.heldOut, total: split.total },
  heldOutAccuracy: accuracy,
  training: {
    command: `node packages/gantry/dist/scripts/train-classifier.js --dataset ${dataset} --epochs ${epochs} --seed ${seed}`,
    epochs, batchSize: BATCH_SIZE, seed, optimizer: 'adam', learningRate: LEARNING_RATE, schedule: 'cosine to 2%',
    dropout: DROPOUT, augmentation: `random shift up to ${maxShift} px${mirror ? ', random mirror' : ''}`, backend: backend.name, seconds: Math.round(seconds),
  },
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'weights.bin'), new Uint8Array(weights.buffer));
writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${outDir}: ${weights.length} weights, held-out accuracy ${(100 * accuracy).toFixed(2)}%, trained in ${seconds.toFixed(0)} s`);
