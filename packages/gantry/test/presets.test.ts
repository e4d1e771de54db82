// Each preset trains as it says: its loss, its D steps per G step, its regularizer, its EMA of G,
// its augmentations, its spectrally normalised D and its classes, each checked on what the
// training does (one step of the real loop on images of the preset's shape), not on the config.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend.js';
import { resolveTrainConfig, type TrainConfig } from 'gantry-core/config.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { adversarialLosses } from 'gantry-core/losses/adversarial.js';
import { Network } from 'gantry-core/models/network.js';
import { presetNames } from 'gantry-core/models/presets.js';
import { noiseBatch } from 'gantry-core/train/batches.js';
import { Gan } from 'gantry-core/train/gan.js';
import { train } from '../src/train/loop.js';
import { Rng, Stream } from 'gantry-core/util/random.js';
import { tempDir } from './fixtures.js';

const backend = await selectBackend('auto');
// a training step of the larger presets takes seconds on the native backend and minutes on TF.js's cpu backend
const trains = backend.name === 'onednn';
const work = tempDir('gantry-presets-');
after(() => rmSync(work, { recursive: true, force: true }));

/** What sets each preset apart. A new preset says here what it is. */
interface Signature {
  loss: keyof typeof adversarialLosses;
  dSteps: number;
  /** The gradient penalty runs (and is logged) every step. */
  penalty: boolean;
  /** EMA decay of G's weights, or null for none. */
  ema: number | null;
  augment: string[];
  /** Every kernel of D is spectrally normalised. */
  spectralNorm: boolean;
  /** Classes G and D are conditioned on (0: unconditional). */
  classes: number;
  /** How the fakes' classes are drawn in training (conditional presets). */
  fakeLabels?: 'data';
  /** The kernels' start, when not Glorot-uniform. */
  init?: { kind: 'normal'; std: number };
}

const plain: Signature = { loss: 'non-saturating', dSteps: 1, penalty: false, ema: null, augment: [], spectralNorm: false, classes: 0 };
const sngan: Signature = { ...plain, loss: 'hinge', ema: 0.999, augment: ['translation', 'cutout'], spectralNorm: true };
const signatures: Record<string, Signature> = {
  'seed-mlp': plain,
  'dcgan-mnist': plain,
  'wgan-gp-mnist': { ...plain, loss: 'wasserstein', dSteps: 5, penalty: true },
  'hinge-sngan-mnist': { ...plain, loss: 'hinge', spectralNorm: true },
  'cgan-mnist': { ...plain, classes: 10 },
  'dcgan-fashion': plain,
  'resnet-folder32': sngan,
  dcgan64: { ...plain, augment: ['color', 'translation', 'cutout'], init: { kind: 'normal', std: 0.02 } },
  sngan64: sngan,
  'cgan-emoji': { ...plain, augment: ['color', 'translation', 'cutout'], classes: 10, fakeLabels: 'data' },
};

test('every preset says what sets it apart', () => {
  assert.deepEqual([...presetNames()].sort(), Object.keys(signatures).sort());
});

/** Random images of the config's shape, with labels when it is conditional. */
function imagesFor(config: TrainConfig, count: number, classes: number): ImageSet {
  const [height, width, channels] = config.discriminator.input as [number, number, number];
  const pixels01 = new Rng(5, 99, 0).fillUniform(new Float32Array(count * height * width * channels), 0, 1);
  const labels = new Int32Array(count).map((_, i) => i % Math.max(classes, 2));
  return { source: 'test', count, height, width, channels, pixels01, labels, numClasses: Math.max(classes, 2) };
}

/** One step of the real training loop; the GAN after it and the step's metrics record. */
async function trainOneStep(config: TrainConfig, data: ImageSet, name: string) {
  const out = join(work, name);
  const r = await train({ config: { ...config, steps: 1 }, out, data, quiet: true });
  const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { gan: r.gan, record: records.find((x) => x.step === 1 && 'loss/D' in x)! };
}

const values = (v: tf.Variable) => v.dataSync() as Float32Array;
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

for (const name of presetNames()) {
  test(`preset ${name} trains as it says`, async () => {
    const want = signatures[name]!;
    const config = resolveTrainConfig({}, { preset: name, batchSize: 2, logEvery: 1, sampleEvery: 1, checkpointEvery: 1, sampleCount: 2 });
    const c = want.classes > 0 ? { ...config, numClasses: want.classes } : config;
    const gan = new Gan(c);
    try {
      // the loss family D and G are trained with
      assert.equal(gan.loss, adversarialLosses[want.loss]);
      assert.equal(gan.Gema === null, want.ema === null);
      assert.equal(c.fakeLabels, want.fakeLabels ?? 'uniform');
      assert.deepEqual(c.init, want.init ?? { kind: 'glorot-uniform' });
      const firstKernel = Array.from(gan.G.trainable.find((v) => v.name.endsWith('kernel'))!.variable.dataSync());
      const spread = Math.sqrt(firstKernel.reduce((a, x) => a + x * x, 0) / firstKernel.length);
      if (want.init) assert.ok(Math.abs(spread - want.init.std) < want.init.std / 5, `G's first kernel spreads ${spread}`);

      // spectral norm: D's output does not change when every kernel is scaled (W / sigma(W) is
      // the same), and it does change without spectral norm
      const [h, w, ch] = c.discriminator.input as [number, number, number];
      const x = tf.tensor4d(new Rng(3, 99, 1).fillUniform(new Float32Array(2 * h * w * ch), -1, 1), [2, h, w, ch]);
      const labels = want.classes > 0 ? tf.tensor1d([0, 1], 'int32') : undefined;
      const dOut = () => tf.tidy(() => gan.D.apply(x, { training: false, labels }).dataSync() as Float32Array);
      const before = dOut();
      const kernels = gan.D.trainable.filter((v) => /\/kernel$/.test(v.name));
      assert.ok(kernels.length > 0);
      for (const k of kernels) k.variable.assign(tf.mul(k.variable, 4));
      const scaled = dOut();
      const change = maxDiff(before, scaled) / Math.max(1e-3, ...before.map(Math.abs));
      if (want.spectralNorm) assert.ok(change < 1e-4, `D's output moved by ${change} with its kernels scaled`);
      else assert.ok(change > 1e-2, `D's output moved by only ${change} with its kernels scaled`);

      // classes: G draws a different image for another class from the same noise
      if (want.classes > 0) {
        const z = noiseBatch(1, Stream.noiseG, 0, 2, c.latentDim);
        const a = tf.tidy(() => gan.G.apply(z, { training: false, labels: tf.tensor1d([0, 0], 'int32') }).dataSync() as Float32Array);
        const b = tf.tidy(() => gan.G.apply(z, { training: false, labels: tf.tensor1d([want.classes - 1, want.classes - 1], 'int32') }).dataSync() as Float32Array);
        assert.ok(maxDiff(a, b) > 1e-4, 'the class has no effect on G');
        z.dispose();
      }
      tf.dispose([x, ...(labels ? [labels] : [])]);
    } finally {
      gan.dispose();
    }
    if (!trains) return;

    // one step of the loop, EMA from the first step so that its decay shows
    const data = imagesFor(c, 8, want.classes);
    const emaNow = c.ema ? { ...c.ema, startStep: 0 } : null;
    const run = await trainOneStep({ ...c, ema: emaNow }, data, name);
    try {
      // D steps per G step
      assert.equal(run.gan.optD.iterations, want.dSteps);
      assert.equal(run.gan.optG.iterations, 1);
      assert.ok(Number.isFinite(run.record['loss/D']) && Number.isFinite(run.record['loss/G']), JSON.stringify(run.record));
      // the regularizer ran
      assert.equal(run.record['loss/penalty'] !== undefined, want.penalty, JSON.stringify(run.record));
      // the EMA: decay * G's first weights + (1 - decay) * G's weights after the step
      if (want.ema !== null) {
        const first = new Network('G', c.generator, c.seed, Stream.initG);
        try {
          const decay = want.ema;
          const i = run.gan.G.trainable.findIndex((v) => /kernel$/.test(v.name));
          const g0 = values(first.trainable[i]!.variable);
          const g1 = values(run.gan.G.trainable[i]!.variable);
          const ema = values(run.gan.Gema!.trainable[i]!.variable);
          assert.ok(maxDiff(g0, g1) > 0, 'G did not change');
          assert.ok(maxDiff(ema, g0.map((v, k) => decay * v + (1 - decay) * g1[k]!)) < 1e-6, `the EMA is not ${decay} of the old weights`);
        } finally {
          first.dispose();
        }
      }
      // the augmentations: D's loss on the first step is what it is only with them
      const plainRun = await trainOneStep({ ...c, ema: emaNow, augment: [] }, data, `${name}-unaugmented`);
      try {
        if (want.augment.length > 0) assert.notEqual(plainRun.record['loss/D'], run.record['loss/D'], 'the augmentations changed nothing');
        else assert.equal(plainRun.record['loss/D'], run.record['loss/D']);
        assert.deepEqual(c.augment, want.augment);
      } finally {
        plainRun.gan.dispose();
      }
    } finally {
      run.gan.dispose();
    }
  });
}
