import * as tf from '@tensorflow/tfjs';

/**
 * An adversarial loss: pure functions of the discriminator's logits (pre-sigmoid scores).
 * Written with softplus so they stay finite for any logit:
 *   -log(sigmoid(t)) = softplus(-t),   -log(1 - sigmoid(t)) = softplus(t).
 */
export interface AdversarialLoss {
  readonly name: LossName;
  /** L_D from D's logits on a real batch and a fake batch. */
  discriminator(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar;
  /** L_G from D's logits on a fake batch (the real logits are given for relativistic losses). */
  generator(fakeLogits: tf.Tensor, realLogits?: tf.Tensor): tf.Scalar;
  /** True when the generator term needs D's logits on a real batch too. */
  readonly relativistic?: boolean;
}

export type LossName = 'non-saturating' | 'minimax' | 'least-squares' | 'hinge' | 'wasserstein' | 'relativistic-average';

const mean = (t: tf.Tensor) => tf.mean(t) as tf.Scalar;

/**
 * The tutorial's objective (step 4 and step 5):
 *   L_D = -E[log D(x)] - E[log(1 - D(G(z)))]
 *   L_G = -E[log D(G(z))]            (non-saturating: strong gradients early in training)
 */
export const nonSaturatingLoss: AdversarialLoss = {
  name: 'non-saturating',
  discriminator: (real, fake) => tf.add(mean(tf.softplus(tf.neg(real))), mean(tf.softplus(fake))) as tf.Scalar,
  generator: (fake) => mean(tf.softplus(tf.neg(fake))),
};

/** The original minimax game: G minimises E[log(1 - D(G(z)))], which saturates when D wins. */
export const minimaxLoss: AdversarialLoss = {
  name: 'minimax',
  discriminator: nonSaturatingLoss.discriminator,
  generator: (fake) => tf.neg(mean(tf.softplus(fake))) as tf.Scalar,
};

/** LSGAN (Mao et al.): targets 1 for real and 0 for fake on D's raw output. */
export const leastSquaresLoss: AdversarialLoss = {
  name: 'least-squares',
  discriminator: (real, fake) =>
    tf.mul(0.5, tf.add(mean(tf.square(tf.sub(real, 1))), mean(tf.square(fake)))) as tf.Scalar,
  generator: (fake) => tf.mul(0.5, mean(tf.square(tf.sub(fake, 1)))) as tf.Scalar,
};

/** Hinge loss (Geometric GAN, SAGAN, SNGAN). */
export const hingeLoss: AdversarialLoss = {
  name: 'hinge',
  discriminator: (real, fake) =>
    tf.add(mean(tf.relu(tf.sub(1, real))), mean(tf.relu(tf.add(1, fake)))) as tf.Scalar,
  generator: (fake) => tf.neg(mean(fake)) as tf.Scalar,
};

/** Wasserstein critic loss; needs a Lipschitz constraint (clipping or a gradient penalty). */
export const wassersteinLoss: AdversarialLoss = {
  name: 'wasserstein',
  discriminator: (real, fake) => tf.sub(mean(fake), mean(real)) as tf.Scalar,
  generator: (fake) => tf.neg(mean(fake)) as tf.Scalar,
};

/**
 * Relativistic average GAN (RaSGAN, Jolicoeur-Martineau 2018): D estimates how much more
 * realistic a real image is than the average fake, and the reverse. With C the logits,
 *   L_D = -E_x[log sigmoid(C(x) - E_f C(f))] - E_f[log(1 - sigmoid(C(f) - E_x C(x)))]
 *   L_G = -E_f[log sigmoid(C(f) - E_x C(x))] - E_x[log(1 - sigmoid(C(x) - E_f C(f)))]
 * so G's loss depends on the real batch's logits as well.
 */
export const relativisticAverageLoss: AdversarialLoss = {
  name: 'relativistic-average',
  relativistic: true,
  discriminator: (real, fake) => relativisticTerms(real, fake),
  generator: (fake, real) => {
    if (real === undefined) throw new Error('the relativistic average loss needs the real logits for G');
    return relativisticTerms(fake, real);
  },
};

/** -E[log sigmoid(a - mean b)] - E[log(1 - sigmoid(b - mean a))], with softplus. */
function relativisticTerms(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  const aOverB = tf.sub(a, tf.mean(b));
  const bOverA = tf.sub(b, tf.mean(a));
  return tf.add(mean(tf.softplus(tf.neg(aOverB))), mean(tf.softplus(bOverA))) as tf.Scalar;
}

/**
 * Binary cross-entropy against soft targets t in [0, 1], from logits:
 *   -t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)) = softplus(x) - t x
 * Used for one-sided label smoothing and label flips.
 */
export function crossEntropyWithTargets(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.mean(tf.sub(tf.softplus(logits), tf.mul(targets, logits))) as tf.Scalar;
}

export const adversarialLosses: Record<LossName, AdversarialLoss> = {
  'non-saturating': nonSaturatingLoss,
  minimax: minimaxLoss,
  'least-squares': leastSquaresLoss,
  hinge: hingeLoss,
  wasserstein: wassersteinLoss,
  'relativistic-average': relativisticAverageLoss,
};
