import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, watch, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { readNpy } from '../src/io/npy.js';
import { train } from '../src/train/loop.js';
import { tempDir, tinyConfig, tinyConvNets, tinyImages } from './fixtures.js';
import { deadPid } from './dashboardFixtures.js';
import { checkOnnxModels, gantryBin, maxAbsDifference, onnxCheckerMissing, runGantryCli, startServe, writeInt64Npy, writeLatents, writeNpyBytes } from './exportFixtures.js';

/**
 * gantry export, serve and sample --z from the command line on tiny runs: what a good export
 * holds and how gantry/web reads it in Node, then every bad input: one line on stderr, exit 2,
 * and nothing written (no export folder, no temporary folder left beside it).
 */
const work = tempDir('gantry-export-cli-');
const run = join(work, 'run');
const conditionalRun = join(work, 'run-conditional');
const exportDir = join(work, 'export');

/** The part of gantry/web this test uses. */
interface WebGenerator {
  runtime: string;
  generate(z: Float32Array, labels?: number[]): Promise<{ count: number; unit: Float32Array; rgba: Uint8ClampedArray }>;
  dispose(): void;
}
interface GantryWeb {
  loadGenerator(source: string): Promise<WebGenerator>;
  loadOnnxGenerator(source: string, runtime: typeof ort): Promise<WebGenerator>;
}
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

function expectBadInput(args: string[], pattern: RegExp): void {
  const r = runGantryCli(args);
  assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
}

/** Nothing but `allowed` in `dir` (no temporary export folders left behind). */
function assertOnly(dir: string, allowed: string[]): void {
  assert.deepEqual(readdirSync(dir).filter((n) => !allowed.includes(n)), []);
}

before(async () => {
  const { gan } = await train({ config: tinyConfig({ steps: 2, checkpointEvery: 2, sampleEvery: 1000 }), out: run, data: tinyImages(), quiet: true });
  gan.dispose();
  const conditional = tinyConfig({
    steps: 2, checkpointEvery: 2, sampleEvery: 1000, conditional: true,
    generator: { input: [8], layers: [{ kind: 'labelConcat', classes: 2, embedding: 3 }, ...(JSON.parse(JSON.stringify(tinyConvNets.generator.layers)) as never[])] },
    discriminator: { input: [8, 8, 1], layers: [...(JSON.parse(JSON.stringify(tinyConvNets.discriminator.layers.slice(0, -1))) as never[]), { kind: 'projection', classes: 2 }] },
  });
  const trained = await train({ config: conditional, out: conditionalRun, data: tinyImages(), quiet: true });
  trained.gan.dispose();
});

test('export writes the model, gantry.json and the page; gantry/web loads it from a path in Node and draws gantry sample --z', async () => {
  const r = runGantryCli(['export', '--run', run, '--out', exportDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /exported G \(raw weights, step 2/);
  const info = JSON.parse(readFileSync(join(exportDir, 'gantry.json'), 'utf8'));
  assert.equal(info.latentDim, 8);
  assert.deepEqual(info.image, { height: 8, width: 8, channels: 1 });
  assert.deepEqual(info.output.range, [-1, 1]);
  assert.equal(info.classes, null);
  assert.equal(info.checkpoint, 'step-000000002');
  assertOnly(work, ['run', 'run-conditional', 'export']);

  const zPath = join(work, 'z.npy');
  const z = await writeLatents(zPath, 3, 8, 1);
  const sampled = runGantryCli(['sample', '--run', run, '--z', zPath, '--out', join(work, 'z-sample.npy'), '--backend', 'cpu']);
  assert.equal(sampled.code, 0, sampled.stderr);
  const want = (await readNpy(join(work, 'z-sample.npy'))).data as Float32Array;
  // Imported by name, as an app would (the specifier is a variable so that TypeScript does not compile gantry-web's sources here).
  const specifier = 'gantry/web';
  const web = (await import(specifier)) as GantryWeb;
  const generator = await web.loadGenerator(exportDir);
  const images = await generator.generate(z);
  assert.equal(images.count, 3);
  assert.ok(maxAbsDifference(images.unit, want) <= 1e-6, String(maxAbsDifference(images.unit, want)));
  assert.equal(images.rgba.length, 3 * 8 * 8 * 4);
  for (let p = 0; p < 3 * 64; p++) {
    const byte = Math.round(255 * want[p]!);
    assert.deepEqual(Array.from(images.rgba.subarray(p * 4, p * 4 + 4)), [byte, byte, byte, 255]);
  }
  await assert.rejects(generator.generate(z.subarray(0, 7)), /latent size/);
  generator.dispose();

  // A weights file that is not the exported one is refused by its SHA-256, before any pixel is drawn.
  const damaged = join(work, 'export-damaged');
  cpSync(exportDir, damaged, { recursive: true });
  const shard = join(damaged, 'model', 'group1-shard1of1.bin');
  const bytes = readFileSync(shard);
  bytes[10] = bytes[10]! ^ 0xff;
  writeFileSync(shard, bytes);
  await assert.rejects(web.loadGenerator(damaged), /group1-shard1of1\.bin does not match gantry\.json \(size or SHA-256\)/);
  rmSync(damaged, { recursive: true });
});

test('gantry serve serves the export on 127.0.0.1: the page at /, the files beside it, nothing outside', async () => {
  const server = await startServe(exportDir);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<script src="page\.js">/);
    const info = await fetch(`${server.url}gantry.json`);
    assert.equal((await info.json()).format, 'gantry-generator');
    assert.equal((await fetch(`${server.url}wasm/tfjs-backend-wasm.wasm`)).headers.get('content-type'), 'application/wasm');
    assert.equal((await fetch(`${server.url}%2e%2e/run/config.json`)).status, 404);
    // any folder named without its slash is sent to the folder, its query kept
    const folder = await fetch(`${server.url}model?v=2`, { redirect: 'manual' });
    assert.equal(folder.status, 301);
    assert.equal(folder.headers.get('location'), '/model/?v=2');
    assert.equal((await fetch(`${server.url}model.json`, { redirect: 'manual' })).status, 404, 'a missing file is not redirected');
  } finally {
    await server.stop();
  }
  // a folder of exports: each one's page, named without its slash, redirects to the folder
  const parent = await startServe(work);
  try {
    const bare = await fetch(`${parent.url}export?seed=3`, { redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), '/export/?seed=3');
    const page = await fetch(`${parent.url}export`);
    assert.equal(page.url, `${parent.url}export/`);
    assert.match(await page.text(), /<script src="page\.js">/);
    assert.equal((await fetch(`${parent.url}run`, { redirect: 'manual' })).status, 404, 'a folder that is not an export is not redirected');
    assert.equal((await fetch(`${parent.url}%2e%2e`, { redirect: 'manual' })).status, 404);
    // only the exports in it are served: not the run beside them, nor loose files
    assert.equal((await fetch(`${parent.url}export/gantry.json`)).status, 200);
    assert.equal((await fetch(`${parent.url}export/model`, { redirect: 'manual' })).headers.get('location'), '/export/model/');
    assert.equal((await fetch(`${parent.url}run/config.json`)).status, 404);
    assert.equal((await fetch(`${parent.url}run/checkpoints/latest.json`)).status, 404);
  } finally {
    await parent.stop();
  }
  expectBadInput(['serve', join(work, 'missing')], /does not exist/);
});

test('gantry serve refuses a folder that is not an export, in one line that names gantry export', () => {
  const runPattern = run.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expectBadInput(['serve', run], new RegExp(`^gantry serve: '${runPattern}' is not an export \\(a run directory: no gantry\\.json\\); make one with 'gantry export --run ${runPattern} --out DIR', then serve DIR$`));
  const other = tempDir('gantry-serve-refusals-');
  expectBadInput(['serve', other], /is not an export \(no valid gantry\.json in it or in its subfolders\); make one with 'gantry export --run RUN --out DIR', then serve DIR$/);
  // a folder of runs
  const runs = tempDir('gantry-serve-runs-');
  cpSync(run, join(runs, 'a'), { recursive: true });
  expectBadInput(['serve', runs], /is not an export \(no valid gantry\.json in it or in its subfolders\)/);
  mkdirSync(join(other, 'sub'));
  writeFileSync(join(other, 'sub', 'gantry.json'), '{"format": "gantry-generator", "formatVersion": 1}');
  expectBadInput(['serve', other], /no valid gantry\.json in it or in its subfolders/);
  writeFileSync(join(other, 'gantry.json'), '{"format": "gantry-generator",');
  expectBadInput(['serve', other], /is not an export \(its gantry\.json is not valid JSON\)/);
  writeFileSync(join(other, 'gantry.json'), '{"format": "gantry-generator", "formatVersion": 7}');
  expectBadInput(['serve', other], /is not an export \(its gantry\.json has formatVersion 7; this version of Gantry reads version 1\)/);
  writeFileSync(join(other, 'gantry.json'), '{"name": "my-app"}');
  expectBadInput(['serve', other], /is not an export \(its gantry\.json is not a Gantry export's gantry\.json/);
});

test('a non-empty --out is kept without --force and replaced whole with it', () => {
  writeFileSync(join(exportDir, 'notes.txt'), 'mine');
  expectBadInput(['export', '--run', run, '--out', exportDir], /is not empty; .*--force/);
  assert.equal(readFileSync(join(exportDir, 'notes.txt'), 'utf8'), 'mine');
  const r = runGantryCli(['export', '--run', run, '--out', exportDir, '--force']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!existsSync(join(exportDir, 'notes.txt')), 'the old export was replaced whole');
  assert.ok(existsSync(join(exportDir, 'model', 'model.json')));
  assertOnly(work, ['run', 'run-conditional', 'export', 'z.npy', 'z-sample.npy']);
});

test('bad export inputs: no checkpoint, damaged weights, unwritable --out, no EMA; exit 2, nothing written', () => {
  const empty = join(work, 'bad', 'no-checkpoint');
  mkdirSync(empty, { recursive: true });
  cpSync(join(run, 'config.json'), join(empty, 'config.json'));
  const out = join(work, 'bad', 'out');
  expectBadInput(['export', '--run', empty, '--out', out], /no complete checkpoint/);

  const damaged = join(work, 'bad', 'damaged');
  cpSync(run, damaged, { recursive: true });
  truncateSync(join(damaged, 'checkpoints', 'step-000000002', 'weights.bin'), 100);
  expectBadInput(['export', '--run', damaged, '--out', out], /no intact checkpoint.*step-000000002.*weights\.bin/);

  const aFile = join(work, 'bad', 'a-file');
  writeFileSync(aFile, 'x');
  expectBadInput(['export', '--run', run, '--out', join(aFile, 'export')], /cannot write the export to .*a-file is a file, not a folder; choose another --out/);
  expectBadInput(['export', '--run', run, '--out', aFile], /is a file/);
  expectBadInput(['export', '--run', run, '--out', out, '--weights', 'ema'], /keeps no EMA of G.*--weights raw/);
  expectBadInput(['export', '--run', run], /needs --out/);
  assertOnly(join(work, 'bad'), ['no-checkpoint', 'damaged', 'a-file']);
});

test('bad sample --z / --labels inputs: wrong width, wrong dtype, labels out of range or missing; exit 2, nothing written', async () => {
  const out = join(work, 'bad-sample.npy');
  const wide = join(work, 'z-wide.npy');
  await writeLatents(wide, 2, 9, 1);
  expectBadInput(['sample', '--run', run, '--z', wide, '--out', out, '--backend', 'cpu'], /has shape \(2, 9\); this run's latents are \[N, 8\]/);
  const f64 = join(work, 'z-f64.npy');
  writeNpyBytes(f64, '<f8', [2, 8], new Float64Array(16));
  expectBadInput(['sample', '--run', run, '--z', f64, '--out', out, '--backend', 'cpu'], /holds float64; latents must be float32/);
  const z2 = join(work, 'z2.npy');
  await writeLatents(z2, 2, 8, 2);
  const labels = join(work, 'labels.npy');
  writeInt64Npy(labels, [1, 2]);
  expectBadInput(['sample', '--run', conditionalRun, '--z', z2, '--labels', labels, '--out', out, '--backend', 'cpu'], /has 2 at index 1; classes are 0 to 1/);
  expectBadInput(['sample', '--run', conditionalRun, '--z', z2, '--out', out, '--backend', 'cpu'], /conditional .*give --labels/);
  expectBadInput(['sample', '--run', run, '--z', z2, '--labels', labels, '--out', out, '--backend', 'cpu'], /--labels needs a conditional run/);
  const floatLabels = join(work, 'labels-f4.npy');
  writeNpyBytes(floatLabels, '<f4', [2], new Float32Array([0, 1]));
  expectBadInput(['sample', '--run', conditionalRun, '--z', z2, '--labels', floatLabels, '--out', out, '--backend', 'cpu'], /not an integer type/);
  assert.ok(!existsSync(out), 'no output was written');

  writeInt64Npy(labels, [1, 0]);
  const good = runGantryCli(['sample', '--run', conditionalRun, '--z', z2, '--labels', labels, '--out', out, '--backend', 'cpu']);
  assert.equal(good.code, 0, good.stderr);
  assert.deepEqual((await readNpy(out)).shape, [2, 8, 8, 1]);
});

/** docs/export.md's Node snippet (the first js block of "Outside JavaScript: ONNX"). */
function exportDocNodeSnippet(): string {
  const doc = readFileSync(join(repoRoot, 'docs', 'export.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Outside JavaScript: ONNX'));
  const block = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(doc.includes('## Outside JavaScript: ONNX') && block, 'docs/export.md has the section and its Node snippet');
  return block[1]!;
}

test('export --format all: model.onnx beside the TF.js model, described in gantry.json; ONNX Runtime for Node draws gantry sample --z (1e-5), as does the snippet in docs/export.md', async (t) => {
  const dir = join(work, 'onnx');
  mkdirSync(dir);
  const snippetDir = join(dir, 'snippet');
  mkdirSync(snippetDir);
  writeFileSync(join(snippetDir, 'sample.mjs'), exportDocNodeSnippet());
  symlinkSync(join(repoRoot, 'node_modules'), join(snippetDir, 'node_modules')); // onnxruntime-node, as an app has it installed
  const specifier = 'gantry/web';
  const web = (await import(specifier)) as GantryWeb;
  const exported: string[] = [];
  for (const [name, runDir, labels] of [['plain', run, undefined], ['conditional', conditionalRun, [1, 0, 1]]] as const) {
    const out = join(dir, name);
    const r = runGantryCli(['export', '--run', runDir, '--out', out, '--format', 'all']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /TF\.js model and ONNX model \(opset 17\)/);
    exported.push(join(out, 'model.onnx'));
    const info = JSON.parse(readFileSync(join(out, 'gantry.json'), 'utf8'));
    assert.equal(info.model, 'model/model.json');
    assert.deepEqual({ ...info.onnx, inputs: undefined, outputs: undefined }, { model: 'model.onnx', opset: 17, irVersion: 8, layout: 'NHWC', inputs: undefined, outputs: undefined });
    assert.deepEqual(info.onnx.inputs.map((i: { name: string; shape: unknown; dtype: string }) => [i.name, i.shape, i.dtype]),
      [['z', [null, 8], 'float32'], ...(labels ? [['labels', [null], 'int64']] : [])]);
    assert.deepEqual(info.onnx.outputs.map((o: { name: string; shape: unknown }) => [o.name, o.shape]), [['images', [null, 8, 8, 1]]]);
    const listed = info.files.find((f: { path: string }) => f.path === 'model.onnx');
    assert.equal(listed.bytes, readFileSync(join(out, 'model.onnx')).length);
    assert.ok(existsSync(join(out, 'ort', 'ort-wasm-simd-threaded.asyncify.wasm')) && existsSync(join(out, 'wasm', 'tfjs-backend-wasm.wasm')), 'both runtimes\' binaries for the page');

    const zPath = join(dir, `${name}-z.npy`);
    const z = await writeLatents(zPath, 3, 8, 5);
    const labelArgs: string[] = [];
    if (labels) {
      writeInt64Npy(join(dir, `${name}-labels.npy`), [...labels]);
      labelArgs.push('--labels', join(dir, `${name}-labels.npy`));
    }
    const sampled = runGantryCli(['sample', '--run', runDir, '--z', zPath, ...labelArgs, '--out', join(dir, `${name}-sample.npy`), '--backend', 'cpu']);
    assert.equal(sampled.code, 0, sampled.stderr);
    const want = (await readNpy(join(dir, `${name}-sample.npy`))).data as Float32Array;
    const generator = await web.loadOnnxGenerator(out, ort);
    assert.equal(generator.runtime, 'onnx');
    const images = await generator.generate(z, labels ? [...labels] : undefined);
    const diff = maxAbsDifference(images.unit, want);
    t.diagnostic(`${name}: max |onnxruntime-node - gantry sample| = ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-5, String(diff));
    generator.dispose();

    const snippet = spawnSync(process.execPath, [join(snippetDir, 'sample.mjs'), out], { encoding: 'utf8' });
    assert.equal(snippet.status, 0, snippet.stderr);
    assert.match(snippet.stdout, /^16 images \[16, 8, 8, 1\], 1024 bytes$/m);
  }

  // --format onnx alone: no TF.js model, and gantry/web's TF.js loader says what to use instead
  const onnxOnly = join(dir, 'onnx-only');
  const r = runGantryCli(['export', '--run', run, '--out', onnxOnly, '--format', 'onnx']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!existsSync(join(onnxOnly, 'model')) && !existsSync(join(onnxOnly, 'wasm')) && existsSync(join(onnxOnly, 'model.onnx')));
  const info = JSON.parse(readFileSync(join(onnxOnly, 'gantry.json'), 'utf8'));
  assert.equal(info.model, null);
  assert.deepEqual(info.files.map((f: { path: string }) => f.path), ['model.onnx']);
  await assert.rejects(web.loadGenerator(onnxOnly), /no TF\.js model \(it was exported with --format onnx\): load it with loadOnnxGenerator/);
  assert.equal(readFileSync(join(onnxOnly, 'model.onnx')).length, readFileSync(join(dir, 'plain', 'model.onnx')).length);

  const missing = onnxCheckerMissing();
  if (missing) t.diagnostic(`not checked by ONNX's checker: ${missing}`);
  else assert.deepEqual(checkOnnxModels(exported), exported.map(() => ''));
});

test("the library's exportGenerator({ format: 'onnx' }) writes the same model.onnx as the command", async () => {
  const { exportGenerator, selectBackend } = await import('../src/index.js');
  await selectBackend('cpu');
  const out = join(work, 'onnx', 'library');
  const { manifest } = await exportGenerator({ runDir: run, out, format: 'onnx' });
  assert.equal(manifest.model, null);
  assert.equal(manifest.onnx?.opset, 17);
  assert.deepEqual(readFileSync(join(out, 'model.onnx')), readFileSync(join(work, 'onnx', 'onnx-only', 'model.onnx')));
  await assert.rejects(exportGenerator({ runDir: run, out: join(work, 'onnx', 'library-bad'), format: 'png' as never }), /format must be one of tfjs, onnx, all, got 'png'/);
});

test('bad --format and a G layer with no ONNX form: one line, exit 2, nothing written', async () => {
  const dir = join(work, 'onnx-bad');
  mkdirSync(dir);
  expectBadInput(['export', '--run', run, '--out', join(dir, 'out'), '--format', 'png'], /--format must be one of tfjs, onnx, all, got 'png'/);
  // a config may declare any layer in G; a discriminator's head has no ONNX (nor Keras) form
  const headed = join(dir, 'run-head');
  const config = tinyConfig({
    steps: 1, checkpointEvery: 1, sampleEvery: 1000, conditional: true,
    generator: { input: [8], layers: [{ kind: 'dense', units: 6 }, { kind: 'projection', classes: 2 }, { kind: 'dense', units: 64 }, { kind: 'reshape', shape: [8, 8, 1] }, { kind: 'tanh' }] },
  });
  const trained = await train({ config, out: headed, data: tinyImages(), quiet: true });
  trained.gan.dispose();
  expectBadInput(['export', '--run', headed, '--out', join(dir, 'out'), '--format', 'onnx'], /G cannot be exported as ONNX: layer 1 \(projection\): it is a discriminator's head/);
  assertOnly(dir, ['run-head']);
});

test('an export removes the temporary folders that exports killed mid-write left beside --out, never a live one\'s', async (t) => {
  const dir = tempDir('gantry-export-litter-');
  const out = join(dir, 'web');
  // a real kill: SIGKILL as soon as the temporary folder appears
  const watcher = watch(dir);
  const child = spawn(process.execPath, [gantryBin, 'export', '--run', run, '--out', out], { stdio: 'ignore' });
  const killed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  watcher.on('change', (_, name) => {
    if (String(name).startsWith('.web.export-')) child.kill('SIGKILL');
  });
  await killed;
  watcher.close();
  const left = readdirSync(dir);
  t.diagnostic(`the killed export left ${JSON.stringify(left)}`);
  // and what earlier versions and other processes leave: a dead writer's folder (the name an earlier
  // version gave it, and today's), a live writer's, and one made on another machine
  const dead = deadPid();
  const keep = [`.web.export-${process.pid}@${hostname()}-0a1b2c3d`, `.web.export-${dead}@another-host.example-0a1b2c3d`];
  for (const name of [`.web.export-${dead}-k3j9x2`, `.web.export-${dead}@${hostname()}-0a1b2c3d`, ...keep]) {
    mkdirSync(join(dir, name, 'model'), { recursive: true });
    writeFileSync(join(dir, name, 'model', 'model.json'), '{}');
  }
  const r = runGantryCli(['export', '--run', run, '--out', out, ...(existsSync(out) ? ['--force'] : [])]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(dir).sort(), [...keep, 'web'].sort());
  assert.equal(JSON.parse(readFileSync(join(out, 'gantry.json'), 'utf8')).format, 'gantry-generator');
});
