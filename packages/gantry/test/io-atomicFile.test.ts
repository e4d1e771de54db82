import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { removeStaleTemporaries, temporaryPathFor, temporaryWriter, writeFileAtomic, writeFileAtomicSync } from '../src/io/atomicFile.js';
import { deadPid } from './dashboardFixtures.js';
import { tempDir } from './fixtures.js';

const here = hostname();

test('temporary names carry their writer: pid and host, in the current form and the earlier ones', () => {
  const name = temporaryPathFor('/x/out.json').split('/').at(-1)!;
  assert.match(name, new RegExp(`^\\.out\\.json\\.tmp-${process.pid}@${here.replace(/\./g, '\\.')}-[0-9a-f]{8}$`));
  assert.deepEqual(temporaryWriter('out.json', name), { pid: process.pid, host: here, movedAside: false });
  assert.deepEqual(temporaryWriter('web', '.web.export-41@build-box.lan-0a1b2c3d.old'), { pid: 41, host: 'build-box.lan', movedAside: true });
  // the names earlier versions wrote, which carry no host
  assert.deepEqual(temporaryWriter('web', '.web.export-977-k3j9x2'), { pid: 977, host: null, movedAside: false });
  assert.deepEqual(temporaryWriter('web', '.web.export-977-k3j9x2.old'), { pid: 977, host: null, movedAside: true });
  assert.deepEqual(temporaryWriter('a.png', '.a.png.977.0badf00d.tmp'), { pid: 977, host: null, movedAside: false });
  assert.deepEqual(temporaryWriter('a.png', '.a.png.tmp-977-abc123'), { pid: 977, host: null, movedAside: false });
  // another target's temporaries, and files that only look alike, are not this target's
  for (const other of ['.web2.export-977-k3j9x2', '.a.web.export-977-k3j9x2', 'web.export-977-k3j9x2', '.web.export-x-k3j9x2', '.web.notes', 'web']) {
    assert.equal(temporaryWriter('web', other), null, other);
  }
  // a name with characters that mean something in a pattern is matched literally
  assert.equal(temporaryWriter('a+b', '.aab.tmp-5@h-ab'), null);
  assert.deepEqual(temporaryWriter('a+b', '.a+b.tmp-5@h-ab'), { pid: 5, host: 'h', movedAside: false });
});

/** A folder beside `target` holding leftovers: `names` maps each entry to whether it must survive. */
function litter(dir: string, names: Record<string, boolean>): void {
  for (const n of Object.keys(names)) {
    if (n.includes('export')) {
      mkdirSync(join(dir, n, 'model'), { recursive: true });
      writeFileSync(join(dir, n, 'model', 'model.json'), '{}');
    } else {
      writeFileSync(join(dir, n), 'partial');
    }
  }
}

test("an atomic write removes the temporaries that dead writers left for the same target, and keeps a live writer's", async () => {
  const dir = tempDir();
  const dead = deadPid();
  const parent = process.ppid; // alive: the test runner
  const names: Record<string, boolean> = {
    [`.metrics.jsonl.tmp-${dead}@${here}-0a1b2c3d`]: false,
    [`.metrics.jsonl.tmp-${dead}-k3j9x2ab`]: false, // an earlier version's name
    [`.metrics.jsonl.${dead}.0badf00d.tmp`]: false, // an earlier version's name
    [`.metrics.jsonl.tmp-${parent}@${here}-0a1b2c3d`]: true, // its writer still runs
    [`.metrics.jsonl.tmp-${dead}@another-host.example-0a1b2c3d`]: true, // a pid there cannot be looked up here
    [`.config.json.tmp-${dead}@${here}-0a1b2c3d`]: true, // another target's, left for that target's next write
    'notes.txt': true,
  };
  litter(dir, names);
  writeFileAtomicSync(join(dir, 'metrics.jsonl'), 'line\n');
  const kept = Object.entries(names).filter(([, keep]) => keep).map(([n]) => n);
  assert.deepEqual(readdirSync(dir).sort(), [...kept, 'metrics.jsonl'].sort());
  assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), 'line\n');

  // the asynchronous writer does the same
  writeFileSync(join(dir, `.grid.png.${dead}.0badf00d.tmp`), 'partial');
  writeFileSync(join(dir, `.grid.png.tmp-${parent}@${here}-0a1b2c3d`), 'partial');
  await writeFileAtomic(join(dir, 'grid.png'), new Uint8Array([1, 2, 3]));
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('grid.png')).sort(), [`.grid.png.tmp-${parent}@${here}-0a1b2c3d`, 'grid.png']);
});

test('a folder written atomically: dead writers\' temporary folders go; a replaced folder moved aside comes back when the target is missing', () => {
  const dir = tempDir();
  const dead = deadPid();
  const names: Record<string, boolean> = {
    [`.web.export-${dead}-k3j9x2`]: false, // as `gantry export` killed mid-write left it before
    [`.web.export-${dead}@${here}-0a1b2c3d`]: false,
    [`.web.export-${process.ppid}@${here}-0a1b2c3d`]: true,
  };
  litter(dir, names);
  removeStaleTemporaries(join(dir, 'web'));
  assert.deepEqual(readdirSync(dir), [`.web.export-${process.ppid}@${here}-0a1b2c3d`]);

  // killed between moving the old export aside and renaming the new one into place: the old one is
  // the last complete export, so it is put back rather than removed
  const aside = `.site.export-${dead}@${here}-0a1b2c3d.old`;
  litter(dir, { [aside]: true });
  removeStaleTemporaries(join(dir, 'site'));
  assert.equal(readFileSync(join(dir, 'site', 'model', 'model.json'), 'utf8'), '{}');
  // once the target exists, a moved-aside folder is only litter
  litter(dir, { [aside]: true });
  removeStaleTemporaries(join(dir, 'site'));
  assert.ok(!readdirSync(dir).includes(aside));
  assert.ok(readdirSync(dir).includes('site'));
});
