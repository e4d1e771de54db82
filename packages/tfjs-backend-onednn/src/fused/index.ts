// Fused ops: each has a reference path with the same signature (plain tf ops)
// that runs whenever the active backend is not onednn.
import { leakyRelu, leakyReluReference, relu, reluReference } from './activations.js';
import { batchNormTraining, batchNormTrainingReference } from './batch_norm_training.js';
import { conv2dBias, conv2dBiasReference } from './conv.js';
import { adamUpdate, adamUpdateReference, emaUpdate, emaUpdateReference, sgdUpdate, sgdUpdateReference } from './optimizers.js';
import { spectralNorm, spectralNormReference } from './spectral_norm.js';
import { convAvgPool2dBias, convAvgPool2dBiasReference, upsampleConv2dBias, upsampleConv2dBiasReference } from './resample_conv.js';
import { avgPool2x, avgPool2xReference, cutout, cutoutReference, translate, translateReference, upsample2x, upsample2xReference } from './resample.js';

export type { BatchNormTrainingResult } from './batch_norm_training.js';
export type { ConvActivation } from './conv.js';
export type { SpectralNormResult } from './spectral_norm.js';

/** Fast on onednn, reference elsewhere. */
export const fused = { batchNormTraining, leakyRelu, relu, adamUpdate, sgdUpdate, emaUpdate, upsample2x, avgPool2x, translate, cutout, conv2dBias, upsampleConv2dBias, convAvgPool2dBias, spectralNorm };

/** The plain TF.js versions, for tests and for gradients of gradients. */
export const fusedReference = {
  batchNormTraining: batchNormTrainingReference,
  leakyRelu: leakyReluReference,
  relu: reluReference,
  adamUpdate: adamUpdateReference,
  sgdUpdate: sgdUpdateReference,
  emaUpdate: emaUpdateReference,
  upsample2x: upsample2xReference,
  avgPool2x: avgPool2xReference,
  translate: translateReference,
  cutout: cutoutReference,
  conv2dBias: conv2dBiasReference,
  upsampleConv2dBias: upsampleConv2dBiasReference,
  convAvgPool2dBias: convAvgPool2dBiasReference,
  spectralNorm: spectralNormReference,
};
