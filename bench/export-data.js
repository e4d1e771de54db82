#!/usr/bin/env node
// Writes an embedded dataset as a float32 .npy [N, 28, 28, 1] in [0, 1], for the PyTorch peer.
//   node bench/export-data.js mnist /tmp/mnist.npy
import { loadDataset } from '../packages/gantry/dist/src/data/load.js';
import { writeNpyFloat32 } from '../packages/gantry/dist/src/io/npy.js';

const [spec = 'mnist', out = 'mnist.npy'] = process.argv.slice(2);
const set = await loadDataset(spec);
await writeNpyFloat32(out, set.pixels01, [set.count, set.height, set.width, set.channels]);
console.error(`wrote ${set.count} images of ${spec} to ${out}`);
