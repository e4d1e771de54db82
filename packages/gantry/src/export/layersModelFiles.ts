import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { WeightsFile } from 'gantry-core/export/format.js';

/** TF.js' converter splits weights into 4 MiB shards; browsers cache and fetch files of that size well. */
const shardBytes = 4 * 1024 * 1024;

/**
 * Writes `model` into `dir` as TF.js' LayersModel format: `model.json` (topology and weights
 * manifest) and `group1-shardKofN.bin` files, the layout `tf.loadLayersModel` reads over HTTP.
 * TF.js serialises the topology itself; this only lays the artifacts out as files.
 */
export async function writeLayersModel(model: tf.LayersModel, dir: string, producer: string): Promise<WeightsFile[]> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!artifacts?.weightSpecs || !artifacts.weightData) throw new Error('TF.js saved no weights for the model');
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  const count = Math.max(1, Math.ceil(data.length / shardBytes));
  const files: WeightsFile[] = [];
  for (let k = 0; k < count; k++) {
    const name = `group1-shard${k + 1}of${count}.bin`;
    const part = data.subarray(k * shardBytes, Math.min(data.length, (k + 1) * shardBytes));
    writeFileSync(join(dir, name), part);
    files.push({ path: name, bytes: part.length, sha256: createHash('sha256').update(part).digest('hex') });
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: producer,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: files.map((f) => f.path), weights: artifacts.weightSpecs }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
  return files;
}
