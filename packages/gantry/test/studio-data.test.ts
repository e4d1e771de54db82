import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { concatChunks, encodeDataFile } from 'gantry-core/data/gdsWrite.js';
import type { StudioDataIndex } from 'gantry-core/data/gdsFormat.js';
import { STUDIO_MARKER } from '../src/studio/staticSite.js';
import { tempDir } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', 'bin', 'gantry.js');

/** The page's reader, as esbuild built it for Node (packages/web/build.mjs): the same source the page bundles. */
interface DecodedSet {
  source: string; count: number; height: number; width: number; channels: number;
  bytes: Uint8Array; pixels01: Float32Array; labels?: Int32Array; numClasses?: number; classNames?: readonly string[];
}
type Reader = { decodeDataFile(data: Uint8Array, what?: string): DecodedSet };
const readerPath = join(here, '..', '..', '..', 'web', 'dist', 'studioDataFile.js');
const reader = (): Promise<Reader> => import(pathToFileURL(readerPath).href) as Promise<Reader>;

function gantry(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('a set written as a .gds file reads back as the set loadDataset gives: bytes, floats and labels equal bytewise', async () => {
  const { decodeDataFile } = await reader();
  const set = await loadDataset('mnist');
  const names = Array.from({ length: 10 }, (_, i) => String(i));
  const file = concatChunks(encodeDataFile(set, names));
  const back = decodeDataFile(file, 'mnist.gds');
  assert.deepEqual([back.source, back.count, back.height, back.width, back.channels, back.numClasses], ['mnist', set.count, 28, 28, 1, 10]);
  assert.deepEqual(back.classNames, names);
  assert.ok(bytesOf(back.labels!).equals(bytesOf(set.labels!)), 'labels');
  assert.ok(bytesOf(back.pixels01).equals(bytesOf(set.pixels01)), 'pixels01, bit for bit');
  assert.equal(back.bytes.length, set.count * 784);
  assert.equal(back.bytes[0 * 784 + 14 * 28 + 14], Math.round(set.pixels01[14 * 28 + 14]! * 255));
  // the file is the prefix, the padded header, the labels and the pixels, nothing else
  const headerBytes = new DataView(file.buffer, file.byteOffset).getUint32(12, true);
  assert.equal(headerBytes % 4, 0);
  assert.equal(file.length, 16 + headerBytes + set.count * 4 + set.count * 784);
  assert.equal(Buffer.from(file.subarray(0, 8)).toString('latin1'), 'GNTRYDAT');
});

test('a set of decoded bytes (no labels) round-trips; floats that are not bytes / 255 are refused', async () => {
  const { decodeDataFile } = await reader();
  const bytes = Uint8Array.from({ length: 2 * 3 * 2 * 3 }, (_, i) => (i * 37) % 256);
  const base = { source: 'folder:x', count: 2, height: 3, width: 2, channels: 3 };
  const set = { ...base, bytes, pixels01: Float32Array.from(bytes, (b) => b / 255) };
  const back = decodeDataFile(concatChunks(encodeDataFile(set)));
  assert.deepEqual([...back.bytes], [...bytes]);
  assert.equal(back.labels, undefined);
  assert.equal(back.numClasses, undefined);
  assert.ok(bytesOf(back.pixels01).equals(bytesOf(set.pixels01)));
  assert.throws(() => encodeDataFile({ ...base, pixels01: new Float32Array(36).fill(0.3) }), /pixel 0 \(0\.3\d*\) is not a byte \/ 255/);
});

test('the reader refuses a damaged file with a sentence that says what is wrong', async () => {
  const { decodeDataFile } = await reader();
  const set = await loadDataset('mnist', { limit: 3 });
  const file = concatChunks(encodeDataFile(set));
  assert.throws(() => decodeDataFile(file.subarray(0, file.length - 1), 'x.gds'), /^DataFileError: x\.gds is not a Gantry data file: it is \d+ bytes long; its header describes \d+ \(a truncated download\?\)$/);
  const badMagic = file.slice();
  badMagic[0] = 0x41;
  assert.throws(() => decodeDataFile(badMagic, 'x.gds'), /does not start with GNTRYDAT/);
  const badVersion = file.slice();
  new DataView(badVersion.buffer).setUint32(8, 9, true);
  assert.throws(() => decodeDataFile(badVersion, 'x.gds'), /format version 9; this page reads version 1/);
  const badLabel = file.slice();
  const at = 16 + new DataView(file.buffer).getUint32(12, true);
  new DataView(badLabel.buffer).setInt32(at, 10, true);
  assert.throws(() => decodeDataFile(badLabel, 'x.gds'), /image 0 has label 10, outside 0\.\.9/);
});

test('--static refuses a folder that holds other files, in one line with exit 2, and leaves it untouched', () => {
  const dir = join(tempDir('gantry-studio-static-'), 'site');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'mine\n');
  const r = gantry(['studio', '--static', dir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^gantry studio: --static .*site holds other files \(notes\.txt\); give a new or empty folder, or one an earlier 'gantry studio --static' wrote\n$/);
  assert.deepEqual(readdirSync(dir), ['notes.txt']);
  assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine\n');
  assert.deepEqual(readdirSync(dirname(dir)), ['site'], 'no temporary left beside it');

  const file = join(dirname(dir), 'a-file');
  writeFileSync(file, 'x');
  const onFile = gantry(['studio', '--static', file]);
  assert.equal(onFile.code, 2);
  assert.match(onFile.stderr, /^gantry studio: --static .*a-file is a file; give a new or empty folder\n$/);
  const withPort = gantry(['studio', '--static', join(dirname(dir), 'new'), '--port', '1']);
  assert.equal(withPort.code, 2);
  assert.match(withPort.stderr, /^gantry studio: --static writes files and starts no server; drop --port and --host\n$/);
  assert.equal(existsSync(join(dirname(dir), 'new')), false);
});

test('--static writes the page, its bundle and every data set; a second run replaces the folder whole', async () => {
  const { decodeDataFile } = await reader();
  const parent = tempDir('gantry-studio-site-');
  const dir = join(parent, 'site');
  const first = gantry(['studio', '--static', dir]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^gantry studio: wrote 18 files to .*site; serve that folder with any static web server\n$/);
  const names = ['mnist', 'fashion-mnist', 'emoji-google', 'emoji-twitter'];
  // preview/: the export page and its binaries, for the studio's Preview button
  const preview = ['index.html', 'page.js', 'page.css', 'wasm/tfjs-backend-wasm.wasm', 'ort/ort-wasm-simd-threaded.asyncify.wasm'].map((f) => `preview/${f}`);
  for (const f of ['index.html', 'studio.js', 'studio.css', STUDIO_MARKER, 'data/index.json', ...names.map((n) => `data/${n}.gds`), ...preview]) {
    assert.ok(existsSync(join(dir, f)), f);
  }
  assert.match(readFileSync(join(dir, 'index.html'), 'utf8'), /<title>Gantry Studio<\/title>[\s\S]*<script type="module" src="studio.js">/);
  const index = JSON.parse(readFileSync(join(dir, 'data', 'index.json'), 'utf8')) as StudioDataIndex;
  assert.deepEqual(index.sets.map((s) => [s.name, s.shape]), [['mnist', [28, 28, 1]], ['fashion-mnist', [28, 28, 1]], ['emoji-google', [64, 64, 3]], ['emoji-twitter', [64, 64, 3]]]);
  assert.deepEqual(index.sets.slice(0, 2).map((s) => [s.count, s.classes]), [[10000, 10], [70000, 10]]);
  for (const s of index.sets) {
    const file = readFileSync(join(dir, 'data', s.file));
    assert.equal(file.length, s.bytes, s.name);
    const set = decodeDataFile(file, s.file);
    assert.deepEqual([set.count, set.height, set.width, set.channels, set.numClasses], [s.count, ...s.shape, s.classes], s.name);
    assert.deepEqual(set.classNames, s.classNames);
  }
  // the emoji are the same images the CLI trains on
  const emoji = await loadDataset('emoji', { shape: { height: 64, width: 64, channels: 3 }, warn: () => {} });
  const written = decodeDataFile(readFileSync(join(dir, 'data', 'emoji-google.gds')));
  assert.ok(bytesOf(written.bytes).equals(bytesOf(emoji.bytes!)), 'emoji bytes');
  assert.ok(bytesOf(written.labels!).equals(bytesOf(emoji.labels!)), 'emoji labels');

  // a second run swaps the folder: what only the first build held is gone, and no temporary stays
  writeFileSync(join(dir, 'left-by-hand.txt'), 'x');
  const before = statSync(dir).ino;
  const second = gantry(['studio', '--static', dir]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(existsSync(join(dir, 'left-by-hand.txt')), false);
  assert.notEqual(statSync(dir).ino, before, 'a new folder was renamed into place');
  assert.ok(existsSync(join(dir, 'data', 'mnist.gds')));
  assert.deepEqual(readdirSync(parent), ['site']);
});
