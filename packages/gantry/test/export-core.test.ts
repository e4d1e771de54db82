// The generator's export files from the core (gantry-core/export/generatorFiles.js), as a page
// makes them from the GAN it trained: the same bytes `gantry export` writes for that run.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { generatorFiles } from 'gantry-core/export/generatorFiles.js';
import { packRun, unpackRun } from 'gantry-core/run/archive.js';
import { MemoryRunStore } from 'gantry-core/run/store.js';
import { fitConfigToData, runTrainingLoop } from 'gantry-core/train/loop.js';
import { exportGenerator } from '../src/export/exportGenerator.js';
import { FsRunStore } from '../src/io/fsRunStore.js';
import { tempDir, tinyConfig, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

test("a page's export of the GAN it trained is byte for byte gantry export's of the same run, unzipped (model/, model.onnx, gantry.json)", async () => {
  const data = tinyImages(22);
  const { config, batches } = fitConfigToData(tinyConfig({ steps: 6 }), data);
  const page = new MemoryRunStore();
  const r = await runTrainingLoop({ config, data, batches, store: page });
  const { files } = await generatorFiles(r.gan, r.config, { format: 'all' });
  r.gan.dispose();

  const run = join(tempDir('gantry-export-core-'), 'run');
  await unpackRun(await packRun(page, 'run'), new FsRunStore(run));
  const out = join(tempDir('gantry-export-core-'), 'export');
  await exportGenerator({ runDir: run, out, format: 'all' });
  const paths = files.map((f) => f.path).sort();
  assert.deepEqual(paths, ['gantry.json', 'model.onnx', 'model/group1-shard1of1.bin', 'model/model.json']);
  for (const f of files) assert.deepEqual(Buffer.from(f.bytes), readFileSync(join(out, ...f.path.split('/'))), f.path);
  // the CLI's folder is those files and the page's assets
  const written = readdirSync(out, { recursive: true, encoding: 'utf8' });
  assert.ok(paths.every((p) => written.includes(p)) && written.includes('index.html'));
});
