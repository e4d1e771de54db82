import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startDashboard, type RunningDashboard } from '../src/dashboard/server.js';
import { isUsageError } from '../src/errors.js';
import { writeFixtureRoot } from './dashboardFixtures.js';
import { tempDir } from './fixtures.js';
import { rawRequest } from './httpFixtures.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');

const raw = rawRequest;

let base: string;
let root: string;
let states: Record<string, string>;
let dash: RunningDashboard;

before(async () => {
  base = tempDir('gantry-dash-');
  root = join(base, 'runs');
  mkdirSync(root);
  states = writeFixtureRoot(root);
  writeFileSync(join(base, 'secret.json'), '{"secret":true}\n');
  writeFileSync(join(root, 'mlp-finished', 'notes.sh'), 'echo not served\n');
  symlinkSync(join(base, 'secret.json'), join(root, 'mlp-finished', 'escape.json'));
  symlinkSync(base, join(root, 'outside'));
  dash = await startDashboard({ root, port: 0 });
});

after(async () => {
  await dash?.close();
});

test('the run list shows every run under the root with the state its files imply', async () => {
  const res = await fetch(`${dash.url}api/runs`);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const { runs } = (await res.json()) as { runs: { id: string; state: string; step: number; totalSteps: number; bestFid: { value: number } | null; tornLines: number; samples: number }[] };
  const got = Object.fromEntries(runs.map((r) => [r.id, r.state]));
  assert.deepEqual(got, states, 'a symlink out of the root is not a run');
  const finished = runs.find((r) => r.id === 'mlp-finished')!;
  assert.equal(finished.bestFid?.value, 41);
  assert.equal(finished.samples, 5);
  assert.equal(runs.find((r) => r.id === 'mlp-killed')!.tornLines, 1);
  assert.equal(runs.find((r) => r.id === 'mlp-running')!.step, 200);
});

test('metrics come downsampled per series; a torn last line is skipped and counted', async () => {
  const m = (await (await fetch(`${dash.url}api/metrics?id=mlp-killed&points=50`)).json()) as { series: Record<string, { x: number[]; y: number[] }> };
  assert.ok(m.series['loss/D'].x.length > 10 && m.series['loss/D'].x.length <= 52);
  assert.equal(m.series['loss/D'].x.at(-1), 250);
  assert.ok(!m.series['loss/D'].x.includes(99999), 'the torn line is not a point');
  // merged points carry their group's mean, for the smoothed line; exact series carry none
  assert.equal((m.series['loss/D'] as { mean?: number[] }).mean, undefined, `${m.series['loss/D'].x.length} points are sent as logged`);
  const few = (await (await fetch(`${dash.url}api/metrics?id=mlp-killed&points=10`)).json()) as { series: Record<string, { x: number[]; y: number[]; mean?: number[] }> };
  const merged = few.series['loss/D'];
  assert.ok(merged.x.length < m.series['loss/D'].x.length);
  assert.equal(merged.mean?.length, merged.x.length);
  for (const v of merged.mean!) assert.ok(v >= Math.min(...merged.y) && v <= Math.max(...merged.y));
  // 25 logged points asked as 10: groups of 5, and the first group's mean is that of the first 5 values
  const firstFive = m.series['loss/D'].y.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
  assert.ok(Math.abs(merged.mean![0]! - firstFive) < 1e-5 * Math.abs(firstFive), `${merged.mean![0]} against ${firstFive}`);
  const d = (await (await fetch(`${dash.url}api/run?id=sweep%2Fmlp-crashed-without-lock`)).json()) as { summary: { id: string } };
  assert.equal(d.summary.id, 'sweep/mlp-crashed-without-lock');
  assert.equal((await fetch(`${dash.url}api/run?id=..%2F..`)).status, 404);
});

test('run files are served with their types; traversal, encoded traversal, absolute paths, NUL and symlinks out get 404', async () => {
  const png = await raw(dash.url, '/files/mlp-finished/samples/step-000000100.png');
  assert.equal(png.status, 200);
  assert.equal(png.type, 'image/png');
  const cfg = await raw(dash.url, '/files/mlp-finished/config.json');
  assert.equal(cfg.type, 'application/json; charset=utf-8');
  assert.equal(JSON.parse(cfg.body).steps, 500);
  for (const path of [
    '/files/../secret.json',
    '/files/mlp-finished/../../secret.json',
    '/files/%2e%2e/secret.json',
    '/files/%2E%2E%2fsecret.json',
    '/files/mlp-finished%2f..%2f..%2fsecret.json',
    '/files/%252e%252e/secret.json',
    '/files//etc/passwd',
    `/files/${realpathSync(base)}/secret.json`,
    '/files/mlp-finished/config.json%00.png',
    '/files/mlp-finished/escape.json',
    '/files/outside/secret.json',
    '/files/mlp-finished/notes.sh',
    '/files/mlp-running/train.lock',
    '/static/../../gantry/package.json',
    '/static/%2e%2e/package.json',
  ]) {
    const r = await raw(dash.url, path);
    assert.equal(r.status, 404, path);
    assert.ok(!r.body.includes('secret'), path);
  }
});

test('the dashboard is read-only: nothing but GET is answered', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    assert.equal((await raw(dash.url, '/api/runs', method)).status, 404, method);
    assert.equal((await raw(dash.url, '/files/mlp-finished/config.json', method)).status, 404, method);
  }
});

test('a request that names another host is refused (DNS rebinding)', async () => {
  assert.equal((await raw(dash.url, '/api/runs', 'GET', { host: 'evil.example:80' })).status, 403);
  assert.equal((await raw(dash.url, '/files/mlp-finished/config.json', 'GET', { host: 'evil.example' })).status, 403);
  assert.equal((await raw(dash.url, '/api/runs', 'GET', { host: `localhost:${dash.port}` })).status, 200);
});

test('appended metrics reach the event stream', async () => {
  const controller = new AbortController();
  const res = await fetch(`${dash.url}api/events`, { signal: controller.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('event: hello')) text += decoder.decode((await reader.read()).value);
  const t0 = Date.now();
  appendFileSync(join(root, 'mlp-running', 'metrics.jsonl'), JSON.stringify({ step: 210, 'loss/D': 0.25, 'loss/G': 3 }) + '\n');
  while (!/event: metrics\ndata: \{"type":"metrics","id":"mlp-running"/.test(text)) {
    text += decoder.decode((await reader.read()).value);
  }
  // only a bound on a failure: the latency itself is measured by bench/dashboard-metrics.js (well under 2 s)
  assert.ok(Date.now() - t0 < 10000, `took ${Date.now() - t0} ms`);
  controller.abort();
  const m = (await (await fetch(`${dash.url}api/metrics?id=mlp-running&keys=loss/D`)).json()) as { series: Record<string, { x: number[]; y: number[] }> };
  assert.deepEqual(Object.keys(m.series), ['loss/D']);
  assert.equal(m.series['loss/D'].x.at(-1), 210);
  assert.equal(m.series['loss/D'].y.at(-1), 0.25);
});

test('metrics are asked for one by one (key=, repeated), so a name may hold a comma; keys=A,B still works', async () => {
  appendFileSync(join(root, 'mlp-running', 'metrics.jsonl'), JSON.stringify({ step: 220, 'loss/D': 0.5, 'probe/a,b': 7 }) + '\n');
  type Metrics = { series: Record<string, { x: number[]; y: number[] }> };
  const one = (await (await fetch(`${dash.url}api/metrics?id=mlp-running&key=${encodeURIComponent('probe/a,b')}&key=loss%2FD`)).json()) as Metrics;
  assert.deepEqual(Object.keys(one.series).sort(), ['loss/D', 'probe/a,b']);
  assert.equal(one.series['probe/a,b']!.y.at(-1), 7);
  assert.equal(one.series['loss/D']!.y.at(-1), 0.5);
  const listed = (await (await fetch(`${dash.url}api/metrics?id=mlp-running&keys=loss/D,loss/G`)).json()) as Metrics;
  assert.deepEqual(Object.keys(listed.series).sort(), ['loss/D', 'loss/G']);
  const all = (await (await fetch(`${dash.url}api/metrics?id=mlp-running`)).json()) as Metrics;
  assert.ok(Object.keys(all.series).length > 2 && 'probe/a,b' in all.series);
});

test('a port in use and a missing root are usage errors (exit 2, one line)', async () => {
  await assert.rejects(startDashboard({ root, port: dash.port }), (e: unknown) => isUsageError(e) && /in use.*--port/.test((e as Error).message));
  const missing = spawnSync(process.execPath, [bin, 'dashboard', '--root', join(base, 'nope'), '--port', '0'], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^gantry dashboard: --root '.*nope' does not exist; give an existing folder\n$/);
  const busy = spawnSync(process.execPath, [bin, 'dashboard', '--root', root, '--port', String(dash.port)], { encoding: 'utf8' });
  assert.equal(busy.status, 2);
  assert.equal(busy.stderr.trim().split('\n').length, 1);
  assert.match(busy.stderr, /--port/);
  const stray = spawnSync(process.execPath, [bin, 'train', '--preset', 'seed-mlp', '--port', '1', '--out', join(base, 'never')], { encoding: 'utf8' });
  assert.equal(stray.status, 2);
  assert.equal(stray.stderr, "gantry train: --port is the dashboard's port; add --dashboard\n");
});

test('--host other than loopback warns in one line; SIGTERM closes the server cleanly', async () => {
  const child = spawn(process.execPath, [bin, 'dashboard', '--root', root, '--port', '0', '--host', '0.0.0.0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  await new Promise<void>((resolve) => child.stderr.on('data', (d) => ((stderr += d), stderr.includes('Ctrl-C') && resolve())));
  assert.equal(stderr.split('\n').filter((l) => l.includes('warning')).length, 1);
  const code = await new Promise<number | null>((resolve) => {
    child.on('exit', resolve);
    child.kill('SIGTERM');
  });
  assert.equal(code, 0);
});
