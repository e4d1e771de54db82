import type * as Ort from 'onnxruntime-web';
import { checkedBytes } from './checkedFiles.js';
import { readExportInfo, wrapGenerator, type Generator, type LoadGeneratorOptions } from './loadGenerator.js';
import { toUnitRangeInPlace } from './pixels.js';

export interface LoadOnnxGeneratorOptions extends LoadGeneratorOptions {
  /** ONNX Runtime's execution providers, best first (default: the runtime's own, wasm in a browser; e.g. ['webgpu', 'wasm']). */
  executionProviders?: string[];
}

/**
 * Loads the ONNX model of an export made by `gantry export --format onnx|all`, checked against
 * gantry.json, and draws with ONNX Runtime: `ort` is the app's own `onnxruntime-web` (or
 * `onnxruntime-web/webgpu`), set up as the app wants it (wasm paths, threads), so that this
 * library bundles no runtime of its own. The images are the same as `loadGenerator`'s.
 */
export async function loadOnnxGenerator(source: string | URL, ort: typeof Ort, options: LoadOnnxGeneratorOptions = {}): Promise<Generator> {
  const fetchFunc = options.fetch ?? globalThis.fetch.bind(globalThis);
  const { info, folder } = await readExportInfo(source, fetchFunc);
  const onnx = info.onnx;
  if (!onnx) throw new Error('this export has no ONNX model: export it again with gantry export --format onnx (or all)');
  const bytes = await checkedBytes(new URL(onnx.model, folder).href, folder, info, fetchFunc);
  const session = await ort.InferenceSession.create(new Uint8Array(bytes), options.executionProviders ? { executionProviders: options.executionProviders } : {});
  const [zInput, labelsInput] = onnx.inputs;
  const output = onnx.outputs[0]!.name;
  return wrapGenerator(info, 'onnx', async (z, labels, count) => {
    const feeds: Record<string, Ort.Tensor> = { [zInput!.name]: new ort.Tensor('float32', z, [count, info.latentDim]) };
    if (labels && labelsInput) feeds[labelsInput.name] = new ort.Tensor('int64', BigInt64Array.from(labels, (y) => BigInt(y)), [count]);
    const result = await session.run(feeds);
    const images = result[output]!;
    const values = Float32Array.from((await images.getData()) as Float32Array); // a copy: the runtime may reuse its buffer
    images.dispose();
    return toUnitRangeInPlace(values, info.output.range);
  }, () => void session.release());
}
