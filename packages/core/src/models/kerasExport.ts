import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import type { KerasLayerContext } from './kerasLayers.js';
import { layerDefinition, type LayerSpec } from './layerRegistry.js';
import type { Network } from './network.js';
import { effectiveKernel } from './spectralNorm.js';

/**
 * Gantry's layer specs as Keras layers (TF.js' `tf.layers`), for a generator in inference mode:
 * batchnorm with its running statistics, spectral norm folded into the kernel (W / sigma from the
 * stored u, exactly as Gantry's inference forward computes it), conditioning as a second input of
 * integer class labels. TF.js serialises the result as a LayersModel (model.json + weights) that
 * stock `tf.loadLayersModel` reads.
 *
 * Each layer kind's Keras form is its definition's `keras` entry (layerRegistry.ts lists them):
 * a kind without one does not compile. A kind that has no Keras form says why, and export stops
 * naming it.
 */

/** Raised for a network that has no Keras form; the CLI reports it as bad input. */
export class NotExportableError extends UsageError {}

/** Every layer of `spec` that cannot be exported, as `layer i (kind): why`. */
export function unexportableLayers(layers: readonly LayerSpec[]): string[] {
  return layers.flatMap((l, i) => {
    const entry = layerDefinition(l).keras;
    return 'unsupported' in entry ? [`layer ${i} (${l.kind}): ${entry.unsupported}`] : [];
  });
}

/**
 * The generator `net` (its current variables) as a Keras functional model with inputs `z`
 * (float32 [batch, latent]) and, for a conditional network, `labels` (int32 [batch, 1]); its
 * output is G's image, NHWC, in G's own pixel range. Dispose the model when done.
 */
export function kerasGenerator(net: Network): tf.LayersModel {
  const blocked = unexportableLayers(net.spec.layers);
  if (blocked.length > 0) throw new NotExportableError(`${net.name} cannot be exported as a TF.js LayersModel: ${blocked.join('; ')}`);
  const values = new Map(net.allVariables().map((v) => [v.name, v.variable]));
  const z = tf.input({ shape: net.spec.input, dtype: 'float32', name: 'z' });
  const labels = net.conditional ? tf.input({ shape: [1], dtype: 'int32', name: 'labels' }) : null;
  const made: tf.Tensor[] = [];
  try {
    let x = z;
    let shape = net.spec.input.slice();
    net.spec.layers.forEach((spec, i) => {
      const definition = layerDefinition(spec);
      const outShape = definition.outputShape(spec, shape);
      const prefix = `${net.name}/${i}_${spec.kind}/`;
      const variable = (key: string) => {
        const v = values.get(prefix + key);
        if (!v) throw new Error(`${net.name} has no parameter ${prefix + key}`);
        return v;
      };
      const ctx: KerasLayerContext = {
        x,
        inShape: shape,
        outShape,
        labels,
        name: (suffix) => `g${i}_${spec.kind}${suffix ? `_${suffix}` : ''}`,
        param: (key) => variable(key),
        kernel: (key, snKey) => {
          const u = values.get(prefix + snKey);
          if (!u) return variable(key);
          const folded = tf.tidy(() => effectiveKernel(variable(key), u, { training: false }));
          made.push(folded);
          return folded;
        },
        apply: (layer, inputs, weights) => {
          const y = layer.apply(inputs) as tf.SymbolicTensor;
          if (weights) {
            layer.setWeights(weights);
            made.push(...weights.filter((w) => !(w instanceof tf.Variable) && !made.includes(w)));
          }
          return y;
        },
      };
      const entry = definition.keras as { build: (s: LayerSpec, c: KerasLayerContext) => tf.SymbolicTensor };
      x = entry.build(spec, ctx);
      const got = x.shape.slice(1);
      if (got.join(',') !== outShape.join(',')) {
        throw new Error(`export of ${net.name} layer ${i} (${spec.kind}) makes [${got.join(', ')}], Gantry [${outShape.join(', ')}]`);
      }
      shape = outShape;
    });
    return tf.model({ inputs: labels ? [z, labels] : [z], outputs: x, name: 'generator' });
  } finally {
    tf.dispose(made);
  }
}
