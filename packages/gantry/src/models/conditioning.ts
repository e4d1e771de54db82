import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random.js';
import { glorotUniform, type AddParam } from './initializers.js';
import { addSpectralVector, effectiveKernel } from './spectralNorm.js';

/**
 * Class conditioning. Labels reach the layers through `apply(x, {labels})`, an int32
 * tensor [batch] of class indices in [0, classes).
 *
 * - labelConcat: appends the label, one-hot or as a learned embedding, to each example's
 *   features (rank 1) or to every pixel's channels (rank 3).
 * - projection: the projection discriminator's head (Miyato & Koyama 2018),
 *   logit = h w + b + <embed(y), h>, from features h [batch, F].
 * - auxClassifier: ACGAN's head, [batch, 1 + classes]: the adversarial logit, then class logits.
 *   It does not read the labels (the ACGAN loss compares its class logits with them).
 */
export type ConditioningLayerSpec =
  | { kind: 'labelConcat'; classes: number; embedding?: number }
  | { kind: 'projection'; classes: number; spectralNorm?: boolean }
  | { kind: 'auxClassifier'; classes: number; spectralNorm?: boolean };

type Params = Record<string, tf.Variable>;
type Opts = { training: boolean; updateStats?: boolean; labels?: tf.Tensor };

export function conditioningOutputShape(s: ConditioningLayerSpec, shape: number[]): number[] {
  switch (s.kind) {
    case 'labelConcat': {
      const width = s.embedding ?? s.classes;
      if (shape.length === 1) return [shape[0] + width];
      if (shape.length === 3) return [shape[0], shape[1], shape[2] + width];
      throw new Error(`layer labelConcat needs features [F] or an image [height, width, channels] per example, got [${shape.join(', ')}]`);
    }
    case 'projection':
    case 'auxClassifier':
      if (shape.length !== 1) {
        throw new Error(`layer ${s.kind} needs features [F] per example (add a flatten or globalSumPool before it), got [${shape.join(', ')}]`);
      }
      return s.kind === 'projection' ? [1] : [1 + s.classes];
  }
}

/**
 * Variables: labelConcat `embedding` [classes, E] when `embedding` is set (uniform
 * in [-0.05, 0.05], as Keras' Embedding), none for one-hot; projection `kernel` [F, 1],
 * `bias` [1], `embedding` [classes, F] (Glorot-uniform); auxClassifier `kernel` [F, 1 + classes]
 * and `bias`. With spectralNorm, `sn_u` for the kernel (and `embedding_sn_u` for the projection's embedding).
 */
export function addConditioningParams(s: ConditioningLayerSpec, inShape: number[], add: AddParam, rng: Rng, snRng: Rng): void {
  switch (s.kind) {
    case 'labelConcat':
      if (s.embedding !== undefined) {
        add('embedding', rng.fillUniform(new Float32Array(s.classes * s.embedding), -0.05, 0.05), [s.classes, s.embedding], true);
      }
      return;
    case 'projection': {
      const f = inShape[0];
      add('kernel', glorotUniform(rng, f, 1, f), [f, 1], true);
      add('bias', new Float32Array(1), [1], true);
      add('embedding', glorotUniform(rng, s.classes, f, s.classes * f), [s.classes, f], true);
      if (s.spectralNorm) {
        addSpectralVector(add, 'sn_u', [f, 1], snRng);
        addSpectralVector(add, 'embedding_sn_u', [s.classes, f], snRng);
      }
      return;
    }
    case 'auxClassifier': {
      const f = inShape[0];
      const units = 1 + s.classes;
      add('kernel', glorotUniform(rng, f, units, f * units), [f, units], true);
      add('bias', new Float32Array(units), [units], true);
      if (s.spectralNorm) addSpectralVector(add, 'sn_u', [f, units], snRng);
      return;
    }
  }
}

/** The labels of a batch, checked: int32 [batch]. */
export function requireLabels(opts: Opts, batch: number, what: string): tf.Tensor1D {
  const y = opts.labels;
  if (!y) throw new Error(`${what} needs class labels: call apply(x, {labels}) with an int32 tensor [batch]`);
  if (y.dtype !== 'int32' || y.rank !== 1 || y.shape[0] !== batch) {
    throw new Error(`${what} needs labels as an int32 tensor [${batch}], got ${y.dtype} [${y.shape.join(', ')}]`);
  }
  return y as tf.Tensor1D;
}

/** Whether a layer reads the labels (ACGAN's head predicts them instead: its loss uses them). */
export function needsLabels(s: { kind: string }): boolean {
  return s.kind === 'labelConcat' || s.kind === 'projection';
}

export function applyConditioning(s: ConditioningLayerSpec, x: tf.Tensor, p: Params, opts: Opts, what: string): tf.Tensor {
  const batch = x.shape[0];
  const labels = () => requireLabels(opts, batch, what);
  switch (s.kind) {
    case 'labelConcat': {
      const y = labels();
      const code = p.embedding ? tf.gather(p.embedding, y) : tf.oneHot(y, s.classes).toFloat(); // [batch, E]
      if (x.rank === 2) return tf.concat([x, code], 1);
      const [, h, w] = x.shape;
      const planes = tf.tile(tf.reshape(code, [batch, 1, 1, -1]), [1, h, w, 1]); // [batch, h, w, E]
      return tf.concat([x, planes], 3);
    }
    case 'projection': {
      const y = labels();
      const kernel = effectiveKernel(p.kernel, p.sn_u, opts);
      const embedding = effectiveKernel(p.embedding, p.embedding_sn_u, opts);
      const linear = tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), p.bias); // [batch, 1]
      const projected = tf.sum(tf.mul(tf.gather(embedding, y), x), 1, true); // [batch, 1]
      return tf.add(linear, projected);
    }
    case 'auxClassifier': {
      const kernel = effectiveKernel(p.kernel, p.sn_u, opts);
      return tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), p.bias); // [batch, 1 + classes]
    }
  }
}
