// TF.js's WebGPU backend on the device of a probed Dawn adapter. Its kernels come from
// @tensorflow/tfjs-backend-webgpu (optional, loaded by name); the device is requested here with
// the adapter's own limits, as that package does in a browser.
import * as tf from '@tensorflow/tfjs';

import { releaseAtEnd } from '../util/shutdown.js';
import { openAdapter, releaseDawn, type AdapterDescription, type GpuDevice } from './adapter.js';

type WebgpuBackendClass = new (device: GpuDevice, adapterInfo?: AdapterDescription) => tf.KernelBackend;

let device: GpuDevice | null = null;

/** TF.js's MatMulProgramType.MatMulPackedProgram (its enum is not exported). */
const matMulPackedProgram = 3;

/** The limits TF.js's kernels need beyond WebGPU's defaults: the adapter's own maxima. */
const raisedLimits = [
  'maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize',
  'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup',
  // TF.js's kernels that take many inputs at once (AddN, Concat) bind one buffer per input
  'maxStorageBuffersPerShaderStage',
] as const;

/**
 * Registers the 'webgpu' backend on Dawn's adapter (the one `probeAdapter` described as `info`)
 * and makes it TF.js's backend. Returns false when the backend did not initialise (no adapter
 * in this process, or the device was refused).
 */
export async function startWebgpuBackend(info: AdapterDescription): Promise<boolean> {
  const adapter = await openAdapter();
  if (!adapter) return false;
  // loaded by name: the package is optional; importing it registers its kernels for 'webgpu'
  const name = '@tensorflow/tfjs-backend-webgpu';
  const { WebGPUBackend } = (await import(name)) as { WebGPUBackend: WebgpuBackendClass };
  // Every matrix product on TF.js's tiled program. Left to choose, TF.js splits a long inner
  // dimension over workgroups that add into the output with atomics (split-K): the sums then
  // depend on the order the GPU runs them in, so runs and resumes stop repeating, and on
  // lavapipe the input gradient of a dense layer after a batchnorm (G's first layer) came out
  // wrong (relative error 1.1, webgpu-parity.test.ts). The tiled program has no atomics.
  tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', matMulPackedProgram);
  if (!tf.findBackendFactory('webgpu')) {
    tf.registerBackend('webgpu', async () => {
      const requiredLimits = Object.fromEntries(raisedLimits.map((k) => [k, adapter.limits[k]]));
      device = await adapter.requestDevice({ requiredFeatures: [], requiredLimits });
      return new WebGPUBackend(device, info);
    }, 0);
    releaseAtEnd(stopWebgpuBackend);
  }
  return tf.setBackend('webgpu');
}

/**
 * Gives the device back and drops Dawn, so that the process can end: Dawn's instance keeps
 * Node's event loop alive while anything holds it.
 */
export function stopWebgpuBackend(): void {
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
  device?.destroy();
  device = null;
  releaseDawn();
}
