// Run by signals.test.ts: matrix products, convolutions and their gradients, and threaded
// elementwise work, for a while, with a SIGUSR2 handler installed, while the parent sends
// SIGUSR2 as fast as it can. Prints `ready`, then `ok <iterations> <signals handled>`, and
// exits 0 when its stdin closes.
import * as tf from '@tensorflow/tfjs';

import { registerOnednnBackend, setThreads } from '../src/index.js';

process.env.GANTRY_PARALLEL_MIN_ELEMENTS = '4096';
if (!registerOnednnBackend()) throw new Error('the onednn addon did not load');
await tf.setBackend('onednn');
setThreads(Number(process.argv[2] ?? '1'));
const seconds = Number(process.argv[3] ?? '2');

let handled = 0;
process.on('SIGUSR2', () => handled++);

const a = tf.randomNormal([192, 192], 0, 1, 'float32', 1);
const x = tf.randomNormal([8, 16, 16, 8], 0, 1, 'float32', 2);
const w = tf.randomNormal([3, 3, 8, 32], 0, 0.1, 'float32', 3);
const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same'))));

console.log('ready');
const start = Date.now();
let iterations = 0;
while (Date.now() - start < seconds * 1000) {
  tf.tidy(() => {
    const p = tf.matMul(a, a);
    const [gx, gw] = grads([x, w]);
    const e = tf.add(tf.mul(gx!, 2), tf.relu(gx!));
    return [p.dataSync(), gw!.dataSync(), e.dataSync()];
  });
  iterations++;
  // let the event loop run the JS handler now and then
  if (iterations % 10 === 0) await new Promise((r) => setImmediate(r));
}
console.log(`ok ${iterations} ${handled}`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
