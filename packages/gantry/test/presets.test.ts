import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend.js';
import { resolveTrainConfig } from '../src/config.js';
import { presetNames } from '../src/models/presets.js';
import { noiseBatch, randomLabels } from '../src/train/batches.js';
import { Gan } from '../src/train/gan.js';
import { Stream } from '../src/util/random.js';

const backend = await selectBackend('auto');

for (const name of presetNames()) {
  test(`preset ${name} resolves, validates and ${backend.name === 'onednn' ? 'trains a step' : 'builds'}`, () => {
    const config = resolveTrainConfig({}, { preset: name, batchSize: 2 });
    assert.equal(config.preset, name);
    // a conditional preset's class count is the one its label layers declare (the data's, at training time)
    const classes = config.generator.layers.find((l) => l.kind === 'labelConcat');
    const c = config.conditional && classes?.kind === 'labelConcat' ? { ...config, numClasses: classes.classes } : config;
    const gan = new Gan(c);
    const [h, w, ch] = gan.G.outputShape;
    assert.deepEqual([h, w, ch], c.discriminator.input);
    if (backend.name === 'onednn') {
      const labels = (k: number) => (c.numClasses ? randomLabels(0, k, 2, c.numClasses) : undefined);
      const d = Array.from({ length: c.dSteps }, (_, k) => ({
        real: tf.randomUniform([2, h, w, ch], -1, 1), realLabels: labels(10 + k), z: noiseBatch(0, Stream.noiseD, k, 2, c.latentDim), fakeLabels: labels(20 + k), counter: k,
      }));
      const stats = gan.trainStep(0, d, { z: noiseBatch(0, Stream.noiseG, 0, 2, c.latentDim), fakeLabels: labels(30), counter: 0 }, true);
      assert.ok(stats && Number.isFinite(stats.lossD) && Number.isFinite(stats.lossG), JSON.stringify(stats));
    }
    gan.dispose();
  });
}
