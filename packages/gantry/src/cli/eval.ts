import { resolve } from 'node:path';
import { backendChoices } from 'gantry-core/config.js';
import { announce, selectBackend } from '../backend.js';
import { UsageError } from 'gantry-core/errors.js';
import { loadDataset, parseDataSpec } from '../data/load.js';
import { evaluateSamples, type EvalResult } from '../eval/evaluate.js';
import { hasFeatureNetwork, loadFeatureNetwork } from '../eval/featureNetwork.js';
import { precisionRecall } from '../eval/precisionRecall.js';
import type { ImageShape } from 'gantry-core/data/dataset.js';
import type { ImageOptions } from 'gantry-core/data/imageOptions.js';
import { cyclingLabels, generateImages01 } from 'gantry-core/train/images.js';
import { openRun } from '../runFolder/checkpoints.js';
import { warnSkippedCheckpoints } from './skippedCheckpoints.js';
import { permutation, Stream } from 'gantry-core/util/random.js';
import { choiceFlag, intFlag, parseFlags, stringFlag } from './args.js';

export const evalHelp = `gantry eval --run DIR [options]
gantry eval --npy FILE --data SPEC [options]

Score generated images against the real data: FID, KID, Inception Score, precision/recall
and class coverage, all in the feature space of Gantry's own classifier for the dataset
(mnist, fashion-mnist, emoji). These are NOT comparable with Inception-based scores published
elsewhere; compare Gantry numbers with Gantry numbers on the same dataset.

  --run DIR          a training run directory: generate samples from its checkpoint and
                     evaluate them against the run's data
  --n N              number of samples to generate (default 2000)
  --seed N           noise seed (default 0)
  --checkpoint NAME  a checkpoint such as step-000001000 or 1000 (default: the newest
                     intact one; a damaged one is skipped with a warning)
  --weights W        ema | raw: G's moving average (the default where the run keeps one) or
                     its trained weights
  --npy FILE         evaluate the images in FILE ([N, H, W(, C)], float in [0, 1] or uint8)
  --data SPEC        the dataset to compare --npy images with: mnist, fashion-mnist or emoji
                     (others are scored on pixels: precision and recall)
  --json             print one JSON object instead of a table
  --backend NAME     auto | webgpu | onednn | tensorflow | cpu`;


export async function evalCommand(argv: string[]): Promise<void> {
  const v = parseFlags('eval', argv, {
    run: { type: 'string' }, n: { type: 'string' }, seed: { type: 'string' }, checkpoint: { type: 'string' }, weights: { type: 'string' },
    npy: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' }, backend: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(evalHelp);
    return;
  }
  const runFlag = stringFlag(v, 'run');
  const npyFlag = stringFlag(v, 'npy');
  const dataFlag = stringFlag(v, 'data');
  if (!runFlag === !npyFlag) throw new UsageError('gantry eval needs either --run DIR (a training run) or --npy FILE --data SPEC (images to score)');
  if (npyFlag && !dataFlag) throw new UsageError('--npy needs --data SPEC, the dataset to compare with (mnist, fashion-mnist or emoji)');
  if (runFlag && dataFlag) throw new UsageError('--data goes with --npy; a --run is compared with its own training data');
  if (npyFlag && (v.n !== undefined || v.seed !== undefined || v.checkpoint !== undefined || v.weights !== undefined)) {
    throw new UsageError('--n, --seed, --checkpoint and --weights go with --run; --npy evaluates every image in the file');
  }
  const n = intFlag(v, 'n', 10, 1000000) ?? 2000;
  const seed = intFlag(v, 'seed', 0, 4294967295) ?? 0;
  const backendChoice = choiceFlag(v, 'backend', backendChoices) ?? 'auto';
  const weightsFlag = choiceFlag(v, 'weights', ['ema', 'raw'] as const);

  const backend = await selectBackend(backendChoice, { announce });
  if (backend.warning) console.error(`gantry: warning: ${backend.warning}`);
  let samples: { pixels: Float32Array; n: number; shape: ImageShape; data: string; image?: Partial<ImageOptions>; requestedClasses?: Int32Array };
  if (npyFlag) {
    const dataset = parseDataSpec(dataFlag!);
    const images = await loadDataset(`npy:${resolve(npyFlag)}`);
    samples = { pixels: images.pixels01, n: images.count, shape: images, data: dataset.kind === 'mnist' || dataset.kind === 'fashion-mnist' ? dataset.kind : dataFlag! };
  } else {
    const runDir = resolve(runFlag!);
    const { gan, config, step, skipped, checkpointDir } = openRun(runDir, stringFlag(v, 'checkpoint'), weightsFlag);
    warnSkippedCheckpoints(skipped, checkpointDir);
    const [h, w, c] = gan.G.outputShape as [number, number, number];
    const labelOf = cyclingLabels(config);
    const pixels = await generateImages01(gan, seed, Stream.sampleCommand, n, labelOf);
    gan.dispose();
    const requestedClasses = labelOf ? Int32Array.from({ length: n }, (_, i) => labelOf(i)) : undefined;
    samples = { pixels, n, shape: { height: h, width: w, channels: c }, data: config.data, image: config.dataOptions, requestedClasses };
    if (!v.json) console.error(`gantry: evaluating ${n} samples from step ${step} of ${runDir}`);
  }

  if (!hasFeatureNetwork(samples.data)) {
    // no classifier for this data: FID, KID, IS and coverage need one; precision and recall work on pixels
    const result = await pixelPrecisionRecall(samples.pixels, samples.n, samples.shape, samples.data, seed, samples.image);
    console.log(v.json ? JSON.stringify(result) : formatPixelTable(result));
    return;
  }
  const net = loadFeatureNetwork(samples.data);
  let result: EvalResult;
  try {
    result = await evaluateSamples(samples.pixels, samples.n, samples.shape, samples.data, { featureNetwork: net, seed, requestedClasses: samples.requestedClasses });
  } finally {
    net.dispose();
  }
  console.log(v.json ? JSON.stringify(result) : formatTable(result));
}

/** Precision and recall (k = 3) on raw pixels against up to n real images of the data. */
async function pixelPrecisionRecall(pixels: Float32Array, n: number, shape: ImageShape, data: string, seed: number, image?: Partial<ImageOptions>) {
  // a run's real images are fitted as it trained on them (resize mode, background)
  const real = await loadDataset(data, { shape, image: image && { resize: image.resize, background: image.background }, progress: true });
  const m = Math.min(n, real.count);
  const size = shape.height * shape.width * shape.channels;
  // a seeded subset of the real images, as many as there are samples
  const order = permutation(real.count, seed, Stream.sampleCommand, 0);
  const chosen = new Float32Array(m * size);
  for (let i = 0; i < m; i++) chosen.set(real.pixels01.subarray(order[i] * size, (order[i] + 1) * size), i * size);
  const pr = precisionRecall(chosen, pixels, size, 3);
  return { dataset: data, n, referenceCount: m, featureSpace: 'pixels', fid: null, kid: null, is: null, precision: pr.precision, recall: pr.recall };
}

function formatPixelTable(r: { dataset: string; n: number; referenceCount: number; precision: number; recall: number }): string {
  return [
    `${r.n} samples vs ${r.referenceCount} real images of ${r.dataset}, in pixel space: no feature network ships for this data,`,
    '  so FID, KID, IS and class coverage are not available (they exist for mnist, fashion-mnist and emoji)',
    `  precision ${r.precision.toFixed(4).padStart(12)}  fraction of samples on the real manifold (pixel distances)`,
    `  recall    ${r.recall.toFixed(4).padStart(12)}  fraction of real images on the sample manifold`,
  ].join('\n');
}

function formatTable(r: EvalResult): string {
  const f = (x: number, digits = 4) => x.toFixed(digits);
  const rows: [string, string, string][] = [
    ['FID', f(r.fid, 3), 'Frechet distance of feature Gaussians (lower is better)'],
    ['KID', `${f(r.kid.mean)} ± ${f(r.kid.std)}`, 'unbiased MMD^2, cubic kernel (lower is better)'],
    ['IS', `${f(r.is.mean, 3)} ± ${f(r.is.std, 3)}`, 'Inception Score from class probabilities (1 to #classes)'],
    ['precision', f(r.precision, 3), 'fraction of samples on the real manifold'],
    ['recall', f(r.recall, 3), 'fraction of real images on the sample manifold'],
    ['classes', String(r.coverage.classes), 'classes with at least 2% of the samples'],
    ['class KL', f(r.coverage.kl), 'KL(class histogram || uniform), nats (0 is even)'],
    ...(r.classAccuracy !== undefined ? [['class accuracy', f(r.classAccuracy), 'samples the classifier puts in the class they were generated for'] as [string, string, string]] : []),
    ...(r.classAccuracyByClass ?? []).map((x, k) => [`  class ${k}`, x === null ? '-' : f(x, 3), x === null ? 'no samples generated for it' : 'its own samples put in it'] as [string, string, string]),
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const head = `${r.n} samples vs ${r.referenceCount} real ${r.dataset} images (Gantry classifier features; not comparable with Inception-based scores)`;
  // the histogram behind the two coverage rows, one share per class (too wide for the value column)
  const shares = `  ${'class shares'.padEnd(w0)}  ${r.coverage.share.map((p) => (100 * p).toFixed(1)).join(' ')}  (% of the samples the classifier puts in each class, 0 first)`;
  return [head, ...rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`), shares].join('\n');
}
