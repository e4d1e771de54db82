// tfjs-backend-onednn: a TF.js backend whose hot CPU kernels run on oneDNN.
// Importing this module never throws; the native addon loads on first use.
export { registerOnednnBackend, onednnCpuTier, onednnStatus, onednnVersion, setThreads, type OnednnStatus } from './register.js';
export { fused, fusedReference, type BatchNormTrainingResult, type ConvActivation, type SpectralNormResult } from './fused/index.js';
export { kernelProfile, resetKernelProfile, type KernelTiming } from './profile.js';
export { BACKEND_NAME, OnednnBackend } from './backend.js';
export { ADDON_PATH_ENV, CPU_ISA_ENV, CPU_TIERS, addonPath, type CpuTier } from './addon.js';
