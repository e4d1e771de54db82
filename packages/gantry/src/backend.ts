import * as tf from '@tensorflow/tfjs';
import { availableCores, readSetting } from 'tfjs-backend-onednn/environment';
import type { BackendChoice } from 'gantry-core/config.js';
import { onednnFix } from './doctor/installHints.js';
import { findOnednn } from './doctor/onednnLocation.js';
import { systemInfo } from './doctor/system.js';
import { UsageError } from 'gantry-core/errors.js';
import { referenceNnOps, setNnOps, type ConvActivation, type NnOps } from 'gantry-core/models/nnOps.js';
import { setFusedOptimizerKernels, type FusedAdamUpdate, type FusedEmaUpdate, type FusedSgdUpdate } from 'gantry-core/train/optimizer.js';
import { adapterFix, probeAdapter, webgpuPackagesCommand } from './webgpu/adapter.js';
import { startWebgpuBackend } from './webgpu/backend.js';

export interface BackendInfo {
  name: 'tensorflow' | 'onednn' | 'cpu' | 'webgpu';
  /** Why a faster backend was not used, when `auto` fell back. */
  warning?: string;
  /**
   * Which backend a run took and why, where WebGPU had a say: the run's first line. Set when
   * the backend is webgpu, and when `auto` passed over a software WebGPU adapter.
   */
  notice?: string;
  /** The WebGPU adapter's name, on webgpu. */
  adapter?: string;
  fusedOps: boolean;
  /** Threads of the native backend's large kernels (null for backends Gantry does not steer). */
  threads: number | null;
}

export { availableCores };

/** Threads for the native backend: the caller's choice, else GANTRY_THREADS, else every core this process may use. */
export function chooseThreads(requested?: number): number {
  return requested ?? readSetting('GANTRY_THREADS');
}

interface OnednnModule {
  registerOnednnBackend(): boolean;
  onednnStatus(): { ok: true; threads: number } | { ok: false; reason: string; hint: string };
  setThreads(n: number): void;
  fused: {
    batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number,
      activation?: 'linear' | 'relu' | 'leakyrelu', alpha?: number): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor };
    relu: NnOps['relu'];
    leakyRelu: NnOps['leakyRelu'];
    upsample2x: NnOps['upsample2x'];
    avgPool2x: NnOps['avgPool2x'];
    translate: NnOps['translate'];
    cutout: NnOps['cutout'];
    conv2dBias(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor, stride: number, padding: 'same' | 'valid',
      activation?: 'linear' | 'relu' | 'leakyrelu', alpha?: number): tf.Tensor4D;
    upsampleConv2dBias: NnOps['upsampleConv2dBias'];
    convAvgPool2dBias: NnOps['convAvgPool2dBias'];
    spectralNorm(w: tf.Tensor, u: tf.Tensor): { w: tf.Tensor; sigma: tf.Scalar; u: tf.Tensor2D };
    adamUpdate: FusedAdamUpdate;
    sgdUpdate: FusedSgdUpdate;
    emaUpdate: FusedEmaUpdate;
  };
}

/** A fused activation as the native backend's functions take it: name and slope below zero. */
function nativeActivation(a: ConvActivation | undefined): ['linear' | 'relu' | 'leakyrelu', number] {
  if (!a) return ['linear', 0];
  return a.kind === 'relu' ? ['relu', 0] : ['leakyrelu', a.alpha];
}

const cpuCost = 'about 100 to 500 times slower than the native backend: a DCGAN step takes tens of seconds';

async function tryTensorflow(): Promise<string | null> {
  try {
    // optional: only present when the user installed @tensorflow/tfjs-node themselves
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return (await tf.setBackend('tensorflow')) ? null : 'the tensorflow backend did not initialise';
  } catch (e) {
    return `@tensorflow/tfjs-node is not installed (${(e as Error).message.split('\n')[0]})`;
  }
}

async function tryOnednn(): Promise<{ error: string | null; module?: OnednnModule }> {
  let mod: OnednnModule;
  try {
    // loaded by name, when a run asks for it: its native addon may be missing
    const name = 'tfjs-backend-onednn';
    mod = (await import(name)) as OnednnModule;
  } catch (e) {
    return { error: `the tfjs-backend-onednn package is not installed (${(e as Error).message.split('\n')[0]})` };
  }
  const status = mod.onednnStatus();
  if (!status.ok) return { error: status.reason };
  if (!mod.registerOnednnBackend() || !(await tf.setBackend('onednn'))) return { error: 'the onednn backend did not initialise' };
  return { error: null, module: mod };
}

/** The CLI's way to say a notice: one line on stderr. */
export const announce = (notice: string): void => console.error(`gantry: ${notice}`);

export interface SelectOptions {
  threads?: number;
  /**
   * Told the notice (which backend and why, where WebGPU had a say) as soon as the choice is
   * made: before Dawn starts in this process, whose own warnings would otherwise come first.
   */
  announce?: (notice: string) => void;
}

/**
 * Choose the TF.js backend. `auto` takes webgpu where Dawn finds a WebGPU adapter that is a real
 * GPU (not a software one), then onednn (our native addon), then tensorflow (tfjs-node, when the
 * user installed it), then falls back to cpu with a one-line warning that says why the fast
 * backend is missing and the command that brings it on this system. `threads` sets the native
 * backend's threads (default: GANTRY_THREADS, else every available core).
 */
export async function selectBackend(choice: BackendChoice, options: SelectOptions = {}): Promise<BackendInfo> {
  // production mode: no debug checks, and no banner suggesting tfjs-node (Gantry warns itself)
  tf.env().set('PROD', true);
  setNnOps(referenceNnOps);
  setFusedOptimizerKernels(null);
  let passedOver: string | undefined;
  if (choice === 'webgpu' || choice === 'auto') {
    const webgpu = await tryWebgpu(choice, options.announce);
    if ('info' in webgpu) return webgpu.info;
    passedOver = webgpu.passedOver;
  }
  const chosen = await selectCpuBackend(choice, options);
  if (!passedOver) return chosen;
  const notice = `backend ${chosen.name}: ${passedOver}`;
  options.announce?.(notice);
  return { ...chosen, notice };
}

/**
 * WebGPU, when it was asked for or `auto` may take it. `auto` looks only where both packages are
 * installed, takes only a GPU, and says why it passed over a software adapter.
 */
async function tryWebgpu(choice: BackendChoice, announce?: (notice: string) => void): Promise<{ info: BackendInfo } | { passedOver?: string }> {
  const probe = probeAdapter();
  if (choice === 'auto') {
    if (!probe.ok) return {};
    if (probe.software) return { passedOver: `the WebGPU adapter (${probe.name}) is software, not a GPU, so the CPU backends are faster (--backend webgpu takes it anyway)` };
  }
  if (!probe.ok) {
    const fix = probe.missing === 'package' ? `install it with: ${webgpuPackagesCommand(tf.version_core)}` : adapterFix(systemInfo());
    throw new UsageError(`--backend webgpu: ${probe.reason}; ${fix}`);
  }
  const why = choice === 'auto' ? 'a GPU, so --backend auto prefers it (--backend onednn trains on the CPU cores)' : probe.software ? 'a software adapter, slower than the CPU backends' : 'as asked';
  const notice = `backend webgpu on ${probe.name}: ${why}`;
  announce?.(notice);
  if (!(await startWebgpuBackend(probe.info))) throw new UsageError(`--backend webgpu: the adapter ${probe.name} gave no device in this process; use --backend onednn`);
  return { info: { name: 'webgpu', fusedOps: false, threads: null, adapter: probe.name, notice } };
}

/** onednn, tensorflow or cpu, as asked or in `auto`'s order. */
async function selectCpuBackend(choice: BackendChoice, options: { threads?: number }): Promise<BackendInfo> {
  let onednnMissing: string | null = null;
  if (choice === 'onednn' || choice === 'auto') {
    const { error, module } = await tryOnednn();
    if (!error && module) {
      const f = module.fused;
      setNnOps({
        name: 'onednn-fused',
        batchNormTraining: (x, gamma, beta, epsilon, activation) => f.batchNormTraining(x, gamma, beta, epsilon, ...nativeActivation(activation)),
        relu: f.relu, leakyRelu: f.leakyRelu,
        conv2dBias: (x, kernel, bias, stride, padding, activation) => f.conv2dBias(x, kernel, bias, stride, padding, ...nativeActivation(activation)),
        upsampleConv2dBias: f.upsampleConv2dBias, convAvgPool2dBias: f.convAvgPool2dBias,
        upsample2x: f.upsample2x, avgPool2x: f.avgPool2x, translate: f.translate, cutout: f.cutout,
        spectralNormalize: (kernel, u) => {
          const r = f.spectralNorm(kernel, u);
          return { kernel: r.w, sigma: r.sigma, u: r.u };
        },
      });
      setFusedOptimizerKernels({ adam: f.adamUpdate, sgd: f.sgdUpdate, ema: f.emaUpdate });
      const threads = chooseThreads(options.threads);
      module.setThreads(threads);
      return { name: 'onednn', fusedOps: true, threads };
    }
    const packageMissing = error?.startsWith('the tfjs-backend-onednn package is not installed') ?? false;
    const onednnFound = !packageMissing && !(await findOnednn()).error;
    // a setting the user gave (GANTRY_CPU_ISA, ...) is fixed by changing it, not by building again
    const fix = error && /^GANTRY_\w+ is /.test(error) ? '' : `; ${onednnFix(systemInfo(), { onednnFound, packageMissing })}`;
    onednnMissing = `the native onednn backend is not available: ${error}${fix}`;
    if (choice === 'onednn') throw new UsageError(`--backend onednn: ${onednnMissing}`);
  }
  if (choice === 'tensorflow' || choice === 'auto') {
    const err = await tryTensorflow();
    if (!err) {
      return onednnMissing ? { name: 'tensorflow', fusedOps: false, threads: null, warning: `using the tensorflow backend (tfjs-node); ${onednnMissing}` } : { name: 'tensorflow', fusedOps: false, threads: null };
    }
    if (choice === 'tensorflow') throw new UsageError(`--backend tensorflow: ${err}; install it with 'npm install @tensorflow/tfjs-node' or use --backend onednn`);
  }
  await tf.setBackend('cpu');
  return choice === 'cpu'
    ? { name: 'cpu', fusedOps: false, threads: null }
    : { name: 'cpu', fusedOps: false, threads: null, warning: `using TF.js's cpu backend (${cpuCost}): ${onednnMissing}` };
}
