import { resolve } from 'node:path';
import { backendChoices } from '../config.js';
import { selectBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { loadDataset, parseDataSpec } from '../data/load.js';
import { evaluateSamples, type EvalResult } from '../eval/evaluate.js';
import { loadFeatureNetwork } from '../eval/featureNetwork.js';
import { cyclingLabels, generateImages01 } from '../train/images.js';
import { openRun } from '../train/restore.js';
import { Stream } from '../util/random.js';
import { choiceFlag, intFlag, parseFlags, stringFlag } from './args.js';

export const evalHelp = `gantry eval --run DIR [options]
gantry eval --npy FILE --data SPEC [options]

Score generated images against the real data: FID, KID, Inception Score, precision/recall
and class coverage, all in the feature space of Gantry's own classifier for the dataset
(mnist and fashion-mnist). These are NOT comparable with Inception-based scores published
elsewhere; compare Gantry numbers with Gantry numbers on the same dataset.

  --run DIR          a training run directory: generate samples from its checkpoint and
                     evaluate them against the run's data
  --n N              number of samples to generate (default 2000)
  --seed N           noise seed (default 0)
  --checkpoint NAME  a checkpoint directory name such as step-000001000 (default: latest)
  --npy FILE         evaluate the images in FILE ([N, H, W(, C)], float in [0, 1] or uint8)
  --data SPEC        the dataset to compare --npy images with: mnist or fashion-mnist
  --json             print one JSON object instead of a table
  --backend NAME     auto | onednn | tensorflow | cpu`;


export async function evalCommand(argv: string[]): Promise<void> {
  const v = parseFlags('eval', argv, {
    run: { type: 'string' }, n: { type: 'string' }, seed: { type: 'string' }, checkpoint: { type: 'string' },
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
  if (npyFlag && !dataFlag) throw new UsageError('--npy needs --data SPEC, the dataset to compare with (mnist or fashion-mnist)');
  if (runFlag && dataFlag) throw new UsageError('--data goes with --npy; a --run is compared with its own training data');
  if (npyFlag && (v.n !== undefined || v.seed !== undefined || v.checkpoint !== undefined)) {
    throw new UsageError('--n, --seed and --checkpoint go with --run; --npy evaluates every image in the file');
  }
  const n = intFlag(v, 'n', 10, 1000000) ?? 2000;
  const seed = intFlag(v, 'seed', 0, 4294967295) ?? 0;
  const backendChoice = choiceFlag(v, 'backend', backendChoices) ?? 'auto';

  let result: EvalResult;
  if (npyFlag) {
    const dataset = parseDataSpec(dataFlag!);
    const name = dataset.kind === 'mnist' || dataset.kind === 'fashion-mnist' ? dataset.kind : dataFlag!;
    const backend = await selectBackend(backendChoice);
    if (backend.warning) console.error(`gantry: warning: ${backend.warning}`);
    const net = loadFeatureNetwork(name); // fails before the samples are read when there is none
    try {
      const images = await loadDataset(`npy:${resolve(npyFlag)}`);
      result = await evaluateSamples(images.pixels01, images.count, images, name, { featureNetwork: net, seed });
    } finally {
      net.dispose();
    }
  } else {
    const runDir = resolve(runFlag!);
    const backend = await selectBackend(backendChoice);
    if (backend.warning) console.error(`gantry: warning: ${backend.warning}`);
    const { gan, config, step } = openRun(runDir, stringFlag(v, 'checkpoint'));
    let net;
    try {
      net = loadFeatureNetwork(config.data);
    } catch (e) {
      gan.dispose();
      throw e;
    }
    const [h, w, c] = gan.G.outputShape as [number, number, number];
    const labelOf = cyclingLabels(config);
    const pixels = generateImages01(gan, seed, Stream.sampleCommand, n, labelOf);
    gan.dispose();
    try {
      const requestedClasses = labelOf ? Int32Array.from({ length: n }, (_, i) => labelOf(i)) : undefined;
      result = await evaluateSamples(pixels, n, { height: h, width: w, channels: c }, config.data, { featureNetwork: net, seed, requestedClasses });
    } finally {
      net.dispose();
    }
    if (!v.json) console.error(`gantry: evaluated ${n} samples from step ${step} of ${runDir}`);
  }
  console.log(v.json ? JSON.stringify(result) : formatTable(result));
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
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const head = `${r.n} samples vs ${r.referenceCount} real ${r.dataset} images (Gantry classifier features; not comparable with Inception-based scores)`;
  return [head, ...rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`)].join('\n');
}
