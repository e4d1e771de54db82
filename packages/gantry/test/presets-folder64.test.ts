// The one-hour colour preset on a folder of the user's own images, as the README's colour section
// runs it: `gantry train --preset dcgan64 --data folder:DIR --minutes N`. Images of other sizes and
// formats are fitted to 64x64x3, the time budget stops the run at a checkpoint, and --resume ends
// it where the planned steps end. The quality of an hour is measured in bench/colour-quality.js.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { selectBackend } from '../src/backend.js';
import { readNpy } from '../src/io/npy.js';
import { runGantry } from './badInputCases.js';
import { tempDir } from './fixtures.js';

// a dcgan64 step takes seconds on the native backend and far longer on TF.js's cpu backend
const skip = (await selectBackend('auto')).name !== 'onednn' ? 'needs the native backend' : false;

const work = tempDir('gantry-folder64-');
const cache = join(work, 'cache');

const gantry = (args: string[]) => runGantry(args, cache);

/** Twelve "64x64-ish" images: PNG and JPEG, square and not, each a coloured disc on white. */
async function writePhotos(dir: string): Promise<void> {
  const sizes = [[64, 64], [72, 60], [50, 80], [96, 96]] as const;
  for (let i = 0; i < 12; i++) {
    const [width, height] = sizes[i % sizes.length]!;
    const fill = `rgb(${(i * 70) % 256},${(i * 130 + 40) % 256},${(i * 30 + 90) % 256})`;
    const r = Math.floor(Math.min(width, height) / 3);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/><circle cx="${width / 2}" cy="${height / 2}" r="${r}" fill="${fill}"/></svg>`;
    const image = sharp(Buffer.from(svg));
    await (i % 2 === 0 ? image.png() : image.jpeg({ quality: 90 })).toFile(join(dir, `photo-${i}.${i % 2 === 0 ? 'png' : 'jpg'}`));
  }
}

test('dcgan64 on a folder of 64x64-ish images: fitted to 64x64x3, stopped by --minutes at a checkpoint, finished by --resume', { skip, timeout: 300_000 }, async () => {
  const photos = join(work, 'photos');
  mkdirSync(photos);
  await writePhotos(photos);
  const out = join(work, 'run');

  // a budget of well under a millisecond is spent by the end of the first step; the step itself
  // trains on the 72x60, 50x80 and 96x96 files, so it fails unless they were fitted to 64x64x3
  const first = gantry(['train', '--preset', 'dcgan64', '--data', `folder:${photos}`, '--batch-size', '4', '--steps', '3', '--minutes', '0.00001',
    '--sample-every', '1', '--checkpoint-every', '100', '--log-every', '1', '--out', out]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /stopped after 0\.00001 minutes of training at step 1 of 3; continue with: gantry train --resume --out /);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.data, `folder:${photos}`);
  assert.deepEqual(config.augment, ['color', 'translation', 'cutout']);
  assert.deepEqual(config.dataOptions, { resize: 'crop', background: 'white', flip: false, strict: false });
  // only the budget's stop wrote a checkpoint (checkpointEvery is 100)
  assert.equal(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')).step, 1);
  assert.ok(existsSync(join(out, 'samples', 'step-000000001.png')));

  const s = gantry(['sample', '--run', out, '--n', '4', '--out', join(work, 'one.npy')]);
  assert.equal(s.code, 0, s.stderr);
  const arr = await readNpy(join(work, 'one.npy'));
  assert.deepEqual(arr.shape, [4, 64, 64, 3]);
  const values = Array.from(arr.data as Float32Array);
  assert.ok(values.every((v) => v >= 0 && v <= 1));

  const rest = gantry(['train', '--resume', '--out', out, '--quiet']);
  assert.equal(rest.code, 0, rest.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')).step, 3);
  const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual([...new Set(steps)], [1, 2, 3]);
});
