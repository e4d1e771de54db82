import * as tf from '@tensorflow/tfjs';
import type { BackendChoice } from './config.js';
import { UsageError } from './errors.js';
import { referenceNnOps, setNnOps, type NnOps } from './models/nnOps.js';
import { setFusedOptimizerKernels, type FusedAdamUpdate, type FusedSgdUpdate } from './train/optimizer.js';

export interface BackendInfo {
  name: 'tensorflow' | 'onednn' | 'cpu';
  /** Why a faster backend was not used, when `auto` fell back. */
  warning?: string;
  fusedOps: boolean;
}

interface OnednnModule {
  registerOnednnBackend(): boolean;
  onednnStatus(): { ok: true; threads: number } | { ok: false; reason: string };
  fused: {
    batchNormTraining: NnOps['batchNormTraining'];
    relu: NnOps['relu'];
    leakyRelu: NnOps['leakyRelu'];
    adamUpdate: FusedAdamUpdate;
    sgdUpdate: FusedSgdUpdate;
  };
}

const cpuCost = 'the pure-JavaScript cpu backend is about 100 to 500 times slower (a DCGAN step takes tens of seconds)';

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
    // loaded by name: the package is optional at run time (its native addon may be missing)
    const name = 'tfjs-backend-onednn';
    mod = (await import(name)) as OnednnModule;
  } catch (e) {
    return { error: `the tfjs-backend-onednn package did not load (${(e as Error).message.split('\n')[0]})` };
  }
  const status = mod.onednnStatus();
  if (!status.ok) return { error: status.reason };
  if (!mod.registerOnednnBackend() || !(await tf.setBackend('onednn'))) return { error: 'the onednn backend did not initialise' };
  return { error: null, module: mod };
}

/**
 * Choose the TF.js backend. `auto` tries tensorflow (tfjs-node), then onednn (our native
 * addon), then falls back to cpu with a warning that names the cost.
 */
export async function selectBackend(choice: BackendChoice): Promise<BackendInfo> {
  // production mode: no debug checks, and no banner suggesting tfjs-node (Gantry warns itself)
  tf.env().set('PROD', true);
  setNnOps(referenceNnOps);
  setFusedOptimizerKernels(null);
  const reasons: string[] = [];
  if (choice === 'tensorflow' || choice === 'auto') {
    const err = await tryTensorflow();
    if (!err) return { name: 'tensorflow', fusedOps: false };
    if (choice === 'tensorflow') throw new UsageError(`--backend tensorflow: ${err}; install it with 'npm install @tensorflow/tfjs-node' or use --backend onednn`);
    reasons.push(err);
  }
  if (choice === 'onednn' || choice === 'auto') {
    const { error, module } = await tryOnednn();
    if (!error && module) {
      const f = module.fused;
      setNnOps({ name: 'onednn-fused', batchNormTraining: f.batchNormTraining, relu: f.relu, leakyRelu: f.leakyRelu });
      setFusedOptimizerKernels({ adam: f.adamUpdate, sgd: f.sgdUpdate });
      return { name: 'onednn', fusedOps: true };
    }
    if (choice === 'onednn') throw new UsageError(`--backend onednn: ${error}`);
    reasons.push(error as string);
  }
  await tf.setBackend('cpu');
  return choice === 'cpu' ? { name: 'cpu', fusedOps: false } : { name: 'cpu', fusedOps: false, warning: `using the cpu backend: ${reasons.join('; ')}; ${cpuCost}` };
}
