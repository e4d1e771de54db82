// Every kernel this backend runs natively. Adding a kernel: one new file, one
// line here. All other kernels are the cpu backend's, registered under the
// onednn name by register.ts.
import type * as tf from '@tensorflow/tfjs';

import { absConfig } from './Abs.js';
import { addConfig } from './Add.js';
import { addNConfig } from './AddN.js';
import { concatConfig } from './Concat.js';
import { batchMatMulConfig } from './BatchMatMul.js';
import { batchNormTrainingActivationConfig, batchNormTrainingActivationGradient, batchNormTrainingConfig, batchNormTrainingGradient } from './BatchNormTraining.js';
import { batchNormTrainingGradConfig } from './BatchNormTrainingGrad.js';
import { conv2DConfig } from './Conv2D.js';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { eluConfig } from './Elu.js';
import { eluGradConfig } from './EluGrad.js';
import { equalConfig } from './Equal.js';
import { expConfig } from './Exp.js';
import { expm1Config } from './Expm1.js';
import { fusedBatchNormConfig } from './FusedBatchNorm.js';
import { conv2DBiasActivationConfig, fusedConv2DConfig } from './FusedConv2D.js';
import { fusedMatMulConfig } from './_FusedMatMul.js';
import { greaterConfig } from './Greater.js';
import { greaterEqualConfig } from './GreaterEqual.js';
import { leakyReluConfig } from './LeakyRelu.js';
import { leakyReluGradConfig, leakyReluGradGradient } from './LeakyReluGrad.js';
import { activationGradSumConfig, activationGradSumGradient } from './ActivationGradSum.js';
import { lessConfig } from './Less.js';
import { lessEqualConfig } from './LessEqual.js';
import { logConfig } from './Log.js';
import { log1pConfig } from './Log1p.js';
import { maxConfig } from './Max.js';
import { maximumConfig } from './Maximum.js';
import { meanConfig } from './Mean.js';
import { minConfig } from './Min.js';
import { minimumConfig } from './Minimum.js';
import { multiplyConfig } from './Multiply.js';
import { negConfig } from './Neg.js';
import { notEqualConfig } from './NotEqual.js';
import { preluConfig } from './Prelu.js';
import { prodConfig } from './Prod.js';
import { realDivConfig } from './RealDiv.js';
import { reciprocalConfig } from './Reciprocal.js';
import { reluConfig } from './Relu.js';
import { relu6Config } from './Relu6.js';
import { rsqrtConfig } from './Rsqrt.js';
import { selectConfig } from './Select.js';
import { sigmoidConfig } from './Sigmoid.js';
import { softplusConfig } from './Softplus.js';
import { sqrtConfig } from './Sqrt.js';
import { squareConfig } from './Square.js';
import { squaredDifferenceConfig } from './SquaredDifference.js';
import { stepConfig } from './Step.js';
import { subConfig } from './Sub.js';
import { sumConfig } from './Sum.js';
import { tanhConfig } from './Tanh.js';
import { transposeConfig } from './Transpose.js';
import { gatherV2Config } from './GatherV2.js';
import { padV2Config } from './PadV2.js';
import { conv2DBiasActivationGradient, fusedConv2DGradient } from '../fused/conv.js';
import { cutoutConfig, cutoutGradient, sumPool2xConfig, sumPool2xGradient, translateConfig, translateGradient, upsample2xConfig, upsample2xGradient } from './Resample2x.js';
import { sliceConfig } from './Slice.js';
import { spectralNormConfig, spectralNormGradConfig, spectralNormGradient } from './SpectralNorm.js';
import { splitVConfig } from './SplitV.js';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum.js';
import { resampleFilterConfig, resampleFilterGradConfig, resampleFilterGradient, convAvgPool2DConfig, convAvgPool2DGradFilterConfig, convAvgPool2DGradInputConfig, convAvgPool2DGradient, upsampleConv2DConfig, upsampleConv2DGradFilterConfig, upsampleConv2DGradInputConfig, upsampleConv2DGradient } from './ResampleConv2D.js';

export const nativeKernelConfigs: tf.KernelConfig[] = [
  absConfig,
  addConfig,
  addNConfig,
  batchMatMulConfig,
  batchNormTrainingConfig,
  batchNormTrainingActivationConfig,
  batchNormTrainingGradConfig,
  conv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  eluConfig,
  eluGradConfig,
  equalConfig,
  expConfig,
  expm1Config,
  fusedBatchNormConfig,
  fusedConv2DConfig,
  conv2DBiasActivationConfig,
  fusedMatMulConfig,
  greaterConfig,
  greaterEqualConfig,
  leakyReluConfig,
  leakyReluGradConfig,
  activationGradSumConfig,
  lessConfig,
  lessEqualConfig,
  logConfig,
  log1pConfig,
  maxConfig,
  maximumConfig,
  meanConfig,
  minConfig,
  minimumConfig,
  multiplyConfig,
  negConfig,
  notEqualConfig,
  preluConfig,
  prodConfig,
  realDivConfig,
  reciprocalConfig,
  reluConfig,
  relu6Config,
  rsqrtConfig,
  selectConfig,
  sigmoidConfig,
  softplusConfig,
  sqrtConfig,
  squareConfig,
  squaredDifferenceConfig,
  stepConfig,
  subConfig,
  sumConfig,
  tanhConfig,
  transposeConfig,
  gatherV2Config,
  unsortedSegmentSumConfig,
  padV2Config,
  spectralNormConfig,
  spectralNormGradConfig,
  upsample2xConfig,
  translateConfig,
  cutoutConfig,
  sumPool2xConfig,
  upsampleConv2DConfig,
  upsampleConv2DGradInputConfig,
  upsampleConv2DGradFilterConfig,
  convAvgPool2DConfig,
  convAvgPool2DGradInputConfig,
  convAvgPool2DGradFilterConfig,
  resampleFilterConfig,
  resampleFilterGradConfig,
  sliceConfig,
  concatConfig,
  splitVConfig,
];

/** Gradients of the backend-only kernels (the built-in kernels keep tfjs's). */
export const customGradientConfigs: tf.GradConfig[] = [batchNormTrainingGradient, batchNormTrainingActivationGradient, leakyReluGradGradient, activationGradSumGradient, upsample2xGradient, sumPool2xGradient, translateGradient, cutoutGradient, fusedConv2DGradient, conv2DBiasActivationGradient, spectralNormGradient, upsampleConv2DGradient, convAvgPool2DGradient, resampleFilterGradient];
