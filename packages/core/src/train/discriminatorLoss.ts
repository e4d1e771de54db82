import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import { adversarialLosses, crossEntropyWithTargets } from '../losses/adversarial.js';
import { gradientNormSquared, gradientPenalty, type RegularizerSettings } from '../losses/regularizers.js';
import { Rng, Stream } from '../util/random.js';
import type { DiscriminatorBatch } from './gan.js';

/** What a term of D's loss may read: the batch, the fakes, and D's outputs on both. */
export interface DiscriminatorView {
  batch: DiscriminatorBatch;
  /** G(z) for this batch, made outside the tape. */
  fake: tf.Tensor;
  /** D's whole output on the real and the fake images ([n, 1], or [n, 1 + classes] for ACGAN). */
  realOut: tf.Tensor;
  fakeOut: tf.Tensor;
  /** D's adversarial logit on each ([n, 1]). */
  realLogits: tf.Tensor;
  fakeLogits: tf.Tensor;
  /** D's adversarial logit as a function of its input, for the gradient penalties (with ops that differentiate twice). */
  critic: (labels?: tf.Tensor) => (input: tf.Tensor) => tf.Tensor;
}

/**
 * One term of D's loss. The D step adds the terms that run at its step, in list order, each
 * times its weight (a weight of null: the term as it is).
 */
export interface DiscriminatorTerm {
  name: 'adversarial' | 'auxiliary-class' | RegularizerSettings['kind'];
  /** A regularizer is differentiated twice (so D runs on the plain ops) and is logged as loss/penalty. */
  kind: 'loss' | 'regularizer';
  weight: number | null;
  /** The term runs on steps that are a multiple of this (lazy regularization). */
  every: number;
  value(view: DiscriminatorView): tf.Scalar;
}

/** The terms of D's loss that a config asks for, in the order they are summed. */
export function discriminatorTerms(c: TrainConfig): DiscriminatorTerm[] {
  const terms: DiscriminatorTerm[] = [{ name: 'adversarial', kind: 'loss', weight: null, every: 1, value: adversarialTerm(c) }];
  if (c.auxClassifierWeight > 0) terms.push({ name: 'auxiliary-class', kind: 'loss', weight: c.auxClassifierWeight, every: 1, value: auxiliaryClassTerm });
  const reg = c.regularizer;
  if (reg) {
    const value = reg.kind === 'gradient-penalty' ? gradientPenaltyTerm(c.seed, reg.center) : reg.kind === 'r1' ? r1Term : r2Term;
    // lazy regularization: applied every k steps with k times the weight
    terms.push({ name: reg.kind, kind: 'regularizer', weight: reg.weight * reg.every, every: reg.every, value });
  }
  return terms;
}

/**
 * D's loss from the terms that run at a step: each times its weight, added in list order.
 * `penalty` is the regularizer's own value (before its weight) when one ran, for the log.
 */
export function discriminatorLoss(terms: readonly DiscriminatorTerm[], view: DiscriminatorView): { loss: tf.Scalar; penalty: tf.Scalar | null } {
  let loss: tf.Scalar | null = null;
  let penalty: tf.Scalar | null = null;
  for (const term of terms) {
    const value = term.value(view);
    if (term.kind === 'regularizer') penalty = value;
    const weighted = term.weight === null ? value : (tf.mul(term.weight, value) as tf.Scalar);
    loss = loss === null ? weighted : (tf.add(loss, weighted) as tf.Scalar);
  }
  if (loss === null) throw new Error('D\'s loss has no term at this step');
  return { loss, penalty };
}

/**
 * The loss's D term (the tutorial's L_D = -E[log D(x)] - E[log(1 - D(G(z)))] for the
 * non-saturating loss), or binary cross-entropy with smoothed or flipped targets when asked.
 */
function adversarialTerm(c: TrainConfig): (v: DiscriminatorView) => tf.Scalar {
  const loss = adversarialLosses[c.loss];
  if (c.labelSmoothing === 0 && c.labelFlip === 0) return (v) => loss.discriminator(v.realLogits, v.fakeLogits);
  return (v) => {
    const n = v.realLogits.shape[0];
    const rng = new Rng(c.seed, Stream.labelNoise, v.batch.counter);
    const targets = (base: number) => {
      const t = new Float32Array(n).fill(base);
      for (let i = 0; i < n; i++) if (rng.uniform() < c.labelFlip) t[i] = base > 0.5 ? 0 : 1;
      return tf.tensor(t, v.realLogits.shape);
    };
    return tf.add(crossEntropyWithTargets(v.realLogits, targets(1 - c.labelSmoothing)), crossEntropyWithTargets(v.fakeLogits, targets(0))) as tf.Scalar;
  };
}

/** ACGAN: D also names the class of the real images and of the fakes. */
function auxiliaryClassTerm(v: DiscriminatorView): tf.Scalar {
  return tf.add(classLoss(v.realOut, v.batch.realLabels), classLoss(v.fakeOut, v.batch.fakeLabels)) as tf.Scalar;
}

/** WGAN-GP: (|grad D| - center)^2 at random points between real and fake images. */
function gradientPenaltyTerm(seed: number, center: 0 | 1): (v: DiscriminatorView) => tf.Scalar {
  return (v) => {
    const eps = new Rng(seed, Stream.gpEpsilon, v.batch.counter).fillUniform(new Float32Array(v.batch.real.shape[0]), 0, 1);
    return gradientPenalty(v.critic(v.batch.realLabels), v.batch.real, v.fake, eps, center);
  };
}

/** R1: |grad D|^2 on the real images. */
function r1Term(v: DiscriminatorView): tf.Scalar {
  return gradientNormSquared(v.critic(v.batch.realLabels), v.batch.real);
}

/** R2: |grad D|^2 on the fakes. */
function r2Term(v: DiscriminatorView): tf.Scalar {
  return gradientNormSquared(v.critic(v.batch.fakeLabels), v.fake);
}

/** The adversarial logit: D's whole output, or its first column when D also classifies (ACGAN). */
export function adversarialLogits(out: tf.Tensor, c: Pick<TrainConfig, 'auxClassifierWeight'>): tf.Tensor {
  return c.auxClassifierWeight > 0 ? tf.slice(out, [0, 0], [-1, 1]) : out;
}

/** ACGAN's class loss: softmax cross-entropy of D's class logits (every column after the first). */
export function classLoss(out: tf.Tensor, labels: tf.Tensor | undefined): tf.Scalar {
  if (!labels) throw new Error('the auxiliary classifier needs labels');
  const classes = out.shape[1]! - 1;
  const logits = tf.slice(out, [0, 1], [-1, classes]);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(labels, 'int32'), classes), logits) as tf.Scalar;
}
