import * as tf from '@tensorflow/tfjs';
import { NotExportableError } from './kerasExport.js';
import { layerDefinition, type LayerSpec } from './layerRegistry.js';
import type { Network } from './network.js';
import { OnnxGraphBuilder, valueInfo, type OnnxModelParts } from './onnxGraph.js';
import { toNchw, toNhwc, type OnnxLayerContext } from './onnxLayers.js';
import { effectiveKernel } from './spectralNorm.js';

/**
 * Gantry's layer specs as ONNX operators (opset 17), for a generator in inference mode: batchnorm
 * with its running statistics, spectral norm folded into the kernel (as the inference forward and
 * the TF.js export compute it), conditioning from an int64 `labels` input.
 *
 * Inside the graph an image is NCHW, the layout of ONNX's Conv and its runtimes; features are
 * [batch, F]. Gantry's own tensors are NHWC, so a reshape or flatten that meets an image passes
 * through NHWC, and the output `images` is transposed back: NHWC in G's pixel range, as the TF.js
 * export gives it.
 *
 * Each layer kind's ONNX form is its definition's `onnx` entry (layerRegistry.ts lists them): a
 * kind without one does not compile. A kind that has no ONNX form says why.
 */

/** Every layer of `layers` that has no ONNX form, as `layer i (kind): why`. */
export function unexportableOnnxLayers(layers: readonly LayerSpec[]): string[] {
  return layers.flatMap((l, i) => {
    const entry = layerDefinition(l).onnx;
    return 'unsupported' in entry ? [`layer ${i} (${l.kind}): ${entry.unsupported}`] : [];
  });
}

/** The graph's inputs and output as gantry.json describes them; `null` is the batch axis. */
export interface OnnxSignature {
  inputs: { name: string; shape: (number | null)[]; dtype: 'float32' | 'int64' }[];
  outputs: { name: string; shape: (number | null)[]; dtype: 'float32' }[];
}

/**
 * The generator `net` (its current variables) as an ONNX graph with inputs `z` (float32
 * [batch, latent]) and, for a conditional network, `labels` (int64 [batch]); its output `images`
 * is G's output, NHWC, in G's own pixel range. The batch axis is dynamic.
 */
export function onnxGenerator(net: Network, about: { producerVersion: string; docString: string; metadata: Record<string, string> }): { parts: OnnxModelParts; signature: OnnxSignature } {
  const blocked = unexportableOnnxLayers(net.spec.layers);
  if (blocked.length > 0) throw new NotExportableError(`${net.name} cannot be exported as ONNX: ${blocked.join('; ')}`);
  const values = new Map(net.allVariables().map((v) => [v.name, v.variable]));
  const graph = new OnnxGraphBuilder();
  const signature: OnnxSignature = {
    inputs: [
      { name: graph.unique('z'), shape: [null, ...net.spec.input], dtype: 'float32' },
      ...(net.conditional ? [{ name: graph.unique('labels'), shape: [null], dtype: 'int64' as const }] : []),
    ],
    outputs: [{ name: 'images', shape: [null, ...net.outputShape], dtype: 'float32' }],
  };
  const labels = net.conditional ? 'labels' : null;
  const made: tf.Tensor[] = [];
  try {
    let shape = net.spec.input.slice();
    let x = 'z';
    if (shape.length === 3) x = graph.node('Transpose', [x], 'z_nchw', { perm: { ints: toNchw } });
    net.spec.layers.forEach((spec, i) => {
      const definition = layerDefinition(spec);
      const outShape = definition.outputShape(spec, shape);
      const prefix = `${net.name}/${i}_${spec.kind}/`;
      const variable = (key: string) => {
        const v = values.get(prefix + key);
        if (!v) throw new Error(`${net.name} has no parameter ${prefix + key}`);
        return v;
      };
      const ctx: OnnxLayerContext = {
        graph,
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
      };
      const entry = definition.onnx as { build: (s: LayerSpec, c: OnnxLayerContext) => string };
      x = entry.build(spec, ctx);
      shape = outShape;
    });
    // no layer's tensor is called plainly 'images' (theirs start with g<i>_), so the name stays as it is
    const images = shape.length === 3 ? graph.node('Transpose', [x], 'images', { perm: { ints: toNhwc } }) : graph.node('Identity', [x], 'images');
    if (images !== 'images') throw new Error(`the output of ${net.name} was named ${images}`);
    const parts: OnnxModelParts = {
      graphName: 'generator',
      builder: graph,
      inputs: signature.inputs.map((v) => valueInfo(v.name, v.dtype, v.shape)),
      outputs: signature.outputs.map((v) => valueInfo(v.name, v.dtype, v.shape)),
      ...about,
    };
    return { parts, signature };
  } finally {
    tf.dispose(made);
  }
}
