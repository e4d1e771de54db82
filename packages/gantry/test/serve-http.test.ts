import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Hono } from 'hono';
import { isUsageError } from '../src/errors.js';
import { confinedFile, confinedFolder, listen, pathAfter, sendConfinedFile, servedRoot } from '../src/serve/http.js';
import { tempDir } from './fixtures.js';
import { rawRequest as rawGet } from './httpFixtures.js';

/** A served root with a file, a subfolder, a symlink inside, and symlinks pointing out of it. */
function fixtureRoot() {
  const base = tempDir('gantry-http-');
  const root = join(base, 'root');
  mkdirSync(join(root, 'run', 'samples'), { recursive: true });
  writeFileSync(join(root, 'run', 'metrics.jsonl'), '{"step":1}\n');
  writeFileSync(join(root, 'run', 'samples', 'step-1.png'), 'png');
  writeFileSync(join(root, 'run', 'notes.exe'), 'not a served type');
  writeFileSync(join(base, 'secret.json'), '{"secret":true}');
  symlinkSync(join(base, 'secret.json'), join(root, 'run', 'escape.json'));
  symlinkSync(base, join(root, 'outside'));
  symlinkSync(join(root, 'run', 'metrics.jsonl'), join(root, 'run', 'alias.jsonl'));
  return { base, root: realpathSync(root) };
}

test('confinedFile resolves files inside the root and nothing else', () => {
  const { root } = fixtureRoot();
  assert.equal(confinedFile(root, '/run/metrics.jsonl'), join(root, 'run', 'metrics.jsonl'));
  assert.equal(confinedFile(root, 'run/samples/step-1.png'), join(root, 'run', 'samples', 'step-1.png'));
  // a symlink that stays inside is followed
  assert.equal(confinedFile(root, '/run/alias.jsonl'), join(root, 'run', 'metrics.jsonl'));
  for (const bad of [
    '/../secret.json',
    '/run/../../secret.json',
    '/%2e%2e/secret.json',
    '/run/%2E%2E/%2e%2e/secret.json',
    '/..%2fsecret.json',
    '/run%2f..%2f..%2fsecret.json',
    '/run/metrics.jsonl%00.png',
    '/run\\..\\..\\secret.json',
    '/run/escape.json', // symlink to a file outside
    '/outside/secret.json', // symlinked folder outside
    '/run', // a folder, not a file
    '/run/missing.json',
    '/%E0%A4%A', // does not decode
  ]) {
    assert.equal(confinedFile(root, bad), null, bad);
  }
});

test('confinedFolder resolves folders inside the root by the same rule, and nothing else', () => {
  const { root } = fixtureRoot();
  assert.equal(confinedFolder(root, ''), root);
  assert.equal(confinedFolder(root, '/run'), join(root, 'run'));
  assert.equal(confinedFolder(root, 'run/samples/'), join(root, 'run', 'samples'));
  for (const bad of ['/..', '/%2e%2e', '/run/%2E%2E/..', '/outside', '/run/metrics.jsonl', '/run/missing', '/run%00', '/%E0%A4%A']) {
    assert.equal(confinedFolder(root, bad), null, bad);
  }
});

test('the server serves run files with their types and answers 404 to every escape', async () => {
  const { root } = fixtureRoot();
  const app = new Hono();
  app.get('/files/*', (c) => sendConfinedFile(c, root, pathAfter(c, '/files/') ?? ''));
  const server = await listen(app, { port: 0, command: 'test' });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const ok = await rawGet(server.url, '/files/run/metrics.jsonl');
    assert.equal(ok.status, 200);
    assert.equal(ok.body, '{"step":1}\n');
    assert.match(ok.type ?? '', /^application\/x-ndjson/);
    const png = await rawGet(server.url, '/files/run/samples/step-1.png');
    assert.equal(png.type, 'image/png');
    for (const path of [
      '/files/../secret.json',
      '/files/run/../../secret.json',
      '/files/%2e%2e/secret.json',
      '/files/%252e%252e/secret.json',
      '/files/..%2f..%2fsecret.json',
      '/files/run/escape.json',
      '/files/outside/secret.json',
      '/files/run/metrics.jsonl%00',
      '/files//etc/passwd',
      '/files/%2Fetc%2Fpasswd',
      '/files/run/notes.exe',
    ]) {
      const res = await rawGet(server.url, path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /secret|root:/, path);
    }
    const post = await fetch(new URL('/files/run/metrics.jsonl', server.url), { method: 'POST', body: 'x' });
    assert.equal(post.status, 404, 'nothing accepts writes');
  } finally {
    await server.close();
  }
});

test('a port in use is a usage error that suggests --port', async () => {
  const first = await listen(new Hono(), { port: 0, command: 'test' });
  try {
    await assert.rejects(listen(new Hono(), { port: first.port, command: 'test' }), (e: unknown) => {
      assert.ok(isUsageError(e));
      assert.match((e as Error).message, new RegExp(`port ${first.port} .*in use.*--port`));
      return true;
    });
  } finally {
    await first.close();
  }
});

test('servedRoot refuses a missing folder and a file', () => {
  const { root } = fixtureRoot();
  assert.throws(() => servedRoot(join(root, 'nope'), '--root'), /--root '.*nope' does not exist/);
  assert.throws(() => servedRoot(join(root, 'run', 'metrics.jsonl'), '--root'), /is not a folder/);
  assert.equal(servedRoot(join(root, 'run'), '--root'), join(root, 'run'));
});
