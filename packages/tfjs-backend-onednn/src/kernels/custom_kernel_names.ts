// Kernels that exist only on this backend; the fused API runs them.
export const BatchNormTraining = 'OnednnBatchNormTraining';
export const BatchNormTrainingGrad = 'OnednnBatchNormTrainingGrad';
export const LeakyReluGrad = 'OnednnLeakyReluGrad';
