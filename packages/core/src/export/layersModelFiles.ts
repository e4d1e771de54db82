import * as tf from '@tensorflow/tfjs';

/** TF.js' converter splits weights into 4 MiB shards; browsers cache and fetch files of that size well. */
const shardBytes = 4 * 1024 * 1024;

/**
 * `model` as TF.js' LayersModel files: `model.json` (topology and weights manifest) and
 * `group1-shardKofN.bin`, the layout `tf.loadLayersModel` reads over HTTP. TF.js serialises the
 * topology itself; this only lays the artifacts out as files' bytes, the shards first.
 */
export async function layersModelFiles(model: tf.LayersModel, producer: string): Promise<{ path: string; bytes: Uint8Array }[]> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!artifacts?.weightSpecs || !artifacts.weightData) throw new Error('TF.js saved no weights for the model');
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  const count = Math.max(1, Math.ceil(data.length / shardBytes));
  const shards = Array.from({ length: count }, (_, k) => ({
    path: `group1-shard${k + 1}of${count}.bin`,
    bytes: data.subarray(k * shardBytes, Math.min(data.length, (k + 1) * shardBytes)),
  }));
  const modelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: producer,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: shards.map((f) => f.path), weights: artifacts.weightSpecs }],
  };
  return [...shards, { path: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(modelJson)) }];
}
