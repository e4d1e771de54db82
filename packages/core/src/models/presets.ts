import type { TrainConfig } from '../trainConfig.js';
import { kerasAdamDefaults, type OptimizerSettings } from '../train/optimizer.js';
import type { NetworkSpec } from './network.js';

/** What a preset fixes: at least the networks, loss, optimizers, data and length; any other setting it may fix too. */
export type Preset = { description: string } & Pick<TrainConfig,
  'data' | 'pixelRange' | 'latentDim' | 'generator' | 'discriminator' | 'loss' | 'optimizerG' | 'optimizerD' | 'batchSize' | 'steps'>
  & Partial<Omit<TrainConfig, 'preset'>>;

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

/** SNGAN-style: the DCGAN generator, a spectrally normalised D, hinge loss, TTUR. */
function hingeSnganMnist(): Preset {
  const base = dcganMnist();
  return {
    ...base,
    description: 'hinge loss with a spectrally normalised D (conv 64, conv 128, dense), DCGAN generator, TTUR: Adam 1e-4 for G and 4e-4 for D, betas 0.0/0.9',
    discriminator: {
      input: [28, 28, 1],
      layers: [
        { kind: 'conv2d', filters: 64, kernel: 4, stride: 2, padding: 'same', spectralNorm: true },
        { kind: 'leakyRelu', alpha: 0.1 },
        { kind: 'conv2d', filters: 128, kernel: 4, stride: 2, padding: 'same', spectralNorm: true },
        { kind: 'leakyRelu', alpha: 0.1 },
        { kind: 'flatten' },
        { kind: 'dense', units: 1, spectralNorm: true },
      ],
    },
    loss: 'hinge',
    optimizerG: { kind: 'adam', learningRate: 1e-4, beta1: 0.0, beta2: 0.9, epsilon: 1e-7 },
    optimizerD: { kind: 'adam', learningRate: 4e-4, beta1: 0.0, beta2: 0.9, epsilon: 1e-7 },
  };
}

/** Class-conditional DCGAN: G gets a learned label embedding, D a projection head (Miyato and Koyama). */
function cganMnist(): Preset {
  const base = dcganMnist();
  return {
    ...base,
    description: 'conditional DCGAN: a 50-d label embedding concatenated to z in G; a projection discriminator; sample a class with gantry sample --class K',
    conditional: true,
    generator: { input: [100], layers: [{ kind: 'labelConcat', classes: 10, embedding: 50 }, ...base.generator.layers] },
    discriminator: {
      input: [28, 28, 1],
      layers: [...base.discriminator.layers.slice(0, -1), { kind: 'projection', classes: 10 }],
    },
  };
}

/** A residual GAN for 32x32 colour images in a folder (give --data folder:PATH). */
function resnetFolder32(): Preset {
  const adam: OptimizerSettings = { kind: 'adam', learningRate: 2e-4, beta1: 0.0, beta2: 0.9, epsilon: 1e-7 };
  return {
    description: 'SNGAN-style ResNet for 32x32x3 image folders: G 3 up-blocks of 128, D 3 spectrally normalised down-blocks of 128, hinge loss, EMA of G, DiffAugment',
    data: 'folder:images',
    pixelRange: '-1,1',
    latentDim: 128,
    generator: {
      input: [128],
      layers: [
        { kind: 'dense', units: 4 * 4 * 128 },
        { kind: 'reshape', shape: [4, 4, 128] },
        { kind: 'resBlockUp', filters: 128 },
        { kind: 'resBlockUp', filters: 128 },
        { kind: 'resBlockUp', filters: 128 },
        { kind: 'batchNorm' },
        { kind: 'relu' },
        { kind: 'conv2d', filters: 3, kernel: 3, stride: 1, padding: 'same' },
        { kind: 'tanh' },
      ],
    },
    discriminator: {
      input: [32, 32, 3],
      layers: [
        { kind: 'resBlockDown', filters: 128, preactivation: false, spectralNorm: true },
        { kind: 'resBlockDown', filters: 128, spectralNorm: true },
        { kind: 'resBlockDown', filters: 128, spectralNorm: true },
        { kind: 'relu' },
        { kind: 'globalSumPool' },
        { kind: 'dense', units: 1, spectralNorm: true },
      ],
    },
    loss: 'hinge',
    optimizerG: adam,
    optimizerD: { ...adam },
    batchSize: 32,
    steps: 20000,
    ema: { decay: 0.999, startStep: 1000 },
    augment: ['translation', 'cutout'],
  };
}

/**
 * DCGAN's 64x64 generator: z (100) projected to 4x4x w0, then stride-2 transposed convolutions
 * (4x4 kernels) with batchnorm and ReLU to 8x8x w1, 16x16x w2, 32x32x w3, and one more to
 * 64x64x3 with tanh.
 */
function dcgan64Generator([w0, w1, w2, w3]: readonly [number, number, number, number]): NetworkSpec {
  const up = (filters: number) => [
    { kind: 'conv2dTranspose', filters, kernel: 4, stride: 2, padding: 'same', bias: false },
    { kind: 'batchNorm' },
    { kind: 'relu' },
  ] as const;
  return {
    input: [100],
    layers: [
      { kind: 'dense', units: 4 * 4 * w0, bias: false },
      { kind: 'batchNorm' },
      { kind: 'relu' },
      { kind: 'reshape', shape: [4, 4, w0] },
      ...up(w1),
      ...up(w2),
      ...up(w3),
      { kind: 'conv2dTranspose', filters: 3, kernel: 4, stride: 2, padding: 'same' },
      { kind: 'tanh' },
    ],
  };
}

/**
 * The DCGAN paper's 64x64 architecture (Radford et al. 2016, figure 1): G projects z to
 * 4x4, four stride-2 transposed convs (4x4 kernels, as in the PyTorch example; the paper's code uses 5x5) with
 * batchnorm and ReLU, tanh out; D mirrors it with stride-2 convs, batchnorm after the first,
 * leaky ReLU 0.2, and a 4x4 'valid' conv to one logit (written as flatten + dense, the same
 * linear map). Widths are a quarter of the paper's: G 256-128-64-32, D 32-64-128-256 (the
 * paper's 1024-512-256-128), so a step at batch 64 is about a sixteenth of its FLOPs and
 * practical on two CPU cores. DiffAugment (colour, translation, cutout) on everything D sees:
 * on the 3,786 emoji it took seed 0's FID at 1,500 steps from 74 to 41 (docs/results.md).
 * Kernels start from N(0, 0.02), as in the paper: at 1,500 steps, FID 41.5 and 32.4 on seeds 0
 * and 1, against 41.3 and 63.4 from Glorot-uniform.
 * No EMA of G: with batchnorm in G and runs this short, the average scored far worse than G.
 */
function dcgan64(): Preset {
  const adam: OptimizerSettings = { kind: 'adam', learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-7 };
  const down = (filters: number, norm: boolean) => [
    { kind: 'conv2d', filters, kernel: 4, stride: 2, padding: 'same', bias: !norm },
    ...(norm ? [{ kind: 'batchNorm' } as const] : []),
    { kind: 'leakyRelu', alpha: 0.2 },
  ] as const;
  return {
    description: "the DCGAN paper's 64x64 networks at a quarter of its widths: G 4x4x256 -> 128 -> 64 -> 32 -> 64x64x3, D 32 -> 64 -> 128 -> 256 -> logit; batchnorm, kernels from N(0, 0.02), Adam 2e-4 (0.5), DiffAugment (colour, translation, cutout)",
    data: 'emoji',
    pixelRange: '-1,1',
    latentDim: 100,
    generator: dcgan64Generator([256, 128, 64, 32]),
    discriminator: {
      input: [64, 64, 3],
      layers: [
        ...down(32, false), // 32x32x32
        ...down(64, true), // 16x16x64
        ...down(128, true), // 8x8x128
        ...down(256, true), // 4x4x256
        { kind: 'flatten' },
        { kind: 'dense', units: 1 },
      ],
    },
    loss: 'non-saturating',
    optimizerG: adam,
    optimizerD: { ...adam },
    batchSize: 64,
    steps: 10000,
    augment: ['color', 'translation', 'cutout'],
    init: { kind: 'normal', std: 0.02 },
  };
}

/**
 * SNGAN-style ResNet for 64x64 colour (Miyato et al. 2018, with the BigGAN-style blocks of
 * residual.ts): G 4 up-blocks 128-64-32-16, D 4 spectrally normalised down-blocks
 * 16-32-64-128, hinge loss, EMA of G, DiffAugment (translation, cutout). Narrow enough to step
 * on two CPU cores; widen the blocks on a bigger machine.
 */
function sngan64(): Preset {
  const adam: OptimizerSettings = { kind: 'adam', learningRate: 2e-4, beta1: 0.0, beta2: 0.9, epsilon: 1e-7 };
  return {
    description: 'SNGAN-style ResNet for 64x64x3: G 4x4x128 then up-blocks 128, 64, 32, 16; D spectrally normalised down-blocks 16, 32, 64, 128; hinge loss, EMA of G, DiffAugment',
    data: 'emoji',
    pixelRange: '-1,1',
    latentDim: 128,
    generator: {
      input: [128],
      layers: [
        { kind: 'dense', units: 4 * 4 * 128 },
        { kind: 'reshape', shape: [4, 4, 128] },
        { kind: 'resBlockUp', filters: 128 }, // 8x8
        { kind: 'resBlockUp', filters: 64 }, // 16x16
        { kind: 'resBlockUp', filters: 32 }, // 32x32
        { kind: 'resBlockUp', filters: 16 }, // 64x64
        { kind: 'batchNorm' },
        { kind: 'relu' },
        { kind: 'conv2d', filters: 3, kernel: 3, stride: 1, padding: 'same' },
        { kind: 'tanh' },
      ],
    },
    discriminator: {
      input: [64, 64, 3],
      layers: [
        { kind: 'resBlockDown', filters: 16, preactivation: false, spectralNorm: true }, // 32x32
        { kind: 'resBlockDown', filters: 32, spectralNorm: true }, // 16x16
        { kind: 'resBlockDown', filters: 64, spectralNorm: true }, // 8x8
        { kind: 'resBlockDown', filters: 128, spectralNorm: true }, // 4x4
        { kind: 'relu' },
        { kind: 'globalSumPool' },
        { kind: 'dense', units: 1, spectralNorm: true },
      ],
    },
    loss: 'hinge',
    optimizerG: adam,
    optimizerD: { ...adam },
    batchSize: 32,
    steps: 20000,
    ema: { decay: 0.999, startStep: 1000 },
    augment: ['translation', 'cutout'],
  };
}

/** The emoji set's categories (emoji.json's `category`: Activities ... Travel & Places). */
const EMOJI_CLASSES = 10;

/**
 * dcgan64 conditioned on the emoji category: a 50-d label embedding concatenated to z in G, a
 * projection head on D. People & Body is 60% of the emoji and Component 0.1%: the fakes' classes are drawn at
 * the data's frequencies, so that the projection head cannot call a rare label fake by itself.
 * Kernels start Glorot-uniform: at 1,500 steps dcgan64's N(0, 0.02) start drew the asked class
 * less often here (class accuracy 0.241 against 0.273, docs/results.md).
 */
function cganEmoji(): Preset {
  const base = dcgan64();
  return {
    ...base,
    description: `conditional dcgan64 on the ${EMOJI_CLASSES} emoji categories: a 50-d label embedding concatenated to z in G; a projection discriminator; fakes' classes at the data's frequencies; sample a category with gantry sample --class K`,
    conditional: true,
    fakeLabels: 'data',
    init: { kind: 'glorot-uniform' },
    generator: { input: base.generator.input, layers: [{ kind: 'labelConcat', classes: EMOJI_CLASSES, embedding: 50 }, ...base.generator.layers] },
    discriminator: {
      input: [64, 64, 3],
      layers: [...base.discriminator.layers.slice(0, -1), { kind: 'projection', classes: EMOJI_CLASSES }],
    },
  };
}

const presets: Record<string, () => Preset> = {
  'seed-mlp': seedMlp,
  'dcgan-mnist': dcganMnist,
  'wgan-gp-mnist': wganGpMnist,
  'hinge-sngan-mnist': hingeSnganMnist,
  'cgan-mnist': cganMnist,
  'dcgan-fashion': dcganFashion,
  'resnet-folder32': resnetFolder32,
  dcgan64,
  sngan64,
  'cgan-emoji': cganEmoji,
};

export const defaultPresetName = 'dcgan-mnist';

export function presetNames(): string[] {
  return Object.keys(presets);
}

export function getPreset(name: string): Preset | undefined {
  return presets[name]?.();
}
