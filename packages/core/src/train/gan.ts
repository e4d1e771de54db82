import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import { adversarialLosses, type AdversarialLoss } from '../losses/adversarial.js';
import { Network, couplesBatch, type NamedVariable } from '../models/network.js';
import { referenceNnOps, type NnOps } from '../models/nnOps.js';
import { Rng, Stream } from '../util/random.js';
import { adaObserve, diffAugment, type AdaSettings, type AdaState } from './augment.js';
import { adversarialLogits, classLoss, discriminatorLoss, discriminatorTerms, type DiscriminatorTerm, type DiscriminatorView } from './discriminatorLoss.js';
import { Optimizer, clipByGlobalNorm, emaUpdate } from './optimizer.js';

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
  /** The regularizer's value (before its weight), when one ran this step. */
  penalty?: number;
  /** ADA's augmentation probability after this step. */
  augmentP?: number;
  /** No weight of G or D is NaN or infinite after the step (read in the same batch as the rest). */
  weightsFinite?: boolean;
}

/** One D update's inputs. `counter` numbers real batches across the run and seeds per-example randomness. */
export interface DiscriminatorBatch {
  real: tf.Tensor;
  realLabels?: tf.Tensor;
  z: tf.Tensor;
  fakeLabels?: tf.Tensor;
  counter: number;
}

export interface GeneratorBatch {
  z: tf.Tensor;
  fakeLabels?: tf.Tensor;
  counter: number;
  /** A real batch for losses whose G term compares with real images (relativistic). */
  real?: tf.Tensor;
  realLabels?: tf.Tensor;
  /** The counter of that real batch's D step (its augmentation is repeated exactly). */
  realCounter?: number;
}

/** L_D, mean D(x) and D(G(z)) as probabilities, D's accuracy on real and fake, and the penalty (NaN when none ran). */
function discriminatorStats(lossD: tf.Scalar, v: DiscriminatorView, penalty: tf.Scalar | null): tf.Tensor {
  return tf.stack([
    lossD,
    tf.mean(tf.sigmoid(v.realLogits)),
    tf.mean(tf.sigmoid(v.fakeLogits)),
    tf.mean(tf.cast(tf.greater(v.realLogits, 0), 'float32')),
    tf.mean(tf.cast(tf.lessEqual(v.fakeLogits, 0), 'float32')),
    penalty ?? tf.scalar(NaN),
  ]);
}

/**
 * The GAN: G, D, their optimizers and the objective, with the tutorial's steps 3 to 5 as one
 * training step. The loop around it (data, schedule, logs, checkpoints) is in loop.ts.
 */
export class Gan {
  readonly G: Network;
  readonly D: Network;
  /** An exponential moving average of G's weights, used for samples when enabled. */
  readonly Gema: Network | null;
  /** Which G `generate` draws from: the moving average where there is one ('ema'), or G's own weights ('raw'). */
  sampleWeights: 'ema' | 'raw' = 'ema';
  readonly optG: Optimizer;
  readonly optD: Optimizer;
  readonly loss: AdversarialLoss;
  /** The D step runs D once on real and fake together (D has no batch-coupled layer). */
  readonly batchedD: boolean;
  /** ADA's probability and its running overfitting signal (checkpointed with the counters). */
  ada: AdaState;
  /** The terms of D's loss, summed in this order on the steps they run. */
  readonly dTerms: DiscriminatorTerm[];

  /** Step 1: initialise G and D from the seed (their initial weights depend on nothing else). */
  constructor(readonly config: TrainConfig, opts: { fusedOptimizers?: boolean } = {}) {
    this.G = new Network('G', config.generator, config.seed, Stream.initG, config.init);
    this.D = new Network('D', config.discriminator, config.seed, Stream.initD, config.init);
    this.Gema = config.ema ? new Network('G_ema', config.generator, config.seed, Stream.initG, config.init) : null;
    this.optG = new Optimizer(config.optimizerG, this.G.trainable, opts.fusedOptimizers ?? true);
    this.optD = new Optimizer(config.optimizerD, this.D.trainable, opts.fusedOptimizers ?? true);
    this.loss = adversarialLosses[config.loss];
    this.ada = { p: config.ada?.initialP ?? 1, signalSum: 0, signalSteps: 0 };
    this.batchedD = !couplesBatch(config.discriminator);
    this.dTerms = discriminatorTerms(config);
  }

  /**
   * One G update after `config.dSteps` D updates (one per batch in `d`). With `withStats`, the
   * step's statistics stay on the device until the end of the step and are read back in one
   * asynchronous read (with a sum of every weight, for the finiteness check); without, nothing
   * is read back (but ADA's signal, which the next augmentation needs), so a GPU is never
   * waited for.
   */
  async trainStep(step: number, d: DiscriminatorBatch[], g: GeneratorBatch, withStats: boolean): Promise<StepStats | null> {
    let dStats: tf.Tensor | null = null;
    for (let i = 0; i < d.length; i++) {
      const { stats, adaSignal } = this.updateD(step, d[i]!, withStats && i === d.length - 1);
      if (adaSignal) this.observeAda((await adaSignal.data())[0]!, adaSignal, d[i]!.real.shape[0]!);
      if (stats) dStats = stats;
    }
    // a relativistic G term compares with the last D step's real batch
    const last = d[d.length - 1];
    const gBatch = this.loss.relativistic && last ? { ...g, real: last.real, realLabels: last.realLabels, realCounter: last.counter } : g;
    const lossG = this.updateG(step, gBatch, withStats);
    if (!dStats || !lossG) {
      tf.dispose([...(dStats ? [dStats] : []), ...(lossG ? [lossG] : [])]);
      return null;
    }
    const together = tf.tidy(() => tf.concat([dStats as tf.Tensor, tf.reshape(lossG, [1]), tf.reshape(this.weightSum(), [1])]));
    tf.dispose([dStats, lossG]);
    const s = await together.data();
    together.dispose();
    return { ...this.discriminatorStats(s), lossG: s[6]!, weightsFinite: Number.isFinite(s[7]) };
  }

  /**
   * Steps 3 and 4: fakes x = G(z), then one update of D on real and fake with the sum of the
   * loss terms that run at this step (discriminatorLoss.ts: the loss's D term, the tutorial's
   * L_D = -E[log D(x)] - E[log(1 - D(G(z)))], then ACGAN's class term and a regularizer when
   * configured). Only D's variables change.
   */
  discriminatorStep(step: number, b: DiscriminatorBatch, withStats: boolean): Omit<StepStats, 'lossG'> | null {
    const { stats, adaSignal } = this.updateD(step, b, withStats);
    if (adaSignal) this.observeAda(adaSignal.dataSync()[0]!, adaSignal, b.real.shape[0]!);
    if (!stats) return null;
    const s = stats.dataSync();
    stats.dispose();
    return this.discriminatorStats(s);
  }

  /**
   * The D update of `discriminatorStep`, reading nothing back: its statistics ([L_D, D(x),
   * D(G(z)), accuracy on real, on fake, penalty or NaN]) and ADA's signal stay on the device.
   */
  private updateD(step: number, b: DiscriminatorBatch, withStats: boolean): { stats: tf.Tensor | null; adaSignal: tf.Tensor | null } {
    // G's output is computed outside the gradient tape, so nothing flows back into G,
    // and batchnorm's running statistics are left alone: G's state is untouched.
    const fake = tf.tidy(() => this.G.apply(b.z, { training: true, labels: b.fakeLabels }));
    const terms = this.dTerms.filter((t) => step % t.every === 0);
    // a gradient of a gradient needs the plain ops (the fused ones are differentiable once)
    const ops = terms.some((t) => t.kind === 'regularizer') ? referenceNnOps : undefined;
    let stats = null as tf.Tensor | null;
    let adaSignal = null as tf.Tensor | null;
    try {
      const { value, grads } = tf.variableGrads(() => {
        const { realOut, fakeOut } = this.discriminate(b, fake, step, ops);
        const view: DiscriminatorView = {
          batch: b, fake, realOut, fakeOut,
          realLogits: adversarialLogits(realOut, this.config),
          fakeLogits: adversarialLogits(fakeOut, this.config),
          critic: (labels) => (input) => adversarialLogits(this.D.apply(input, { training: true, labels, ops }), this.config),
        };
        if (this.config.ada) adaSignal = tf.keep(tf.mean(tf.sign(view.realLogits)));
        const { loss, penalty } = discriminatorLoss(terms, view);
        if (withStats) stats = tf.keep(discriminatorStats(loss, view, penalty));
        return loss;
      }, this.D.trainable.map((v) => v.variable));
      value.dispose();
      this.update(this.optD, this.D.trainable, grads);
    } finally {
      fake.dispose();
    }
    if (this.config.weightClip !== null) this.clipDWeights(this.config.weightClip);
    return { stats, adaSignal };
  }

  /** D's outputs on the real batch and the fakes (after instance noise and augmentation). */
  private discriminate(b: DiscriminatorBatch, fake: tf.Tensor, step: number, ops: NnOps | undefined): { realOut: tf.Tensor; fakeOut: tf.Tensor } {
    const realIn = this.prepareForD(b.real, step, b.counter, 0);
    const fakeIn = this.prepareForD(fake, step, b.counter, 1);
    if (!this.batchedD) {
      // one power iteration of D's spectral norms per D update (stored on the real pass only)
      return {
        realOut: this.D.apply(realIn, { training: true, updateStats: true, labels: b.realLabels, ops }),
        fakeOut: this.D.apply(fakeIn, { training: true, labels: b.fakeLabels, ops }),
      };
    }
    // One call of D on real and fake together: the same per-example outputs as two calls
    // (D has no batch-coupled layer), half the kernel calls, matrix products twice as
    // large, and one power iteration of the spectral norms, stored.
    const n = realIn.shape[0]!;
    const labels = b.realLabels && b.fakeLabels ? tf.concat([tf.cast(b.realLabels, 'int32'), tf.cast(b.fakeLabels, 'int32')]) : undefined;
    const out = this.D.apply(tf.concat([realIn, fakeIn]), { training: true, updateStats: true, labels, ops });
    const [realOut, fakeOut] = tf.split(out, [n, out.shape[0]! - n]);
    return { realOut, fakeOut };
  }

  /** ADA: one more observation of D's overfitting signal (the mean sign of its logits on real images). */
  private observeAda(value: number, signal: tf.Tensor, batchSize: number): void {
    signal.dispose();
    this.ada = adaObserve(this.ada, this.config.ada as AdaSettings, value, batchSize);
  }

  /** The D step's statistics from the first six values of a read ([L_D, D(x), D(G(z)), accuracies, penalty or NaN]). */
  private discriminatorStats(s: ArrayLike<number>): Omit<StepStats, 'lossG'> {
    return {
      lossD: s[0]!, dReal: s[1]!, dFake: s[2]!, accReal: s[3]!, accFake: s[4]!,
      ...(Number.isNaN(s[5]) ? {} : { penalty: s[5]! }),
      ...(this.config.ada ? { augmentP: this.ada.p } : {}),
    };
  }

  /** The original WGAN's constraint: every weight of D in [-clip, clip] after its update. */
  private clipDWeights(clip: number): void {
    tf.tidy(() => this.D.trainable.forEach((v) => v.variable.assign(tf.clipByValue(v.variable, -clip, clip))));
  }

  /**
   * Step 5: fresh fakes from new noise, one update of G with the loss's generator term
   * (L_G = -E[log D(G(z))] for the tutorial's loss). Only G's variables change.
   * Returns L_G when asked for stats.
   */
  generatorStep(step: number, b: GeneratorBatch, withStats: boolean): number | null {
    const value = this.updateG(step, b, withStats);
    if (!value) return null;
    const lossG = value.dataSync()[0]!;
    value.dispose();
    return lossG;
  }

  /** The G update of `generatorStep`, reading nothing back: L_G stays on the device (when asked for). */
  private updateG(step: number, b: GeneratorBatch, withStats: boolean): tf.Scalar | null {
    const c = this.config;
    // D's logits on the real batch do not depend on G: computed outside the gradient tape
    let realLogits: tf.Tensor | undefined;
    if (this.loss.relativistic) {
      const real = b.real;
      if (!real) throw new Error('the relativistic loss needs a real batch in the G step');
      realLogits = tf.tidy(() =>
        adversarialLogits(this.D.apply(this.prepareForD(real, step, b.realCounter ?? b.counter, 0), { training: true, labels: b.realLabels }), c));
    }
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      result = tf.variableGrads(() => {
        const fake = this.G.apply(b.z, { training: true, updateStats: true, labels: b.fakeLabels });
        const out = this.D.apply(this.prepareForD(fake, step, b.counter, 2), { training: true, labels: b.fakeLabels });
        let lossG = this.loss.generator(adversarialLogits(out, c), realLogits);
        if (c.auxClassifierWeight > 0) lossG = tf.add(lossG, tf.mul(c.auxClassifierWeight, classLoss(out, b.fakeLabels))) as tf.Scalar;
        return lossG;
      }, this.G.trainable.map((v) => v.variable));
    } finally {
      realLogits?.dispose();
    }
    const { value, grads } = result;
    this.update(this.optG, this.G.trainable, grads);
    if (this.Gema && c.ema) this.updateEma(step, c.ema.decay, c.ema.startStep);
    if (withStats) return value;
    value.dispose();
    return null;
  }

  /** Instance noise and DiffAugment, applied to everything D sees. `which`: 0 real, 1 fake (D step), 2 fake (G step). */
  private prepareForD(x: tf.Tensor, step: number, counter: number, which: number): tf.Tensor {
    const c = this.config;
    let y = x;
    if (c.instanceNoise) {
      const std = c.instanceNoise.std * Math.max(0, 1 - step / c.instanceNoise.annealSteps);
      if (std > 0) y = tf.add(y, tf.tensor(new Rng(c.seed, Stream.instanceNoise, counter * 3 + which).fillNormal(new Float32Array(y.size), 0, std), y.shape));
    }
    if (c.augment.length > 0) y = diffAugment(y as tf.Tensor4D, c.augment, new Rng(c.seed, Stream.augment, counter * 3 + which), c.ada ? this.ada.p : 1);
    return y;
  }

  private update(opt: Optimizer, params: NamedVariable[], grads: tf.NamedTensorMap): void {
    // a variable with no path to the loss (or only through piecewise-constant ops) gets a zero gradient
    let ordered = params.map((p) => grads[p.variable.name] ?? tf.zerosLike(p.variable));
    const clip = this.config.clipGradNorm;
    if (clip !== null) {
      const clipped = clipByGlobalNorm(ordered, clip);
      tf.dispose(ordered);
      ordered = clipped;
    }
    opt.apply(ordered);
    tf.dispose(ordered);
  }

  private updateEma(step: number, decay: number, startStep: number): void {
    const ema = this.Gema as Network;
    const d = step < startStep ? 0 : decay;
    tf.tidy(() => {
      emaUpdate(ema.trainable.map((e) => e.variable), this.G.trainable.map((v) => v.variable), d);
      // batchnorm statistics are copied, not averaged
      // (G's statistics are replaced by assign, never changed in place, so sharing is safe)
      ema.state.forEach((e, i) => e.variable.assign(this.G.state[i].variable));
    });
  }

  /** Images from G (its moving average when enabled, unless sampleWeights is 'raw') in inference mode, [n, h, w, c]. */
  generate(z: tf.Tensor, labels?: tf.Tensor): tf.Tensor {
    const g = this.sampleWeights === 'raw' ? this.G : (this.Gema ?? this.G);
    return tf.tidy(() => g.apply(z, { training: false, labels }));
  }

  /** Every variable a checkpoint holds, by stable name. */
  namedState(): Record<string, NamedVariable[]> {
    return {
      generator: this.G.allVariables(),
      discriminator: this.D.allVariables(),
      optimizerG: this.optG.slots,
      optimizerD: this.optD.slots,
      ...(this.Gema ? { generatorEma: this.Gema.allVariables() } : {}),
    };
  }

  /** The numbers besides tensors that a checkpoint must hold to continue exactly. */
  counters(): Record<string, number> {
    return {
      optimizerG: this.optG.iterations,
      optimizerD: this.optD.iterations,
      learningRateScaleG: this.optG.learningRateScale,
      learningRateScaleD: this.optD.learningRateScale,
      ...(this.config.ada ? { adaP: this.ada.p, adaSignalSum: this.ada.signalSum, adaSignalSteps: this.ada.signalSteps } : {}),
    };
  }

  restoreCounters(c: Record<string, number>): void {
    this.optG.iterations = c.optimizerG ?? 0;
    this.optD.iterations = c.optimizerD ?? 0;
    this.optG.learningRateScale = c.learningRateScaleG ?? 1;
    this.optD.learningRateScale = c.learningRateScaleD ?? 1;
    if (this.config.ada) {
      this.ada = { p: c.adaP ?? this.config.ada.initialP, signalSum: c.adaSignalSum ?? 0, signalSteps: c.adaSignalSteps ?? 0 };
    }
  }

  /** True when no weight of G or D is NaN or infinite (one small read-back). */
  weightsFinite(): boolean {
    const total = this.weightSum();
    const value = total.dataSync()[0];
    total.dispose();
    return Number.isFinite(value);
  }

  /**
   * The sum of every weight of G and D: NaN or infinite exactly when one of them is. Added one
   * by one: a GPU kernel that adds them all at once needs a storage buffer per input, more than
   * a shader stage may bind.
   */
  private weightSum(): tf.Scalar {
    const vars = [...this.G.allVariables(), ...this.D.allVariables()].map((v) => v.variable);
    return tf.tidy(() => vars.reduce<tf.Scalar>((total, v) => tf.add(total, tf.sum(v)), tf.scalar(0)));
  }

  dispose(): void {
    this.G.dispose();
    this.D.dispose();
    this.Gema?.dispose();
    this.optG.dispose();
    this.optD.dispose();
  }
}
