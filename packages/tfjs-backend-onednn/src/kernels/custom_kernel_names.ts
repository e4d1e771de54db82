// Kernels that exist only on this backend; the fused API runs them.
export const BatchNormTraining = 'OnednnBatchNormTraining';
export const BatchNormTrainingGrad = 'OnednnBatchNormTrainingGrad';
export const BatchNormTrainingActivation = 'OnednnBatchNormTrainingActivation';
export const LeakyReluGrad = 'OnednnLeakyReluGrad';
export const Conv2DBiasActivation = 'OnednnConv2DBiasActivation';
export const Upsample2x = 'OnednnUpsample2x';
export const SumPool2x = 'OnednnSumPool2x';
export const Translate = 'OnednnTranslate';
export const Cutout = 'OnednnCutout';
export const SpectralNorm = 'OnednnSpectralNorm';
export const SpectralNormGrad = 'OnednnSpectralNormGrad';
export const UpsampleConv2D = 'OnednnUpsampleConv2D';
export const UpsampleConv2DGradInput = 'OnednnUpsampleConv2DGradInput';
export const UpsampleConv2DGradFilter = 'OnednnUpsampleConv2DGradFilter';
export const ConvAvgPool2D = 'OnednnConv2DAvgPool';
export const ConvAvgPool2DGradInput = 'OnednnConv2DAvgPoolGradInput';
export const ConvAvgPool2DGradFilter = 'OnednnConv2DAvgPoolGradFilter';
