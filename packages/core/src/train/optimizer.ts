import * as tf from '@tensorflow/tfjs';
import type { NamedVariable } from '../models/network.js';

export interface AdamSettings {
  kind: 'adam';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface SgdSettings {
  kind: 'sgd';
  learningRate: number;
}

export type OptimizerSettings = AdamSettings | SgdSettings;

/** Keras' defaults for `optimizer='adam'`, which the tutorial compiles with. */
export const kerasAdamDefaults: AdamSettings = { kind: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/**
 * A fused update over many variables at once, provided by a native backend. It updates
 * params, m and v in place with the same arithmetic as `adamReference` below.
 */
export type FusedAdamUpdate = (
  params: tf.Variable[], grads: tf.Tensor[], m: tf.Variable[], v: tf.Variable[],
  lrT: number, beta1: number, beta2: number, epsilon: number,
) => void;
export type FusedSgdUpdate = (params: tf.Variable[], grads: tf.Tensor[], learningRate: number) => void;
/** Every average moved toward its parameter in place: a = a * decay + p * (1 - decay), the bits of `emaReference`. */
export type FusedEmaUpdate = (averages: tf.Variable[], params: tf.Tensor[], decay: number) => void;

let fusedAdam: FusedAdamUpdate | null = null;
let fusedSgd: FusedSgdUpdate | null = null;
let fusedEma: FusedEmaUpdate | null = null;

/** Install (or with null, remove) the fused optimizer kernels. */
export function setFusedOptimizerKernels(kernels: { adam: FusedAdamUpdate; sgd: FusedSgdUpdate; ema: FusedEmaUpdate } | null): void {
  fusedAdam = kernels?.adam ?? null;
  fusedSgd = kernels?.sgd ?? null;
  fusedEma = kernels?.ema ?? null;
}

/** The exponential moving average with tf ops, one variable at a time. */
export function emaReference(averages: tf.Variable[], params: tf.Tensor[], decay: number): void {
  tf.tidy(() => averages.forEach((a, i) => a.assign(tf.add(tf.mul(a, decay), tf.mul(params[i]!, 1 - decay)))));
}

/** Moves every average toward its parameter (a generator's EMA): one native call when the backend has one. */
export function emaUpdate(averages: tf.Variable[], params: tf.Tensor[], decay: number): void {
  (fusedEma ?? emaReference)(averages, params, decay);
}

/**
 * Adam as Keras computes it (the epsilon-hat form):
 *   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   p -= lr_t * m / (sqrt(v) + epsilon)
 * The reference path is plain TF.js; the fused path is one native call for every variable.
 */
export class Optimizer {
  /** Number of updates applied so far (Adam's t). */
  iterations = 0;
  /** Multiplies the configured learning rate (lowered after a divergence). */
  learningRateScale = 1;
  /** The learning-rate schedule's factor for the current step. */
  scheduleScale = 1;
  readonly slots: NamedVariable[] = [];
  private readonly m: tf.Variable[] = [];
  private readonly v: tf.Variable[] = [];

  constructor(readonly settings: OptimizerSettings, readonly params: NamedVariable[], readonly useFused = true) {
    if (settings.kind === 'adam') {
      for (const p of params) {
        const m = tf.tidy(() => tf.variable(tf.zeros(p.variable.shape), false));
        const v = tf.tidy(() => tf.variable(tf.zeros(p.variable.shape), false));
        this.m.push(m);
        this.v.push(v);
        this.slots.push({ name: `${p.name}/m`, variable: m }, { name: `${p.name}/v`, variable: v });
      }
    }
  }

  /** Apply one update; `grads[i]` belongs to `params[i]`. Does not dispose the gradients. */
  apply(grads: tf.Tensor[]): void {
    const vars = this.params.map((p) => p.variable);
    this.iterations += 1;
    const s = this.settings;
    if (s.kind === 'sgd') {
      const lr = s.learningRate * this.learningRateScale * this.scheduleScale;
      if (this.useFused && fusedSgd) fusedSgd(vars, grads, lr);
      else sgdReference(vars, grads, lr);
      return;
    }
    const t = this.iterations;
    const lrT = (s.learningRate * this.learningRateScale * this.scheduleScale * Math.sqrt(1 - Math.pow(s.beta2, t))) / (1 - Math.pow(s.beta1, t));
    if (this.useFused && fusedAdam) fusedAdam(vars, grads, this.m, this.v, lrT, s.beta1, s.beta2, s.epsilon);
    else adamReference(vars, grads, this.m, this.v, lrT, s.beta1, s.beta2, s.epsilon);
  }

  dispose(): void {
    for (const s of this.slots) s.variable.dispose();
  }
}

export const adamReference: FusedAdamUpdate = (params, grads, m, v, lrT, beta1, beta2, epsilon) => {
  tf.tidy(() => {
    params.forEach((p, i) => {
      const g = grads[i];
      const mNew = tf.add(tf.mul(m[i], beta1), tf.mul(g, 1 - beta1));
      const vNew = tf.add(tf.mul(v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
      m[i].assign(mNew);
      v[i].assign(vNew);
      p.assign(tf.sub(p, tf.div(tf.mul(mNew, lrT), tf.add(tf.sqrt(vNew), epsilon))));
    });
  });
};

export const sgdReference: FusedSgdUpdate = (params, grads, learningRate) => {
  tf.tidy(() => {
    params.forEach((p, i) => p.assign(tf.sub(p, tf.mul(grads[i], learningRate))));
  });
};

/** Scale gradients so that their joint L2 norm is at most `maxNorm` (no read-back). */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-12)));
    return grads.map((g) => tf.mul(g, scale));
  });
}
