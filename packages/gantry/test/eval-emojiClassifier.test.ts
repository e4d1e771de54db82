import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend } from '../src/backend.js';
import { loadDataset } from '../src/data/load.js';
import { CLASSIFIER_SPLITS } from '../src/eval/classifierSpec.js';
import { evaluateSamples } from '../src/eval/evaluate.js';
import { argmaxRows, hasFeatureNetwork, loadFeatureNetwork } from '../src/eval/featureNetwork.js';
import { TEST_CACHE_DIR, tempDir } from './dataFixtures.js';

test('the committed emoji classifier: 64x64x3, 10 categories, its held-out accuracy re-measured; FID ranks real above noise', async () => {
  await selectBackend('auto');
  assert.ok(hasFeatureNetwork('emoji') && !hasFeatureNetwork('emoji:twitter'));
  const { total, heldOut } = CLASSIFIER_SPLITS.emoji;
  const data = await loadDataset('emoji', { cacheDir: TEST_CACHE_DIR });
  assert.equal(data.count, total, 'the split matches the data');
  const net = loadFeatureNetwork('emoji');
  try {
    assert.deepEqual([...net.inputShape, net.numClasses, net.featureDim], [64, 64, 3, 10, 128]);
    const size = 64 * 64 * 3;
    const held = data.pixels01.subarray((total - heldOut) * size);
    const predicted = argmaxRows(net.probs(held, heldOut), heldOut, 10);
    const accuracy = predicted.reduce((a, p, i) => a + (p === data.labels![total - heldOut + i] ? 1 : 0), 0) / heldOut;
    assert.ok(accuracy >= 0.78, `held-out accuracy ${accuracy}`);
    assert.ok(Math.abs(accuracy - net.heldOutAccuracy) <= 0.005, `manifest says ${net.heldOutAccuracy}, measured ${accuracy}`);

    const n = 200;
    const cacheDir = await tempDir();
    const real = await evaluateSamples(held.slice(0, n * size), n, { height: 64, width: 64, channels: 3 }, 'emoji', { featureNetwork: net, cacheDir });
    let s = 7;
    const noise = new Float32Array(n * size).map(() => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296));
    const fake = await evaluateSamples(noise, n, { height: 64, width: 64, channels: 3 }, 'emoji', { featureNetwork: net, cacheDir });
    assert.ok(real.fid < 40 && fake.fid > 150, `FID real ${real.fid}, noise ${fake.fid}`);
    assert.ok(real.recall > 0.3 && fake.recall < 0.05, `recall real ${real.recall}, noise ${fake.recall}`);
    assert.ok(real.is.mean > fake.is.mean + 1, `IS real ${real.is.mean}, noise ${fake.is.mean}`);
  } finally {
    net.dispose();
  }
});
