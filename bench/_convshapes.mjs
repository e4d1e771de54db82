const tf = await import('@tensorflow/tfjs');
const { selectBackend } = await import('../packages/gantry/dist/src/backend.js');
const onednn = await import('tfjs-backend-onednn');
await selectBackend('onednn', { threads: 1 });
const shapes = [
  // [n, h, w, cin, cout, k, stride]
  [32, 8, 8, 128, 128, 3, 1], [64, 8, 8, 128, 128, 3, 1], [32, 16, 16, 64, 64, 3, 1], [32, 32, 32, 32, 32, 3, 1],
  [32, 64, 64, 16, 16, 3, 1], [64, 64, 64, 16, 16, 3, 1], [32, 4, 4, 128, 128, 3, 1], [128, 14, 14, 64, 128, 4, 2], [64, 7, 7, 128, 64, 4, 2],
  [32, 32, 32, 128, 128, 3, 1], [32, 16, 16, 128, 128, 3, 1],
];
const time = (f, reps) => { for (let i = 0; i < 3; i++) tf.tidy(f); const t = []; for (let i = 0; i < reps; i++) { const t0 = performance.now(); tf.tidy(() => { const r = f(); r.dataSync(); }); t.push(performance.now() - t0); } t.sort((a, b) => a - b); return t[Math.floor(reps / 2)]; };
for (const [n, h, w, ci, co, k, s] of shapes) {
  const x = tf.randomNormal([n, h, w, ci]); const f = tf.randomNormal([k, k, ci, co]);
  const y = tf.conv2d(x, f, s, 'same'); const dy = tf.randomNormal(y.shape);
  const flops = 2 * y.size * k * k * ci / 1e6;
  const row = [];
  for (const t of [1, 2]) {
    onednn.setThreads(t);
    row.push(time(() => tf.conv2d(x, f, s, 'same'), 9), time(() => tf.conv2dTranspose(dy, f, x.shape, s, 'same'), 9), time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: f.shape }), 9));
  }
  console.log(`${[n, h, w, ci, co, k, s].join('x')} ${flops.toFixed(0)}MF  fwd ${row[0].toFixed(2)}/${row[3].toFixed(2)}  bwdD ${row[1].toFixed(2)}/${row[4].toFixed(2)}  bwdW ${row[2].toFixed(2)}/${row[5].toFixed(2)}`);
}
