import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import { adversarialLosses, type AdversarialLoss } from '../losses/adversarial.js';
import { Network, type NamedVariable } from '../models/network.js';
import { Stream } from '../util/random.js';
import { Optimizer } from './optimizer.js';

/** What one step reports when asked (read back from the device only on logging steps). */
export interface StepStats {
  lossD: number;
  lossG: number;
  /** Mean D(x) on the real batch, as a probability. */
  dReal: number;
  /** Mean D(G(z)) on the fake batch of the D step. */
  dFake: number;
  /** Fraction of real images D scores above 0.5, and of fakes below. */
  accReal: number;
  accFake: number;
}

/**
 * The GAN: G, D, their optimizers and the loss, with the tutorial's steps 3 to 5 as one
 * training step. The loop around it (data, schedule, logs, checkpoints) is in loop.ts.
 */
export class Gan {
  readonly G: Network;
  readonly D: Network;
  readonly optG: Optimizer;
  readonly optD: Optimizer;
  readonly loss: AdversarialLoss;

  /** Step 1: initialise G and D from the seed (their initial weights depend on nothing else). */
  constructor(readonly config: TrainConfig, opts: { fusedOptimizers?: boolean } = {}) {
    this.G = new Network('G', config.generator, config.seed, Stream.initG);
    this.D = new Network('D', config.discriminator, config.seed, Stream.initD);
    this.optG = new Optimizer(config.optimizerG, this.G.trainable, opts.fusedOptimizers ?? true);
    this.optD = new Optimizer(config.optimizerD, this.D.trainable, opts.fusedOptimizers ?? true);
    this.loss = adversarialLosses[config.loss];
  }

  /**
   * One D update and one G update.
   * @param real  a batch of real images, NHWC, in the config's pixel range
   * @param zD    noise for the fakes D trains on, [batch, latentDim]
   * @param zG    fresh noise for the G step, [batch, latentDim]
   * @param withStats  read losses and D's scores back (costs a sync); otherwise returns null
   */
  trainStep(real: tf.Tensor, zD: tf.Tensor, zG: tf.Tensor, withStats: boolean): StepStats | null {
    const d = this.discriminatorStep(real, zD, withStats);
    const lossG = this.generatorStep(zG, withStats);
    return d && lossG !== null ? { ...d, lossG } : null;
  }

  /**
   * Steps 3 and 4: fakes x = G(z), then one update of D on real and fake with
   * L_D = -E[log D(x)] - E[log(1 - D(G(z)))]. Only D's variables change.
   */
  discriminatorStep(real: tf.Tensor, z: tf.Tensor, withStats: boolean): Omit<StepStats, 'lossG'> | null {
    // G's output is computed outside the gradient tape, so nothing flows back into G,
    // and batchnorm's running statistics are left alone: G's state is untouched.
    const fake = tf.tidy(() => this.G.apply(z, { training: true }));
    let stats: tf.Tensor | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const realLogits = this.D.apply(real, { training: true });
      const fakeLogits = this.D.apply(fake, { training: true });
      const lossD = this.loss.discriminator(realLogits, fakeLogits);
      if (withStats) {
        stats = tf.keep(tf.stack([
          lossD,
          tf.mean(tf.sigmoid(realLogits)),
          tf.mean(tf.sigmoid(fakeLogits)),
          tf.mean(tf.cast(tf.greater(realLogits, 0), 'float32')),
          tf.mean(tf.cast(tf.lessEqual(fakeLogits, 0), 'float32')),
        ]));
      }
      return lossD;
    }, this.D.trainable.map((v) => v.variable));
    fake.dispose();
    value.dispose();
    applyGradients(this.optD, this.D.trainable, grads);
    if (!stats) return null;
    const kept = stats as tf.Tensor;
    const s = kept.dataSync();
    kept.dispose();
    return { lossD: s[0], dReal: s[1], dFake: s[2], accReal: s[3], accFake: s[4] };
  }

  /**
   * Step 5: fresh fakes from new noise, one update of G with the loss's generator term
   * (L_G = -E[log D(G(z))] for the tutorial's loss). Only G's variables change.
   * Returns L_G when asked for stats.
   */
  generatorStep(z: tf.Tensor, withStats: boolean): number | null {
    const { value, grads } = tf.variableGrads(() => {
      const fakeLogits = this.D.apply(this.G.apply(z, { training: true, updateStats: true }), { training: true });
      return this.loss.generator(fakeLogits);
    }, this.G.trainable.map((v) => v.variable));
    applyGradients(this.optG, this.G.trainable, grads);
    const lossG = withStats ? value.dataSync()[0] : null;
    value.dispose();
    return lossG;
  }

  /** Images from G in inference mode (batchnorm uses its running statistics), [n, h, w, c]. */
  generate(z: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.G.apply(z, { training: false }));
  }

  /** Every variable a checkpoint holds, by stable name. */
  namedState(): { generator: NamedVariable[]; discriminator: NamedVariable[]; optimizerG: NamedVariable[]; optimizerD: NamedVariable[] } {
    return {
      generator: this.G.allVariables(),
      discriminator: this.D.allVariables(),
      optimizerG: this.optG.slots,
      optimizerD: this.optD.slots,
    };
  }

  /** The numbers besides tensors that a checkpoint must hold to continue exactly. */
  counters(): Record<string, number> {
    return {
      optimizerG: this.optG.iterations,
      optimizerD: this.optD.iterations,
      learningRateScaleG: this.optG.learningRateScale,
      learningRateScaleD: this.optD.learningRateScale,
    };
  }

  restoreCounters(c: Record<string, number>): void {
    this.optG.iterations = c.optimizerG ?? 0;
    this.optD.iterations = c.optimizerD ?? 0;
    this.optG.learningRateScale = c.learningRateScaleG ?? 1;
    this.optD.learningRateScale = c.learningRateScaleD ?? 1;
  }

  /** True when no weight of G or D is NaN or infinite (one small read-back). */
  weightsFinite(): boolean {
    const vars = [...this.G.allVariables(), ...this.D.allVariables()].map((v) => v.variable);
    const total = tf.tidy(() => tf.addN(vars.map((v) => tf.sum(v))));
    const value = total.dataSync()[0];
    total.dispose();
    return Number.isFinite(value);
  }

  dispose(): void {
    this.G.dispose();
    this.D.dispose();
    this.optG.dispose();
    this.optD.dispose();
  }
}

function applyGradients(opt: Optimizer, params: NamedVariable[], grads: tf.NamedTensorMap): void {
  const ordered = params.map((p) => grads[p.variable.name]);
  opt.apply(ordered);
  for (const g of ordered) g.dispose();
}
