#!/usr/bin/env node
// The time to start training on a folder of 10,000 images: cold (nothing cached: every file
// decoded, resized and written to the cache) and cached (the second start: list, stat, read
// the cache). Each start is a fresh process that imports Gantry and loads the folder as
// `gantry train --preset dcgan64 --data folder:DIR` does (64x64x3, centre crop, white
// background), so module loading is included.
//
//   npm run build:ts && node bench/folder-start.js [--count 10000] [--dir DIR] [--runs 3]
//
// The folder is made once from the emoji set: PNG and JPEG files of mixed sizes (40 to 120
// pixels a side, some not square), in 10 class subfolders.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadDataset } from '../packages/gantry/dist/src/data/load.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '10000' }, dir: { type: 'string' }, runs: { type: 'string', default: '3' } } });
const count = Number(values.count);
const dir = values.dir ?? join(tmpdir(), `gantry-folder-start-${count}`);

if (!existsSync(join(dir, '.complete'))) {
  const emoji = await loadDataset('emoji', { shape: { height: 64, width: 64, channels: 3 } });
  console.log(`making ${count} images in ${dir} ...`);
  rmSync(dir, { recursive: true, force: true });
  for (let c = 0; c < 10; c++) mkdirSync(join(dir, `class${c}`), { recursive: true });
  const size = 64 * 64 * 3;
  for (let start = 0; start < count; start += 8) {
    await Promise.all(Array.from({ length: Math.min(8, count - start) }, async (_, k) => {
      const i = start + k;
      const e = i % emoji.count;
      const w = 40 + ((i * 37) % 81);
      const h = i % 3 === 0 ? w : 40 + ((i * 53) % 81);
      const image = sharp(emoji.bytes.subarray(e * size, (e + 1) * size), { raw: { width: 64, height: 64, channels: 3 } }).resize(w, h, { fit: 'fill' });
      const file = join(dir, `class${emoji.labels[e]}`, `${String(i).padStart(5, '0')}.${i % 4 === 0 ? 'jpg' : 'png'}`);
      await (i % 4 === 0 ? image.jpeg({ quality: 90 }) : image.png()).toFile(file);
    }));
  }
  execFileSync('touch', [join(dir, '.complete')]);
}

const loader = `
const t0 = performance.now();
const { loadDataset } = await import(${JSON.stringify(new URL('../packages/gantry/dist/src/data/load.js', import.meta.url).href)});
const set = await loadDataset(process.argv[1], { shape: { height: 64, width: 64, channels: 3 }, cacheDir: process.argv[2] });
console.log(JSON.stringify({ loadSeconds: (performance.now() - t0) / 1000, count: set.count }));
`;
function start(cacheDir) {
  const t = Date.now() / 1000;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', loader, `folder:${dir}`, cacheDir], { encoding: 'utf8' });
  return { ...JSON.parse(out.trim().split('\n').pop()), wall: Date.now() / 1000 - t };
}

const files = readdirSync(dir, { recursive: true }).filter((f) => /\.(png|jpg)$/.test(f)).length;
console.log(`${files} images in ${dir}`);
const rows = [];
for (let r = 0; r < Number(values.runs); r++) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'gantry-start-cache-'));
  const cold = start(cacheDir);
  const cacheFiles = readdirSync(join(cacheDir, 'images')).filter((f) => f.endsWith('.bin'));
  const cacheMb = cacheFiles.reduce((a, f) => a + statSync(join(cacheDir, 'images', f)).size, 0) / 1e6;
  const cached = start(cacheDir);
  rmSync(cacheDir, { recursive: true, force: true });
  rows.push({ cold: cold.wall, cached: cached.wall });
  console.log(`run ${r + 1}: cold ${cold.wall.toFixed(2)} s, cached ${cached.wall.toFixed(2)} s (process start to images in memory, ${cold.count} images; in-process load ${cold.loadSeconds.toFixed(2)} s and ${cached.loadSeconds.toFixed(2)} s; cache ${cacheFiles.length} file, ${cacheMb.toFixed(0)} MB)`);
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`median of ${rows.length}: cold ${median(rows.map((r) => r.cold)).toFixed(2)} s, cached ${median(rows.map((r) => r.cached)).toFixed(2)} s`);
