import type { ImageOptions } from './data/imageOptions.js';
import type { LossName } from './losses/adversarial.js';
import type { RegularizerSettings } from './losses/regularizers.js';
import type { NetworkSpec } from './models/network.js';
import type { WeightInit } from './models/initializers.js';
import type { AdaSettings, AugmentOp } from './train/augment.js';
import type { OptimizerSettings } from './train/optimizer.js';

/**
 * The types of a training run's settings, apart from the code that resolves and checks them
 * (config.ts): presets and everything else that only describes settings depend on this file,
 * and config.ts on the presets, with no import circle.
 */

export type BackendChoice = 'auto' | 'webgpu' | 'onednn' | 'tensorflow' | 'cpu';

/** Every setting of a training run, resolved; written to the run directory as config.json. */
export interface TrainConfig {
  preset: string;
  data: string;
  /** How image files (folder:, emoji) are fitted to the model: resize mode, background, flips, strictness. */
  dataOptions: ImageOptions;
  pixelRange: '0,1' | '-1,1';
  latentDim: number;
  generator: NetworkSpec;
  discriminator: NetworkSpec;
  loss: LossName;
  optimizerG: OptimizerSettings;
  optimizerD: OptimizerSettings;
  batchSize: number;
  /** Total number of D+G updates; with `epochs` set it is derived from the data size. */
  steps: number;
  epochs: number | null;
  /** The last batch of an epoch that would be smaller than batchSize is dropped (it reappears, reshuffled, later). */
  lastBatch: 'drop';
  seed: number;
  logEvery: number;
  sampleEvery: number;
  /** Images in each sample grid, from one fixed noise batch. */
  sampleCount: number;
  checkpointEvery: number;
  /** Complete checkpoints kept on disk (the newest ones). */
  keepCheckpoints: number;
  backend: BackendChoice;
  /** What to do when a loss or weight turns NaN/Inf: stop at the last good checkpoint, or roll back there and halve the learning rates (at most 3 times). */
  onDivergence: 'stop' | 'lower-lr';
  /** Steps between evaluations of G's samples (FID, KID, ...); 0 turns evaluation off. Needs mnist or fashion-mnist data. */
  evalEvery: number;
  /** Samples generated for each evaluation. */
  evalSamples: number;
  /** Stop when FID (Gantry's classifier features) falls to this value; null: never. */
  untilFid: number | null;
  /** Stop when KID falls to this value; null: never. */
  untilKid: number | null;
  /** D updates per G update (n_critic). */
  dSteps: number;
  /** A penalty on D's input gradient (WGAN-GP, R1, R2), or null. */
  regularizer: RegularizerSettings | null;
  /** One-sided label smoothing: D's target for real images is 1 - this (BCE losses only). */
  labelSmoothing: number;
  /** Probability of flipping each of D's targets (BCE losses only). */
  labelFlip: number;
  /** Gaussian noise added to every image D sees, its std falling linearly to 0 over annealSteps. */
  instanceNoise: { std: number; annealSteps: number } | null;
  /** Clip each network's gradients to this global L2 norm; null: no clipping. */
  clipGradNorm: number | null;
  /** Clip D's weights to [-c, c] after each update (the original WGAN); null: off. */
  weightClip: number | null;
  /** Learning-rate schedule, as a factor on both optimizers' rates. */
  lrSchedule: LrSchedule;
  /** Exponential moving average of G's weights, used for samples and evaluation; null: off. */
  ema: { decay: number; startStep: number } | null;
  /** DiffAugment transforms applied to real and fake images before D; [] is off. */
  augment: AugmentOp[];
  /** ADA: apply each augment op with a probability that adapts to D's overfitting; null: always apply. */
  ada: AdaSettings | null;
  /** Condition G and D on class labels (the data must have labels; the networks need conditioning layers). */
  conditional: boolean;
  /** Classes of a conditional run, taken from the data's labels when training starts. */
  numClasses: number | null;
  /** Weight of ACGAN's auxiliary classification loss (D's output is 1 + classes logits); 0 is off. */
  auxClassifierWeight: number;
  /**
   * How a conditional run draws its fakes' classes in training: `uniform` over the classes, or
   * `data`, at the classes' frequencies in the data, so that D cannot tell real from fake by
   * the label alone when the classes are unbalanced.
   */
  fakeLabels: 'uniform' | 'data';
  /** How G's and D's kernels are drawn at step 0: Glorot-uniform (Keras'), or N(0, std). */
  init: WeightInit;
}

export type LrSchedule =
  | { kind: 'constant' }
  | { kind: 'linear' | 'cosine'; warmupSteps: number; endScale: number };

