import { basename, extname, join, resolve } from 'node:path';
import { backendChoices } from 'gantry-core/config.js';
import { announce, selectBackend } from '../backend.js';
import { UsageError } from 'gantry-core/errors.js';
import { writeNpyFloat32 } from '../io/npy.js';
import { writeImageGridPng } from '../io/png.js';
import { cyclingLabels, generateImages01, imagesFromLatents01 } from 'gantry-core/train/images.js';
import { openRun } from '../runFolder/checkpoints.js';
import { warnSkippedCheckpoints } from './skippedCheckpoints.js';
import { Stream } from 'gantry-core/util/random.js';
import { choiceFlag, intFlag, parseFlags, stringFlag } from './args.js';
import { readLatentInputs, type LatentInputs } from './latentInputs.js';

export const sampleHelp = `gantry sample --run DIR [options]

Generate images from a run's checkpoint (G in inference mode).

  --run DIR          a training run directory
  --n N              number of images (default 64)
  --seed N           noise seed (default 0)
  --out FILE         FILE.png (a grid) or FILE.npy (float32 [N, H, W, C] in [0, 1]);
                     default DIR/samples/sample-seed<S>-n<N>.png
  --class K          only class K (conditional runs); by default classes take turns
  --z FILE.npy       use these latents, float32 [N, latent], instead of --n and --seed
  --labels FILE.npy  with --z on a conditional run: the class of each latent, integers [N]
  --checkpoint NAME  a checkpoint such as step-000001000 or 1000 (default: the newest
                     intact one; a damaged one is skipped with a warning)
  --weights W        ema | raw: G's moving average (the default where the run keeps one) or
                     its trained weights
  --backend NAME     auto | webgpu | onednn | tensorflow | cpu`;


export async function sampleCommand(argv: string[]): Promise<void> {
  const v = parseFlags('sample', argv, {
    run: { type: 'string' }, n: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' },
    checkpoint: { type: 'string' }, weights: { type: 'string' }, class: { type: 'string' }, z: { type: 'string' }, labels: { type: 'string' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(sampleHelp);
    return;
  }
  const runFlag = stringFlag(v, 'run');
  if (!runFlag) throw new UsageError('gantry sample needs --run DIR, the directory of a training run');
  const runDir = resolve(runFlag);
  const n = intFlag(v, 'n', 1, 1000000) ?? 64;
  const seed = intFlag(v, 'seed', 0, 4294967295) ?? 0;
  const cls = intFlag(v, 'class', 0, 100000);
  const zFile = stringFlag(v, 'z');
  const labelsFile = stringFlag(v, 'labels');
  if (labelsFile && !zFile) throw new UsageError('--labels goes with --z FILE.npy (the latents they label)');
  if (zFile && (v.n !== undefined || v.seed !== undefined || cls !== undefined)) {
    throw new UsageError('--z gives the latents (and --labels the classes): drop --n, --seed and --class');
  }
  const out = resolve(stringFlag(v, 'out') ?? join(runDir, 'samples', zFile ? `sample-${basename(zFile, '.npy')}.png` : `sample-seed${seed}-n${n}.png`));
  const kind = extname(out).toLowerCase();
  if (kind !== '.png' && kind !== '.npy') throw new UsageError(`--out ${out}: the file name must end in .png (an image grid) or .npy (an array)`);
  if (kind === '.png' && n > 4096) throw new UsageError(`--n ${n} is too many for one PNG grid (at most 4096); write .npy instead`);

  const backend = await selectBackend(choiceFlag(v, 'backend', backendChoices) ?? 'auto', { announce });
  if (backend.warning) console.error(`gantry: warning: ${backend.warning}`);
  const weightsFlag = choiceFlag(v, 'weights', ['ema', 'raw'] as const);
  const { gan, config, step, skipped, checkpointDir } = openRun(runDir, stringFlag(v, 'checkpoint'), weightsFlag);
  warnSkippedCheckpoints(skipped, checkpointDir);
  const [h, w, c] = gan.G.outputShape;
  let given: LatentInputs | undefined;
  if (zFile) {
    try {
      given = await readLatentInputs(resolve(zFile), labelsFile && resolve(labelsFile), config);
    } catch (e) {
      gan.dispose();
      throw e;
    }
  }
  let labelOf = cyclingLabels(config);
  if (cls !== undefined) {
    if (!config.conditional || !config.numClasses) {
      gan.dispose();
      throw new UsageError(`--class needs a conditional run; ${runDir} was trained without labels`);
    }
    if (cls >= config.numClasses) {
      gan.dispose();
      throw new UsageError(`--class ${cls} is out of range: the run has classes 0 to ${config.numClasses - 1}`);
    }
    labelOf = () => cls;
  }
  const count = given ? given.n : n;
  if (given && kind === '.png' && count > 4096) {
    gan.dispose();
    throw new UsageError(`--z holds ${count} latents, too many for one PNG grid (at most 4096); write .npy instead`);
  }
  const pixels = given ? await imagesFromLatents01(gan, given.z, given.n, given.labels) : await generateImages01(gan, seed, Stream.sampleCommand, n, labelOf);
  gan.dispose();
  try {
    if (kind === '.npy') await writeNpyFloat32(out, pixels, [count, h, w, c]);
    else await writeImageGridPng(out, pixels, count, h, w, c);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code || e instanceof UsageError) throw e; // a folder that could not be made says so itself
    throw new UsageError(`cannot write ${out} (${code}); choose a writable --out`);
  }
  console.error(`gantry: wrote ${count} samples from step ${step} to ${out}`);
}
