import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from 'gantry-core/errors.js';
import { Network, type NetworkSpec } from 'gantry-core/models/network.js';

/** What `models/<dataset>-classifier/manifest.json` holds. */
export interface ClassifierManifest {
  format: 'gantry-classifier-1';
  dataset: string;
  numClasses: number;
  featureDim: number;
  body: NetworkSpec;
  head: NetworkSpec;
  /** Every weight in weights.bin (little-endian float32), in this order. */
  weights: { name: string; shape: number[] }[];
  split: { train: number; heldOut: number; total: number };
  heldOutAccuracy: number;
  training: Record<string, unknown>;
}

/** A trained classifier whose penultimate layer serves as the feature space for the metrics. */
export interface FeatureNetwork {
  readonly dataset: string;
  readonly featureDim: number;
  readonly numClasses: number;
  /** [height, width, channels] of one input image. */
  readonly inputShape: [number, number, number];
  readonly heldOutAccuracy: number;
  /** A short hash of the weights, so caches derived from them go stale when they change. */
  readonly digest: string;
  /** n NHWC images in [0, 1] to [n, featureDim] features. */
  features(images01: Float32Array, n: number): Float32Array;
  /** n NHWC images in [0, 1] to [n, numClasses] softmax probabilities. */
  probs(images01: Float32Array, n: number): Float32Array;
  /** Both in one pass. */
  featuresAndProbs(images01: Float32Array, n: number): { features: Float32Array; probs: Float32Array };
  /** Both in one pass, read back asynchronously (the only way on a GPU backend). */
  featuresAndProbsAsync(images01: Float32Array, n: number): Promise<{ features: Float32Array; probs: Float32Array }>;
  dispose(): void;
}

/** packages/gantry/models, from dist/src/eval/ (compiled) three levels up. */
export function modelsDir(): string {
  return fileURLToPath(new URL('../../../models/', import.meta.url));
}

export function classifierDir(dataset: string): string {
  return join(modelsDir(), `${dataset}-classifier`);
}

export function hasFeatureNetwork(dataset: string): boolean {
  // only plain names: a data spec such as npy:PATH or folder:PATH never names a model folder
  return /^[a-z0-9-]+$/.test(dataset) && existsSync(join(classifierDir(dataset), 'manifest.json'));
}

const BATCH = 256;

/**
 * Loads the committed classifier for an embedded dataset from the package's `models/`
 * folder (never from the network). Other data (folder:, idx:, npy:) has no feature network.
 */
export function loadFeatureNetwork(dataset: string): FeatureNetwork {
  const dir = classifierDir(dataset);
  if (!hasFeatureNetwork(dataset)) {
    throw new UsageError(
      `no feature network exists for data '${dataset}' (there is one for mnist, fashion-mnist and emoji only), so FID, KID, ` +
      'Inception Score and class coverage cannot be computed; pixel-space precision/recall (precisionRecall on raw pixels) still works',
    );
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ClassifierManifest;
  if (manifest.format !== 'gantry-classifier-1') throw new Error(`${dir}/manifest.json has format ${manifest.format}, expected gantry-classifier-1`);
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  const body = new Network('classifier-body', manifest.body, 0, 0);
  const head = new Network('classifier-head', manifest.head, 0, 0);
  const byName = new Map([...body.allVariables(), ...head.allVariables()].map((v) => [v.name, v.variable]));
  let offset = 0;
  for (const w of manifest.weights) {
    const variable = byName.get(w.name);
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (!variable || variable.size !== size || offset + size > values.length) {
      body.dispose();
      head.dispose();
      throw new Error(`${dir}: weight ${w.name} does not fit the declared network; the model files are damaged`);
    }
    tf.tidy(() => variable.assign(tf.tensor(values.subarray(offset, offset + size), variable.shape)));
    offset += size;
  }
  if (offset !== values.length || byName.size !== manifest.weights.length) {
    body.dispose();
    head.dispose();
    throw new Error(`${dir}: weights.bin holds ${values.length} values but the manifest declares ${offset} in ${manifest.weights.length} of ${byName.size} weights`);
  }
  return wrapClassifier(manifest, body, head, digest);
}

/** A FeatureNetwork over (body, head) networks; also used by the training script. */
export function wrapClassifier(
  manifest: Pick<ClassifierManifest, 'dataset' | 'featureDim' | 'numClasses' | 'body' | 'heldOutAccuracy'>,
  body: Network, head: Network, digest: string,
): FeatureNetwork {
  const [h, w, c] = manifest.body.input as [number, number, number];
  const imageSize = h * w * c;
  const check = (images01: Float32Array, n: number) => {
    if (images01.length !== n * imageSize) {
      throw new Error(`feature network for ${manifest.dataset}: expected ${n} images of ${h}x${w}x${c} (${n * imageSize} values), got ${images01.length}`);
    }
  };
  /** One chunk's features and probabilities (zero-size where not wanted), as tensors. */
  const chunk = (images01: Float32Array, start: number, size: number, wantProbs: boolean): [tf.Tensor, tf.Tensor] => tf.tidy(() => {
    const x = tf.tensor4d(images01.subarray(start * imageSize, (start + size) * imageSize), [size, h, w, c]);
    const feats = body.apply(x, { training: false });
    return [feats, wantProbs ? tf.softmax(head.apply(feats, { training: false }) as tf.Tensor2D) : tf.zeros([0])];
  });
  const run = (images01: Float32Array, n: number, wantFeatures: boolean, wantProbs: boolean) => {
    check(images01, n);
    const features = new Float32Array(wantFeatures ? n * manifest.featureDim : 0);
    const probs = new Float32Array(wantProbs ? n * manifest.numClasses : 0);
    for (let start = 0; start < n; start += BATCH) {
      const [f, p] = chunk(images01, start, Math.min(BATCH, n - start), wantProbs);
      if (wantFeatures) features.set(f.dataSync() as Float32Array, start * manifest.featureDim);
      if (wantProbs) probs.set(p.dataSync() as Float32Array, start * manifest.numClasses);
      tf.dispose([f, p]);
    }
    return { features, probs };
  };
  const runAsync = async (images01: Float32Array, n: number) => {
    check(images01, n);
    const features = new Float32Array(n * manifest.featureDim);
    const probs = new Float32Array(n * manifest.numClasses);
    for (let start = 0; start < n; start += BATCH) {
      const [f, p] = chunk(images01, start, Math.min(BATCH, n - start), true);
      const [fv, pv] = await Promise.all([f.data(), p.data()]);
      features.set(fv as Float32Array, start * manifest.featureDim);
      probs.set(pv as Float32Array, start * manifest.numClasses);
      tf.dispose([f, p]);
    }
    return { features, probs };
  };
  return {
    dataset: manifest.dataset,
    featureDim: manifest.featureDim,
    numClasses: manifest.numClasses,
    inputShape: [h, w, c],
    heldOutAccuracy: manifest.heldOutAccuracy,
    digest,
    features: (x, n) => run(x, n, true, false).features,
    probs: (x, n) => run(x, n, false, true).probs,
    featuresAndProbs: (x, n) => run(x, n, true, true),
    featuresAndProbsAsync: (x, n) => runAsync(x, n),
    dispose() {
      body.dispose();
      head.dispose();
    },
  };
}

/** Index of the largest probability per row. */
export function argmaxRows(probs: Float32Array, n: number, classes: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}
