import * as tf from '@tensorflow/tfjs';

/**
 * Penalties on D's gradient with respect to its input. Each needs a gradient of a gradient:
 * the inner one (d D / d x) is built on the tape, the outer one differentiates it.
 *
 *   gradient penalty (WGAN-GP, Gulrajani et al.): E[(||grad D(x_hat)|| - c)^2] with
 *     x_hat = e * x_real + (1 - e) * x_fake, e ~ U[0, 1] per sample; c = 1 (one-centred)
 *     or 0 (zero-centred)
 *   R1 (Mescheder et al.): E[||grad D(x_real)||^2] / 2;  R2: the same on fakes
 */
export type RegularizerSettings =
  | { kind: 'gradient-penalty'; weight: number; center: 0 | 1; every: number }
  | { kind: 'r1' | 'r2'; weight: number; every: number };

type Critic = (x: tf.Tensor) => tf.Tensor;

/** d sum(D(x)) / d x, on the tape so that it can be differentiated again. */
export function inputGradient(critic: Critic, x: tf.Tensor): tf.Tensor {
  return tf.grad((input: tf.Tensor) => tf.sum(critic(input)))(x);
}

/** Squared L2 norm of each example's gradient: [batch]. */
function squaredNorms(g: tf.Tensor): tf.Tensor {
  const axes = g.shape.slice(1).map((_, i) => i + 1);
  return tf.sum(tf.square(g), axes);
}

/**
 * The gradient penalty. `epsilon` holds one interpolation weight per example, drawn from
 * U[0, 1] (not a normal distribution). The norm is sqrt(|g|^2 + 1e-12): finite, with a finite
 * derivative, even where the gradient vanishes.
 */
export function gradientPenalty(critic: Critic, real: tf.Tensor, fake: tf.Tensor, epsilon: Float32Array, center: 0 | 1): tf.Scalar {
  const e = tf.tensor(epsilon, [real.shape[0], ...real.shape.slice(1).map(() => 1)]);
  const mixed = tf.add(tf.mul(e, real), tf.mul(tf.sub(1, e), fake));
  const g = inputGradient(critic, mixed);
  const sq = squaredNorms(g);
  if (center === 0) return tf.mean(sq) as tf.Scalar;
  return tf.mean(tf.square(tf.sub(tf.sqrt(tf.add(sq, 1e-12)), 1))) as tf.Scalar;
}

/** R1 on real images, R2 on fakes: E[||grad D(x)||^2] / 2. */
export function gradientNormSquared(critic: Critic, x: tf.Tensor): tf.Scalar {
  return tf.mul(0.5, tf.mean(squaredNorms(inputGradient(critic, x)))) as tf.Scalar;
}
