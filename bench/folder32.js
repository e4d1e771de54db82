#!/usr/bin/env node
// A 32x32 colour image folder made from an embedded dataset, so that the folder preset
// (resnet-folder32) can be trained on data whose samples the shipped classifiers can score.
//
//   node bench/folder32.js export mnist DIR [--count 10000]
//       each 28x28 digit padded by 2 pixels of background to 32x32 and written as RGB PNG
//   node bench/folder32.js to-28 SAMPLES.npy OUT.npy
//       [N, 32, 32, 3] samples back to [N, 28, 28, 1]: the centre 28x28, mean of the channels,
//       for `gantry eval --npy OUT.npy --data mnist`
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset } from '../packages/gantry/dist/src/data/load.js';
import { writePng } from '../packages/gantry/dist/src/io/png.js';
import { readNpy, writeNpyFloat32 } from '../packages/gantry/dist/src/io/npy.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { count: { type: 'string', default: '10000' } } });
const [command, a, b] = positionals;

if (command === 'export') {
  const set = await loadDataset(a);
  if (set.height !== 28 || set.width !== 28 || set.channels !== 1) throw new Error(`${a}: expected 28x28 grayscale images`);
  const count = Math.min(Number(values.count), set.count);
  mkdirSync(b, { recursive: true });
  const rgb = new Uint8Array(32 * 32 * 3);
  for (let n = 0; n < count; n++) {
    rgb.fill(0);
    for (let i = 0; i < 28; i++) {
      for (let j = 0; j < 28; j++) {
        const v = Math.round(255 * set.pixels01[(n * 28 + i) * 28 + j]);
        const o = ((i + 2) * 32 + (j + 2)) * 3;
        rgb[o] = rgb[o + 1] = rgb[o + 2] = v;
      }
    }
    await writePng(join(b, `${String(n).padStart(5, '0')}.png`), { data: rgb, width: 32, height: 32, channels: 3 });
  }
  console.error(`wrote ${count} 32x32 RGB images of ${a} to ${b}`);
} else if (command === 'to-28') {
  const x = await readNpy(a);
  const [n, h, w, c] = x.shape;
  if (h !== 32 || w !== 32) throw new Error(`${a}: expected [N, 32, 32, C], got [${x.shape.join(', ')}]`);
  const scale = x.dtype === 'uint8' ? 1 / 255 : 1;
  const out = new Float32Array(n * 28 * 28);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < 28; i++) {
      for (let j = 0; j < 28; j++) {
        let s = 0;
        for (let ch = 0; ch < c; ch++) s += x.data[((k * 32 + i + 2) * 32 + j + 2) * c + ch];
        out[(k * 28 + i) * 28 + j] = (scale * s) / c;
      }
    }
  }
  await writeNpyFloat32(b, out, [n, 28, 28, 1]);
  console.error(`wrote ${n} images [28, 28, 1] to ${b}`);
} else {
  console.error('usage: node bench/folder32.js export mnist DIR [--count N] | to-28 SAMPLES.npy OUT.npy');
  process.exit(2);
}
