import * as tf from '@tensorflow/tfjs';

import { nativeAddon } from '../addon.js';
import { BACKEND_NAME, OnednnBackend } from '../backend.js';

function checkLists(fn: string, params: tf.Variable[], lists: [string, tf.Tensor[]][]): void {
  for (const [name, list] of lists) {
    if (list.length !== params.length) {
      throw new Error(`${fn}: ${name} has ${list.length} entries, params has ${params.length}`);
    }
    list.forEach((t, i) => {
      if (!tf.util.arraysEqual(t.shape, params[i]!.shape)) {
        throw new Error(`${fn}: ${name}[${i}] has shape [${t.shape}], params[${i}] has [${params[i]!.shape}]`);
      }
    });
  }
}

/**
 * Adam step with tf ops (Keras form, bias correction folded into lrT):
 * m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; p -= lrT * m / (sqrt(v) + eps).
 */
export function adamUpdateReference(params: tf.Variable[], grads: tf.Tensor[], m: tf.Variable[],
  v: tf.Variable[], lrT: number, beta1: number, beta2: number, epsilon: number): void {
  checkLists('adamUpdate', params, [['grads', grads], ['m', m], ['v', v]]);
  tf.tidy(() => {
    params.forEach((p, i) => {
      const g = grads[i]!;
      const mi = tf.add(tf.mul(m[i]!, beta1), tf.mul(g, 1 - beta1));
      const vi = tf.add(tf.mul(v[i]!, beta2), tf.mul(tf.square(g), 1 - beta2));
      m[i]!.assign(mi);
      v[i]!.assign(vi);
      p.assign(tf.sub(p, tf.div(tf.mul(mi, lrT), tf.add(tf.sqrt(vi), epsilon))));
    });
  });
}

/** p -= lr * g with tf ops. */
export function sgdUpdateReference(params: tf.Variable[], grads: tf.Tensor[], lr: number): void {
  checkLists('sgdUpdate', params, [['grads', grads]]);
  tf.tidy(() => {
    params.forEach((p, i) => p.assign(tf.sub(p, tf.mul(grads[i]!, lr))));
  });
}

function nativeUsable(...lists: tf.Tensor[][]): boolean {
  return tf.getBackend() === BACKEND_NAME && lists.every((l) => l.every((t) => t.dtype === 'float32'));
}

/**
 * Same as adamUpdateReference. On the onednn backend: one native call that
 * updates every parameter, m and v in place (a variable whose storage is
 * shared with another tensor gets a private copy first).
 */
export function adamUpdate(params: tf.Variable[], grads: tf.Tensor[], m: tf.Variable[], v: tf.Variable[],
  lrT: number, beta1: number, beta2: number, epsilon: number): void {
  if (!nativeUsable(params, grads, m, v)) {
    adamUpdateReference(params, grads, m, v, lrT, beta1, beta2, epsilon);
    return;
  }
  checkLists('adamUpdate', params, [['grads', grads], ['m', m], ['v', v]]);
  const backend = tf.backend() as OnednnBackend;
  const mine = (list: tf.Variable[]) => list.map((x) => backend.exclusiveF32(x));
  nativeAddon().adamUpdate(mine(params), grads.map((g) => backend.f32(g)), mine(m), mine(v),
    lrT, beta1, beta2, epsilon);
}

/** Same as sgdUpdateReference; one in-place native call on the onednn backend. */
export function sgdUpdate(params: tf.Variable[], grads: tf.Tensor[], lr: number): void {
  if (!nativeUsable(params, grads)) {
    sgdUpdateReference(params, grads, lr);
    return;
  }
  checkLists('sgdUpdate', params, [['grads', grads]]);
  const backend = tf.backend() as OnednnBackend;
  nativeAddon().sgdUpdate(params.map((p) => backend.exclusiveF32(p)), grads.map((g) => backend.f32(g)), lr);
}

/** An exponential moving average with tf ops: a = a * decay + p * (1 - decay), for each pair. */
export function emaUpdateReference(averages: tf.Variable[], params: tf.Tensor[], decay: number): void {
  checkLists('emaUpdate', averages, [['params', params]]);
  tf.tidy(() => {
    averages.forEach((a, i) => a.assign(tf.add(tf.mul(a, decay), tf.mul(params[i]!, 1 - decay))));
  });
}

/**
 * Same as emaUpdateReference, with the same bits. On the onednn backend: one native call that
 * updates every average in place (an average whose storage is shared with another tensor, such
 * as the parameter it was copied from, gets a private copy first).
 */
export function emaUpdate(averages: tf.Variable[], params: tf.Tensor[], decay: number): void {
  if (!nativeUsable(averages, params)) {
    emaUpdateReference(averages, params, decay);
    return;
  }
  checkLists('emaUpdate', averages, [['params', params]]);
  const backend = tf.backend() as OnednnBackend;
  nativeAddon().emaUpdate(averages.map((a) => backend.exclusiveF32(a)), params.map((p) => backend.f32(p)), decay, 1 - decay);
}
