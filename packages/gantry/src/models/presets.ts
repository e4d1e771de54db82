import type { NetworkSpec } from './network.js';
import type { LossName } from '../losses/adversarial.js';
import type { TrainConfig } from '../config.js';
import { kerasAdamDefaults, type OptimizerSettings } from '../train/optimizer.js';

/** What a preset fixes: the networks, the loss, the optimizers and the data it expects. */
export interface Preset extends Partial<Omit<TrainConfig, 'preset' | 'generator' | 'discriminator' | 'data'>> {
  description: string;
  data: string;
  /** Range of G's output and of the real images fed to D. */
  pixelRange: '0,1' | '-1,1';
  latentDim: number;
  generator: NetworkSpec;
  discriminator: NetworkSpec;
  loss: LossName;
  optimizerG: OptimizerSettings;
  optimizerD: OptimizerSettings;
  batchSize: number;
  steps: number;
}

/** The tutorial's Keras example, layer for layer (D's final sigmoid lives inside the loss). */
function seedMlp(): Preset {
  return {
    description: "the tutorial's Keras MLP: G 100 -> 128 ReLU -> 784 sigmoid; D 784 -> 128 ReLU -> 1",
    data: 'mnist',
    pixelRange: '0,1',
    latentDim: 100,
    generator: {
      input: [100],
      layers: [
        { kind: 'dense', units: 128 },
        { kind: 'relu' },
        { kind: 'dense', units: 784 },
        { kind: 'sigmoid' },
        { kind: 'reshape', shape: [28, 28, 1] },
      ],
    },
    discriminator: {
      input: [28, 28, 1],
      layers: [
        { kind: 'flatten' },
        { kind: 'dense', units: 128 },
        { kind: 'relu' },
        { kind: 'dense', units: 1 },
      ],
    },
    loss: 'non-saturating',
    optimizerG: { ...kerasAdamDefaults },
    optimizerD: { ...kerasAdamDefaults },
    batchSize: 32,
    steps: 10000,
  };
}

/** DCGAN for 28x28x1 (the TensorFlow tutorial's shape, channels 128/64). */
function dcganMnist(): Preset {
  const adam: OptimizerSettings = { kind: 'adam', learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-7 };
  return {
    description: 'DCGAN: G dense -> 7x7x128, two stride-2 transposed convs with batchnorm; D two stride-2 convs with leaky ReLU',
    data: 'mnist',
    pixelRange: '-1,1',
    latentDim: 100,
    generator: {
      input: [100],
      layers: [
        { kind: 'dense', units: 7 * 7 * 128, bias: false },
        { kind: 'batchNorm' },
        { kind: 'relu' },
        { kind: 'reshape', shape: [7, 7, 128] },
        { kind: 'conv2dTranspose', filters: 64, kernel: 4, stride: 2, padding: 'same', bias: false },
        { kind: 'batchNorm' },
        { kind: 'relu' },
        { kind: 'conv2dTranspose', filters: 1, kernel: 4, stride: 2, padding: 'same' },
        { kind: 'tanh' },
      ],
    },
    discriminator: {
      input: [28, 28, 1],
      layers: [
        { kind: 'conv2d', filters: 64, kernel: 4, stride: 2, padding: 'same' },
        { kind: 'leakyRelu', alpha: 0.2 },
        { kind: 'conv2d', filters: 128, kernel: 4, stride: 2, padding: 'same' },
        { kind: 'leakyRelu', alpha: 0.2 },
        { kind: 'flatten' },
        { kind: 'dense', units: 1 },
      ],
    },
    loss: 'non-saturating',
    optimizerG: adam,
    optimizerD: { ...adam },
    batchSize: 64,
    steps: 3000,
  };
}

/** WGAN-GP (Gulrajani et al.): the DCGAN networks without batchnorm in D, critic loss, gradient penalty 10, five critic steps. */
function wganGpMnist(): Preset {
  const base = dcganMnist();
  const adam: OptimizerSettings = { kind: 'adam', learningRate: 1e-4, beta1: 0.5, beta2: 0.9, epsilon: 1e-7 };
  return {
    ...base,
    description: 'WGAN-GP: the DCGAN networks, Wasserstein critic loss with gradient penalty 10, 5 critic steps per G step, Adam 1e-4 (0.5, 0.9)',
    loss: 'wasserstein',
    regularizer: { kind: 'gradient-penalty', weight: 10, center: 1, every: 1 },
    dSteps: 5,
    optimizerG: adam,
    optimizerD: { ...adam },
    steps: 2000,
  };
}

/** The DCGAN preset on Fashion-MNIST's 70,000 images. */
function dcganFashion(): Preset {
  return { ...dcganMnist(), description: 'the dcgan-mnist networks and settings on Fashion-MNIST', data: 'fashion-mnist', steps: 5000 };
}

const presets: Record<string, () => Preset> = {
  'seed-mlp': seedMlp,
  'dcgan-mnist': dcganMnist,
  'wgan-gp-mnist': wganGpMnist,
  'dcgan-fashion': dcganFashion,
};

export const defaultPresetName = 'dcgan-mnist';

export function presetNames(): string[] {
  return Object.keys(presets);
}

export function getPreset(name: string): Preset | undefined {
  return presets[name]?.();
}
