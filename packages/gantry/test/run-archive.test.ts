// A run as a zip (gantry-core/run/archive.js): packed in one runtime and continued in the other
// gives the bytes of an uninterrupted run; a zip that is unsafe or not a run is refused whole.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { zipSync, unzipSync } from 'fflate';
import { packRun, unpackRun } from 'gantry-core/run/archive.js';
import { MemoryRunStore, type RunStore } from 'gantry-core/run/store.js';
import { fitConfigToData, runTrainingLoop } from 'gantry-core/train/loop.js';
import { UsageError } from 'gantry-core/errors.js';
import { FsRunStore } from '../src/io/fsRunStore.js';
import { train } from '../src/train/loop.js';
import { tempDir, tinyConfig, tinyImages } from './fixtures.js';

await tf.setBackend('cpu');

const data = tinyImages(22);
const last = 'checkpoints/step-000000060/weights.bin';
const hasZip = spawnSync('zip', ['-v']).status === 0;

/** The core's loop over any store, as a page runs it; returns the step it started from. */
async function loopIn(store: RunStore, steps: number, resume = false): Promise<number> {
  const { config, batches } = fitConfigToData(tinyConfig({ steps }), data);
  let start = -1;
  const r = await runTrainingLoop({ config, data, batches, store, resume, onReady: (i) => { start = i.startStep; } });
  r.gan.dispose();
  return start;
}

/** Node's train() in a folder; returns the step it started from. */
async function cliRun(out: string, steps: number, resume = false): Promise<number> {
  let start = -1;
  const r = await train({ config: tinyConfig({ steps }), out, data, quiet: true, resume, onReady: (i) => { start = i.startStep; } });
  r.gan.dispose();
  return start;
}

/** Every file of a memory store, by path. */
const contents = (s: MemoryRunStore) => new Map([...s.files].sort(([a], [b]) => (a < b ? -1 : 1)));

let uninterrupted: Uint8Array | undefined;
/** weights.bin at step 60 of one run of 60 steps, the reference every continued run must equal. */
async function reference(): Promise<Uint8Array> {
  if (!uninterrupted) {
    const out = tempDir('gantry-archive-');
    await cliRun(out, 60);
    uninterrupted = readFileSync(join(out, last));
  }
  return uninterrupted;
}

test('pack then unpack gives the same files, byte for byte, under the run name', async () => {
  const store = new MemoryRunStore();
  await loopIn(store, 6);
  await store.write('samples/step-000000006.png', new Uint8Array([137, 80, 78, 71, 1, 2, 3]));
  const zip = await packRun(store, 'my-run');
  assert.ok(Object.keys(unzipSync(zip)).every((p) => p.startsWith('my-run/')));
  const back = new MemoryRunStore();
  const info = await unpackRun(zip, back);
  assert.deepEqual(info, { name: 'my-run', step: 6, files: store.files.size });
  assert.deepEqual(contents(back), contents(store));
});

test('page to CLI: 30 steps in memory, zipped, unzipped into a folder, continued by train() to 60: the bytes of 60 steps', async () => {
  const page = new MemoryRunStore('browser storage: run');
  await loopIn(page, 30);
  const zip = await packRun(page, 'run');
  const out = join(tempDir('gantry-archive-'), 'run');
  const info = await unpackRun(zip, new FsRunStore(out));
  assert.equal(info.step, 30);
  assert.equal(await cliRun(out, 60, true), 30); // it continues, not starts again
  assert.deepEqual(readFileSync(join(out, last)), Buffer.from(await reference()));
});

test('CLI to page: 30 steps of train() in a folder, zipped, unpacked into memory, continued by the loop to 60: the same bytes', async () => {
  const out = tempDir('gantry-archive-');
  await cliRun(out, 30);
  const zip = await packRun(new FsRunStore(out), 'run');
  const page = new MemoryRunStore('browser storage: run');
  const info = await unpackRun(zip, page);
  assert.equal(info.step, 30);
  assert.ok(page.files.has('samples/step-000000030.png'));
  assert.equal(await loopIn(page, 60, true), 30);
  assert.deepEqual(page.files.get(last), new Uint8Array(await reference()));
});

test('a zip made by the system zip -r of a run folder unpacks, with its top folder or without', { skip: hasZip ? false : 'zip is not installed' }, async () => {
  const root = tempDir('gantry-archive-');
  const out = join(root, 'cli-run');
  await cliRun(out, 6);
  writeFileSync(join(out, 'train.lock'), 'left by a run zipped while training\n');
  assert.equal(spawnSync('zip', ['-qr', 'with-top.zip', 'cli-run'], { cwd: root }).status, 0);
  assert.equal(spawnSync('zip', ['-qr', '../bare.zip', '.'], { cwd: out }).status, 0);
  const want = new Map<string, Buffer>();
  for (const p of readdirSync(out, { recursive: true, encoding: 'utf8' }).sort()) {
    if (p !== 'train.lock' && statSync(join(out, p)).isFile()) want.set(p, readFileSync(join(out, p)));
  }
  assert.ok(want.has('checkpoints/step-000000006/weights.bin') && want.has('samples/step-000000006.png'));
  for (const [file, name] of [['with-top.zip', 'cli-run'], ['bare.zip', 'run']] as const) {
    const store = new MemoryRunStore();
    const info = await unpackRun(new Uint8Array(readFileSync(join(root, file))), store);
    assert.deepEqual(info, { name, step: 6, files: want.size }, file);
    assert.deepEqual([...store.files.keys()].sort(), [...want.keys()].sort(), file);
    for (const [p, bytes] of want) assert.deepEqual(Buffer.from(store.files.get(p)!), bytes, `${file}: ${p}`);
  }
});

test('refusals: traversal, an absolute path, an unknown file, a damaged weights.bin, no config.json, a non-empty store: each a UsageError, the store unchanged', async () => {
  const source = new MemoryRunStore();
  await loopIn(source, 3);
  const good = unzipSync(await packRun(source, 'run'));
  const variants: [string, Record<string, Uint8Array>, RegExp][] = [
    ['traversal', { ...good, 'run/../x': new Uint8Array([1]) }, /climbs out of the folder/],
    ['traversal at the top', { '../run/config.json': good['run/config.json']! }, /climbs out of the folder/],
    ['an absolute path', { ...good, '/etc/x': new Uint8Array([1]) }, /absolute path/],
    ['an unknown file', { ...good, 'run/notes.txt': new Uint8Array([1]) }, /'run\/notes.txt', which is not part of a run/],
    ['no config.json', Object.fromEntries(Object.entries(good).filter(([p]) => p !== 'run/config.json')), /no config.json in run\//],
  ];
  const damaged = good['run/checkpoints/step-000000003/weights.bin']!.slice();
  damaged[5] = damaged[5]! ^ 0xff;
  variants.push(['a damaged weights.bin', { ...good, 'run/checkpoints/step-000000003/weights.bin': damaged }, /checkpoint step-000000003 does not verify \(weights.bin does not match/]);
  for (const [what, files, message] of variants) {
    const store = new MemoryRunStore();
    await assert.rejects(unpackRun(zipSync(files), store), (e: unknown) => e instanceof UsageError && message.test(e.message) && !e.message.includes('\n'), what);
    assert.equal(store.files.size, 0, what);
  }
  const folder = join(tempDir('gantry-archive-'), 'run');
  await assert.rejects(unpackRun(zipSync({ ...good, 'run/../../x': new Uint8Array([1]) }), new FsRunStore(folder)), UsageError);
  assert.deepEqual(await new FsRunStore(folder).list(''), []);
  await assert.rejects(unpackRun(new Uint8Array([1, 2, 3, 4]), new MemoryRunStore()), (e: unknown) => e instanceof UsageError && /not a zip file/.test(e.message));

  const used = new MemoryRunStore();
  await used.write('config.json', '{}');
  await assert.rejects(unpackRun(zipSync(good), used), (e: unknown) => e instanceof UsageError && /is not empty/.test(e.message));
  assert.deepEqual([...used.files.keys()], ['config.json']);
});

test('a store that fails half-way through the writes is left empty, and latest.json is the last file written', async () => {
  const source = new MemoryRunStore();
  await loopIn(source, 6);
  const zip = await packRun(source, 'run');
  const order: string[] = [];
  class Recording extends MemoryRunStore {
    override async write(path: string, data: Uint8Array | string): Promise<void> {
      order.push(path);
      await super.write(path, data);
    }
  }
  await unpackRun(zip, new Recording());
  assert.equal(order[order.length - 1], 'checkpoints/latest.json');
  assert.ok(order.every((p) => !/^checkpoints\/step-/.test(p)), 'checkpoints are written through a temporary folder');

  class FullDisk extends MemoryRunStore {
    writes = 0;
    override async write(path: string, data: Uint8Array | string): Promise<void> {
      if (++this.writes === 3) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      await super.write(path, data);
    }
  }
  const full = new FullDisk();
  await assert.rejects(unpackRun(zip, full), (e: unknown) => e instanceof UsageError && /cannot write the run into memory \(ENOSPC\); what was written is removed; free space/.test(e.message));
  assert.equal(full.writes, 3);
  assert.equal(full.files.size, 0);
});

test("a page run's studio.json travels in the zip both ways; a damaged one is refused with nothing written", async () => {
  const store = new MemoryRunStore();
  await loopIn(store, 6);
  const info = '{\n  "backend": "cpu",\n  "dataTitle": "MNIST handwritten digits",\n  "builtin": "mnist"\n}\n';
  await store.write('studio.json', info);
  const zip = await packRun(store, 'page-run');
  assert.ok(Object.keys(unzipSync(zip)).includes('page-run/studio.json'));
  const folder = join(tempDir('gantry-archive-studio-'), 'page-run');
  await unpackRun(zip, new FsRunStore(folder));
  assert.equal(readFileSync(join(folder, 'studio.json'), 'utf8'), info);
  // and the CLI continues it, the page's file left as it was
  await cliRun(folder, 8, true);
  assert.equal(readFileSync(join(folder, 'studio.json'), 'utf8'), info);

  const files = unzipSync(zip);
  files['page-run/studio.json'] = new TextEncoder().encode('{ not json');
  const target = new MemoryRunStore();
  await assert.rejects(unpackRun(zipSync(files), target), (e: Error) => e instanceof UsageError && /^the zip's studio\.json is damaged \(.*\); remove it from the zip/.test(e.message));
  assert.equal(target.files.size, 0);
});
