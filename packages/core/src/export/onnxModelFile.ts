import type { Network } from '../models/network.js';
import { onnxGenerator } from '../models/onnxExport.js';
import { encodeOnnxModel, onnxIrVersion, onnxOpset } from '../models/onnxGraph.js';
import type { OnnxModelInfo } from './format.js';

export const onnxFileName = 'model.onnx';

/** What the model's own metadata says of it (read by any ONNX tool), and the meaning of each input. */
export interface OnnxAbout {
  producerVersion: string;
  docString: string;
  metadata: Record<string, string>;
  classCount: number;
  pixelRange: [number, number];
}

/**
 * The generator as ONNX bytes with gantry.json's description of them. Everything that can fail
 * for a user's reason (a layer kind with no ONNX form) fails here, before a file is written.
 */
export function onnxModel(net: Network, about: OnnxAbout): { bytes: Uint8Array; info: OnnxModelInfo } {
  const { parts, signature } = onnxGenerator(net, { producerVersion: about.producerVersion, docString: about.docString, metadata: about.metadata });
  const meaning: Record<string, string> = {
    z: 'latent vectors, each drawn from a standard normal N(0, I)',
    labels: `the class of each image, 0 to ${about.classCount - 1}`,
  };
  const info: OnnxModelInfo = {
    model: onnxFileName,
    opset: onnxOpset,
    irVersion: onnxIrVersion,
    inputs: signature.inputs.map((v) => ({ ...v, meaning: meaning[v.name] ?? v.name })),
    outputs: signature.outputs.map((v) => ({ ...v, meaning: `G's images, NHWC, in [${about.pixelRange.join(', ')}] (gantry.json's output says how to map them to bytes)` })),
    layout: 'NHWC',
  };
  return { bytes: encodeOnnxModel(parts), info };
}
