import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { emojiCategories } from '../src/data/emoji.js';
import { loadDataset, parseDataSpec } from '../src/data/load.js';
import { RealBatches } from 'gantry-core/train/batches.js';
import { assertUsageError, tempDir } from './dataFixtures.js';

test('emoji specs parse: emoji is the google set; unknown sets are refused', async () => {
  assert.deepEqual(parseDataSpec('emoji'), { kind: 'emoji', set: 'google' });
  assert.deepEqual(parseDataSpec('emoji:twitter'), { kind: 'emoji', set: 'twitter' });
  await assertUsageError(async () => parseDataSpec('emoji:apple'), /unknown emoji set 'apple'/);
});

test('emoji: 64x64 colour images on white, labelled by Unicode category, categories spread in proportion', async () => {
  const cacheDir = await tempDir();
  const categories = emojiCategories();
  assert.ok(categories.includes('Smileys & Emotion') && categories.includes('Flags'), categories.join());
  for (const spec of ['emoji', 'emoji:twitter']) {
    const set = await loadDataset(spec, { limit: 2 * categories.length, cacheDir, shape: { height: 64, width: 64, channels: 3 } });
    assert.deepEqual([set.source, set.count, set.height, set.width, set.channels, set.numClasses], [spec, 2 * categories.length, 64, 64, 3, categories.length]);
    assert.ok(set.labels!.every((l) => l >= 0 && l < categories.length));
    assert.ok(new Set(set.labels).size >= 6, `${spec}: the first images already span most categories`);
    // the corners are transparent in every emoji: white after compositing
    assert.deepEqual(Array.from(set.bytes!.subarray(0, 3)), [255, 255, 255]);
    const bytes = set.bytes!;
    let coloured = 0;
    for (let p = 0; p < bytes.length; p += 3) if (Math.max(bytes[p]!, bytes[p + 1]!, bytes[p + 2]!) - Math.min(bytes[p]!, bytes[p + 1]!, bytes[p + 2]!) > 60) coloured++;
    assert.ok(coloured > bytes.length / 3 / 10, `${spec}: at least a tenth of the pixels are saturated colour (${coloured})`);
  }
  const small = await loadDataset('emoji', { limit: 4, cacheDir, shape: { height: 16, width: 16, channels: 1 } });
  assert.deepEqual([small.height, small.width, small.channels, small.bytes!.length], [16, 16, 1, 4 * 256]);
});

test('batches from bytes match batches from floats; --flip mirrors about half of the images', async () => {
  const set = await loadDataset('emoji', { limit: 20, cacheDir: await tempDir(), shape: { height: 8, width: 8, channels: 3 } });
  const floats = { ...set, bytes: undefined, pixels01: set.pixels01 };
  const fromBytes = new RealBatches(set, 10, 3, '-1,1').batch(0).images;
  const fromFloats = new RealBatches(floats, 10, 3, '-1,1').batch(0).images;
  const diff = tf.max(tf.abs(tf.sub(fromBytes, fromFloats))).dataSync()[0]!;
  assert.ok(diff < 1e-6, `byte and float batches differ by ${diff}`);
  const flipped = new RealBatches({ ...floats, flip: true }, 10, 3, '-1,1').batch(0).images;
  const mirrored = tf.reverse(fromFloats, 2);
  let same = 0;
  let mirroredCount = 0;
  for (let i = 0; i < 10; i++) {
    const f = flipped.slice(i, 1);
    if (tf.max(tf.abs(tf.sub(f, fromFloats.slice(i, 1)))).dataSync()[0] === 0) same++;
    else if (tf.max(tf.abs(tf.sub(f, mirrored.slice(i, 1)))).dataSync()[0] === 0) mirroredCount++;
  }
  assert.equal(same + mirroredCount, 10, 'each image is itself or its mirror');
  assert.ok(mirroredCount >= 1 && mirroredCount <= 9, `mirrored ${mirroredCount} of 10`);
});
