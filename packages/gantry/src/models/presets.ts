import type { NetworkSpec } from './network.js';
import type { LossName } from '../losses/adversarial.js';
import { kerasAdamDefaults, type OptimizerSettings } from '../train/optimizer.js';

/** What a preset fixes: the networks, the loss, the optimizers and the data it expects. */
export interface Preset {
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

const presets: Record<string, () => Preset> = {
  'seed-mlp': seedMlp,
  'dcgan-mnist': dcganMnist,
};

export const defaultPresetName = 'dcgan-mnist';

export function presetNames(): string[] {
  return Object.keys(presets);
}

export function getPreset(name: string): Preset | undefined {
  return presets[name]?.();
}
