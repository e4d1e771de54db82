import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../src/backend.js';
import { resolveTrainConfig, type TrainConfig } from 'gantry-core/config.js';
import type { ImageSet } from 'gantry-core/data/dataset.js';
import { writeNpyFloat32 } from '../src/io/npy.js';
import { train } from '../src/train/loop.js';
import { Rng } from 'gantry-core/util/random.js';

export const gantryBin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');

export function runGantryCli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [gantryBin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The class count a conditional config's generator takes (10 where it does not say). */
export function classCountOf(config: TrainConfig): number {
  const concat = config.generator.layers.find((l) => l.kind === 'labelConcat') as { classes: number } | undefined;
  return concat?.classes ?? config.numClasses ?? 10;
}

/** The CLI in a child process without blocking this one (so that several can run side by side). */
export function runGantryCliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [gantryBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Random images (and labels) of a config's image shape: enough for a few steps. */
export function randomImages(config: TrainConfig, count = 8): ImageSet {
  const classes = classCountOf(config);
  const [height, width, channels] = config.discriminator.input as [number, number, number];
  const pixels01 = new Rng(11, 5, 0).fillUniform(new Float32Array(count * height * width * channels), 0, 1);
  return { source: 'test', count, height, width, channels, pixels01, labels: Int32Array.from({ length: count }, (_, i) => i % classes), numClasses: classes };
}

/** A run of `preset` trained for `steps` tiny steps (batch 2) on random images, so every weight has moved. */
export async function tinyPresetRun(preset: string, out: string, steps = 2): Promise<TrainConfig> {
  await selectBackend('auto'); // the native backend where it loads: a residual G on TF.js' cpu backend takes minutes
  const config = resolveTrainConfig({}, { preset, steps, batchSize: 2, seed: 3, logEvery: steps, sampleEvery: 1000000, checkpointEvery: steps });
  const { gan } = await train({ config, out, data: randomImages(config), quiet: true });
  gan.dispose();
  return config;
}

/** Writes `count` standard-normal latents of width `dim` as float32 .npy; returns them. */
export async function writeLatents(path: string, count: number, dim: number, seed: number): Promise<Float32Array> {
  const z = new Rng(seed, 6, 0).fillNormal(new Float32Array(count * dim));
  await writeNpyFloat32(path, z, [count, dim]);
  return z;
}

/** Writes a .npy of NumPy type `descr` (e.g. '<i8', '<f8') and `shape` holding `data`'s bytes. */
export function writeNpyBytes(path: string, descr: string, shape: number[], data: ArrayBufferView): void {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(prefix);
  prefix.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

/** Writes integers as an int64 .npy (NumPy's default integer type), [values.length]. */
export function writeInt64Npy(path: string, values: readonly number[]): void {
  writeNpyBytes(path, '<i8', [values.length], BigInt64Array.from(values.map(BigInt)));
}

/** `gantry serve DIR --port 0` in a child process; resolves with its URL once it listens. */
export function startServe(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [gantryBin, 'serve', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += String(d);
      const url = /at (http:\/\/\S+)/.exec(seen)?.[1];
      if (!url) return;
      child.stdout.off('data', onData);
      resolve({
        url,
        stop: () => new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (seen += String(d)));
    child.once('exit', (code) => reject(new Error(`gantry serve exited (${code}): ${seen}`)));
  });
}

/** The largest |a - b| over two equally long arrays (Infinity when the lengths differ). */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Debian's Python with its python3-onnx, where both are installed (scripts/setup.sh installs them). */
export const onnxPython = '/usr/bin/python3';

/** Why ONNX's own checker cannot run here, or null when it can. */
export function onnxCheckerMissing(): string | null {
  const r = spawnSync(onnxPython, ['-c', 'import onnx'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `ONNX's checker is not installed (${onnxPython} -c 'import onnx' failed: ${r.error?.message ?? r.stderr.trim().split('\n').pop()}); install it with: apt-get install python3-onnx`;
  return null;
}

/**
 * `onnx.checker.check_model(path, full_check=True)` (the schema, every node against its operator,
 * then strict shape inference) on each file; the checker's message for each that fails, '' for each that passes.
 */
export function checkOnnxModels(paths: string[]): string[] {
  const script = [
    'import json, sys, onnx',
    'out = []',
    'for p in sys.argv[1:]:',
    '    try:',
    // a ModelProto, not the path: given a path, full_check writes the inferred shapes back into the file
    '        onnx.checker.check_model(onnx.load(p), full_check=True)',
    "        out.append('')",
    '    except Exception as e:',
    "        out.append(f'{type(e).__name__}: {e}'.strip() or type(e).__name__)",
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(onnxPython, ['-c', script, ...paths], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the ONNX checker did not run: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}
