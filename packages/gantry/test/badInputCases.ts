import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNpyFloat32 } from '../src/io/npy.js';
import { tempDir, tinyConvNets, tinyImages } from './fixtures.js';

/**
 * Bad input of every kind the CLI must refuse with exit code 2 and one line on stderr. The
 * CLI tests run each case; docs/bad-inputs.md is generated from the same list.
 */
export interface BadInputCase {
  name: string;
  args: (w: BadInputWorkspace) => string[];
  /** What the one line must say. */
  message: RegExp;
}

export interface BadInputWorkspace {
  dir: string;
  configPath: string;
  dataPath: string;
  /** A finished 5-step run with a checkpoint at step 5. */
  runDir: string;
}

export const gantryBin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');

export function runGantry(args: string[], cacheDir: string) {
  // the timeout turns a hang (as once on /proc) into a failed case instead of a stuck suite
  const r = spawnSync(process.execPath, [gantryBin, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, GANTRY_CACHE_DIR: cacheDir } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function makeBadInputWorkspace(): Promise<BadInputWorkspace> {
  const dir = tempDir('gantry-cli-');
  const dataPath = join(dir, 'tiny.npy');
  const configPath = join(dir, 'tiny.json');
  const set = tinyImages(24);
  await writeNpyFloat32(dataPath, set.pixels01, [24, 8, 8, 1]);
  writeFileSync(configPath, JSON.stringify({ ...tinyConvNets, data: `npy:${dataPath}`, batchSize: 4, sampleCount: 4 }));
  const runDir = join(dir, 'run');
  const t = runGantry(['train', '--config', configPath, '--steps', '5', '--log-every', '2', '--sample-every', '5', '--checkpoint-every', '5', '--out', runDir, '--backend', 'cpu', '--quiet'], join(dir, 'cache'));
  if (t.code !== 0) throw new Error(`training the fixture run failed: ${t.stderr}`);
  return { dir, configPath, dataPath, runDir };
}

function cfg(w: BadInputWorkspace, name: string, settings: object): string[] {
  writeFileSync(join(w.dir, name), JSON.stringify(settings));
  return ['train', '--config', join(w.dir, name), '--out', join(w.dir, `out-${name}`), '--backend', 'cpu'];
}

function copyRun(w: BadInputWorkspace, name: string): string {
  const d = join(w.dir, name);
  cpSync(w.runDir, d, { recursive: true });
  return d;
}

function writeRawNpy(path: string, descr: string, shape: number[], data: Float32Array): void {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const padded = header.padEnd(118, ' ') + '\n';
  const pre = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, padded.length & 255, padded.length >> 8]), Buffer.from(padded)]);
  writeFileSync(path, Buffer.concat([pre, Buffer.from(data.buffer)]));
}

export const badInputCases: BadInputCase[] = [
  { name: 'unknown command', args: () => ['fly'], message: /unknown command 'fly'/ },
  { name: 'unknown flag', args: () => ['train', '--stpes', '3'], message: /unknown option '--stpes'/ },
  { name: 'non-numeric steps', args: () => ['train', '--steps', 'ten'], message: /--steps must be an integer/ },
  { name: 'zero batch size', args: () => ['train', '--batch-size', '0'], message: /--batch-size must be an integer from 1/ },
  { name: 'steps and epochs together', args: () => ['train', '--steps', '3', '--epochs', '1'], message: /either --steps or --epochs/ },
  { name: 'unknown preset', args: (w) => ['train', '--preset', 'nope', '--out', join(w.dir, 'x1')], message: /unknown preset 'nope'/ },
  { name: 'unknown backend', args: () => ['train', '--backend', 'gpu'], message: /--backend must be one of/ },
  { name: 'missing config file', args: (w) => ['train', '--config', join(w.dir, 'none.json')], message: /no such file/ },
  { name: 'config file not JSON', args: (w) => { writeFileSync(join(w.dir, 'bad.json'), '{oops'); return ['train', '--config', join(w.dir, 'bad.json')]; }, message: /not valid JSON/ },
  { name: 'unknown config key', args: (w) => { writeFileSync(join(w.dir, 'k.json'), '{"batchSzie": 3}'); return ['train', '--config', join(w.dir, 'k.json'), '--out', join(w.dir, 'x2')]; }, message: /unknown key 'batchSzie'/ },
  { name: 'negative learning rate in config', args: (w) => { writeFileSync(join(w.dir, 'lr.json'), JSON.stringify({ optimizerD: { kind: 'adam', learningRate: -1, beta1: 0.5, beta2: 0.9, epsilon: 1e-7 } })); return ['train', '--config', join(w.dir, 'lr.json'), '--out', join(w.dir, 'x3')]; }, message: /learningRate must be a number/ },
  { name: 'existing run directory without --resume', args: (w) => ['train', '--out', w.runDir, '--steps', '2'], message: /already exists.*--resume/ },
  { name: '--resume without --out', args: () => ['train', '--resume'], message: /--resume needs --out/ },
  { name: '--resume of a directory that is no run', args: (w) => { mkdirSync(join(w.dir, 'empty'), { recursive: true }); return ['train', '--resume', '--out', join(w.dir, 'empty')]; }, message: /cannot resume/ },
  { name: 'unknown data spec', args: (w) => ['train', '--data', 'web:cats', '--out', join(w.dir, 'x4'), '--backend', 'cpu'], message: /unknown data spec/ },
  { name: 'data shape that does not fit the model', args: (w) => ['train', '--config', w.configPath, '--data', 'mnist', '--out', join(w.dir, 'x5'), '--backend', 'cpu'], message: /28x28x1.*8x8x1|expects 8x8x1/ },
  { name: 'truncated idx file', args: (w) => {
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 8, 0, 0, 0, 8]);
    writeFileSync(join(w.dir, 'short.idx'), Buffer.concat([header, Buffer.alloc(100)]));
    return ['train', '--config', w.configPath, '--data', `idx:${join(w.dir, 'short.idx')}`, '--out', join(w.dir, 'x6'), '--backend', 'cpu'];
  }, message: /short\.idx/ },
  { name: 'idx file with a wrong magic number', args: (w) => {
    writeFileSync(join(w.dir, 'magic.idx'), Buffer.from([1, 2, 3, 4, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 8, ...new Array(64).fill(0)]));
    return ['train', '--config', w.configPath, '--data', `idx:${join(w.dir, 'magic.idx')}`, '--out', join(w.dir, 'x7'), '--backend', 'cpu'];
  }, message: /magic/ },
  { name: 'npy file holding NaN', args: (w) => {
    const x = new Float32Array(24 * 64).fill(0.5);
    x[17] = NaN;
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (24, 8, 8, 1), }";
    const padded = header.padEnd(118, ' ') + '\n';
    const pre = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, padded.length & 255, padded.length >> 8]), Buffer.from(padded)]);
    writeFileSync(join(w.dir, 'nan.npy'), Buffer.concat([pre, Buffer.from(x.buffer)]));
    return ['train', '--config', w.configPath, '--data', `npy:${join(w.dir, 'nan.npy')}`, '--out', join(w.dir, 'x8'), '--backend', 'cpu'];
  }, message: /NaN/ },
  { name: 'empty image folder', args: (w) => {
    mkdirSync(join(w.dir, 'nofiles'), { recursive: true });
    return ['train', '--config', w.configPath, '--data', `folder:${join(w.dir, 'nofiles')}`, '--out', join(w.dir, 'x9'), '--backend', 'cpu'];
  }, message: /no (PNG|images|image)/i },
  { name: 'unreadable image in a folder', args: (w) => {
    mkdirSync(join(w.dir, 'corrupt'), { recursive: true });
    writeFileSync(join(w.dir, 'corrupt', 'a.png'), 'not a png at all');
    return ['train', '--config', w.configPath, '--data', `folder:${join(w.dir, 'corrupt')}`, '--out', join(w.dir, 'x10'), '--backend', 'cpu'];
  }, message: /a\.png/ },
  { name: 'sample without --run', args: () => ['sample'], message: /needs --run/ },
  { name: 'sample of a missing run', args: (w) => ['sample', '--run', join(w.dir, 'missing')], message: /does not exist/ },
  { name: 'sample to an unknown format', args: (w) => ['sample', '--run', w.runDir, '--out', join(w.dir, 'x.jpg')], message: /must end in .png.*or .npy/ },
  { name: 'sample of a run without checkpoints', args: (w) => ['sample', '--run', join(w.dir, 'empty'), '--backend', 'cpu'], message: /no complete checkpoint/ },
  { name: 'no command at all', args: () => [], message: /no command given; the commands are train/ },
  { name: 'negative seed', args: () => ['train', '--seed=-1'], message: /--seed must be an integer from 0/ },
  { name: 'sample count of zero', args: (w) => ['sample', '--run', w.runDir, '--n', '0'], message: /--n must be an integer from 1/ },
  { name: 'sample of a checkpoint that does not exist', args: (w) => ['sample', '--run', w.runDir, '--checkpoint', 'step-000000999', '--backend', 'cpu'], message: /no checkpoint step-000000999 in .*; it has step-000000005/ },
  { name: 'config file holding an array', args: (w) => { writeFileSync(join(w.dir, 'arr.json'), '[1, 2]'); return ['train', '--config', join(w.dir, 'arr.json')]; }, message: /must hold a JSON object/ },
  { name: 'unknown layer kind', args: (w) => cfg(w, 'layer.json', { ...tinyConvNets, discriminator: { input: [8, 8, 1], layers: [{ kind: 'attention' }] } }), message: /layers\[0\]\.kind must be one of/ },
  { name: 'generator output that D cannot take', args: (w) => cfg(w, 'mismatch.json', { ...tinyConvNets, discriminator: { input: [28, 28, 1], layers: [{ kind: 'flatten' }, { kind: 'dense', units: 1 }] } }), message: /generator makes \[8, 8, 1\] images but the discriminator takes \[28, 28, 1\]/ },
  { name: 'latent size that does not match G', args: (w) => cfg(w, 'latent.json', { ...tinyConvNets, latentDim: 16 }), message: /generator\.input must be \[16\]/ },
  { name: 'layer that cannot fit its input', args: (w) => cfg(w, 'reshape.json', { ...tinyConvNets, generator: { input: [8], layers: [{ kind: 'reshape', shape: [3, 3, 1] }] } }), message: /reshape from \[8\] to \[3, 3, 1\] changes the size/ },
  { name: 'unknown loss', args: (w) => cfg(w, 'loss.json', { ...tinyConvNets, loss: 'perceptual' }), message: /unknown loss 'perceptual'/ },
  { name: 'invalid onDivergence', args: (w) => cfg(w, 'div.json', { ...tinyConvNets, onDivergence: 'ignore' }), message: /onDivergence must be/ },
  { name: 'resume with a different batch size', args: (w) => ['train', '--out', w.runDir, '--resume', '--batch-size', '8', '--backend', 'cpu'], message: /cannot resume with batchSize = 8: the run was started with 4/ },
  { name: 'resume to fewer steps than done', args: (w) => ['train', '--out', w.runDir, '--resume', '--steps', '2', '--backend', 'cpu'], message: /already at step \d+; --steps is the total/ },
  { name: 'checkpoint with damaged weights', args: (w) => { const d = copyRun(w, 'damaged'); const f = join(d, 'checkpoints', 'step-000000005', 'weights.bin'); writeFileSync(f, readFileSync(f).subarray(0, 40)); return ['sample', '--run', d, '--backend', 'cpu']; }, message: /does not match its manifest \(truncated or damaged\)/ },
  { name: 'checkpoint from a newer Gantry', args: (w) => { const d = copyRun(w, 'newer'); const f = join(d, 'checkpoints', 'step-000000005', 'manifest.json'); const m = JSON.parse(readFileSync(f, 'utf8')); m.formatVersion = 99; writeFileSync(f, JSON.stringify(m)); return ['sample', '--run', d, '--backend', 'cpu']; }, message: /format version 99, newer than this Gantry/ },
  { name: 'npy file of the wrong rank', args: (w) => { writeRawNpy(join(w.dir, 'rank.npy'), '<f4', [64], new Float32Array(64)); return ['train', '--config', w.configPath, '--data', `npy:${join(w.dir, 'rank.npy')}`, '--out', join(w.dir, 'x11'), '--backend', 'cpu']; }, message: /rank\.npy/ },
  { name: 'npy floats outside [0, 1]', args: (w) => { writeRawNpy(join(w.dir, 'range.npy'), '<f4', [24, 8, 8, 1], new Float32Array(24 * 64).fill(255)); return ['train', '--config', w.configPath, '--data', `npy:${join(w.dir, 'range.npy')}`, '--out', join(w.dir, 'x12'), '--backend', 'cpu']; }, message: /range\.npy.*\[0, 1\]/ },
  { name: 'sample --weights ema of a run that keeps no EMA', args: (w) => ['sample', '--run', w.runDir, '--weights', 'ema', '--backend', 'cpu'], message: /keeps no EMA of G .*use --weights raw/ },
  { name: 'eval --weights with --npy', args: (w) => ['eval', '--npy', w.dataPath, '--data', 'mnist', '--weights', 'raw'], message: /--weights go with --run; --npy evaluates every image/ },
  { name: 'sample --class of a run trained without labels', args: (w) => ['sample', '--run', w.runDir, '--class', '3', '--backend', 'cpu'], message: /--class needs a conditional run/ },
  { name: 'labelSmoothing with a loss that is not cross-entropy', args: (w) => cfg(w, 'smooth.json', { ...tinyConvNets, loss: 'hinge', labelSmoothing: 0.1 }), message: /labelSmoothing and labelFlip apply to the cross-entropy losses/ },
  { name: 'regularizer of an unknown kind', args: (w) => cfg(w, 'reg.json', { ...tinyConvNets, regularizer: { kind: 'r3', weight: 1 } }), message: /regularizer\.kind must be/ },
  { name: 'unknown DiffAugment transform', args: (w) => cfg(w, 'aug.json', { ...tinyConvNets, augment: ['rotate'] }), message: /augment must be a list of/ },
  { name: 'ADA without augment ops', args: (w) => cfg(w, 'ada.json', { ...tinyConvNets, ada: { target: 0.6 } }), message: /ada adapts the augment ops' probability/ },
  { name: 'ACGAN without conditional training', args: (w) => cfg(w, 'acgan.json', { ...tinyConvNets, auxClassifierWeight: 1 }), message: /needs conditional: true/ },
  { name: 'fakeLabels that is neither uniform nor data', args: (w) => cfg(w, 'fake.json', { ...tinyConvNets, fakeLabels: 'balanced' }), message: /fakeLabels must be "uniform" \(each class equally often\) or "data"/ },
  { name: 'init of an unknown kind', args: (w) => cfg(w, 'init.json', { ...tinyConvNets, init: { kind: 'he' } }), message: /init\.kind must be "glorot-uniform" or "normal"; give/ },
  { name: '--minutes of zero', args: () => ['train', '--minutes', '0', '--backend', 'cpu'], message: /--minutes must be more than 0/ },
  { name: '--minutes that is not a number', args: () => ['train', '--minutes', 'an hour', '--backend', 'cpu'], message: /--minutes must be a number of at least 0, got 'an hour'/ },
  { name: '--until-fid without evaluation', args: () => ['train', '--until-fid', '30', '--backend', 'cpu'], message: /untilFid needs evaluation during training/ },
  { name: 'evaluation on data with no feature network', args: (w) => ['train', '--config', w.configPath, '--eval-every', '10', '--out', join(w.dir, 'x13'), '--backend', 'cpu'], message: /needs a shipped feature network/ },
  { name: 'export in an unknown format', args: (w) => ['export', '--run', w.runDir, '--out', join(w.dir, 'x-export'), '--format', 'png'], message: /--format must be one of tfjs, onnx, all, got 'png'/ },
  { name: 'serve a run directory, not an export', args: (w) => ['serve', w.runDir, '--port', '0'], message: /'.*run' is not an export \(a run directory: no gantry\.json\); make one with 'gantry export --run .*run --out DIR', then serve DIR/ },
  { name: 'serve a folder that holds no export', args: (w) => { mkdirSync(join(w.dir, 'no-exports', 'notes'), { recursive: true }); return ['serve', join(w.dir, 'no-exports'), '--port', '0']; }, message: /'.*no-exports' is not an export \(no valid gantry\.json in it or in its subfolders\); make one with 'gantry export --run RUN --out DIR', then serve DIR/ },
  { name: 'sample to a path inside a file', args: (w) => { writeFileSync(join(w.dir, 'afile'), 'x'); return ['sample', '--run', w.runDir, '--out', join(w.dir, 'afile', 's.png'), '--backend', 'cpu']; }, message: /cannot create folder .*afile: .*afile is a file, not a folder; choose another location/ },
  { name: 'sample into a folder the system refuses (/proc)', args: (w) => ['sample', '--run', w.runDir, '--n', '4', '--out', '/proc/forbidden/s.npy', '--backend', 'cpu'], message: /cannot create folder \/proc\/forbidden \(ENOENT: the file system refuses new folders there at \/proc\/forbidden\); choose a writable location/ },
  { name: 'train into a folder the system refuses (/proc)', args: (w) => ['train', '--config', w.configPath, '--steps', '2', '--out', '/proc/forbidden/run', '--backend', 'cpu'], message: /cannot create run directory \/proc\/forbidden\/run \(ENOENT/ },
  { name: 'train into a path under a file', args: (w) => { writeFileSync(join(w.dir, 'afile2'), 'x'); return ['train', '--config', w.configPath, '--steps', '2', '--out', join(w.dir, 'afile2', 'run'), '--backend', 'cpu']; }, message: /cannot create run directory .*afile2\/run: .*afile2 is a file, not a folder/ },
  { name: 'dashboard on a folder that does not exist', args: (w) => ['dashboard', '--root', join(w.dir, 'no-runs-here'), '--port', '0'], message: /--root '.*no-runs-here' does not exist; give an existing folder/ },
  { name: 'dashboard on a file', args: (w) => ['dashboard', '--root', w.configPath, '--port', '0'], message: /--root '.*tiny\.json' is not a folder; give a folder/ },
  { name: 'dashboard port out of range', args: (w) => ['dashboard', '--root', w.dir, '--port', '70000'], message: /--port must be an integer from 0 to 65535, got '70000'/ },
  { name: 'train --port without --dashboard', args: (w) => ['train', '--config', w.configPath, '--port', '6060', '--out', join(w.dir, 'x-port'), '--backend', 'cpu'], message: /--port is the dashboard's port; add --dashboard/ },
];
