#!/usr/bin/env node
// npm's install step for tfjs-backend-onednn: builds the native addon, and never fails the
// install. Where oneDNN or a compiler is missing, or the build fails, Gantry still installs and
// runs on TF.js's cpu backend; build/install-status.json records why, so that the backend's
// load error and `gantry doctor` can say it in one line, with the command that fixes it.
//
// GANTRY_SKIP_NATIVE_BUILD=1 skips the build; GANTRY_REQUIRE_NATIVE=1 makes a failed build fail
// the install (Gantry's own setup and CI use it, so that a broken build cannot pass unnoticed).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { findOnednn } from './find-onednn.mjs';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(packageDir, 'build');
const required = process.env.GANTRY_REQUIRE_NATIVE === '1';

function finish(status) {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(path.join(buildDir, 'install-status.json'), `${JSON.stringify({ ...status, at: new Date().toISOString() }, null, 2)}\n`);
  if (!status.built) {
    process.stderr.write(`tfjs-backend-onednn: not built (${status.reason}); Gantry will run on TF.js's cpu backend. 'npx gantry doctor' says how to get the fast one.\n`);
    if (required) process.exit(1);
  }
  process.exit(0);
}

if (process.env.GANTRY_SKIP_NATIVE_BUILD === '1') finish({ built: false, reason: 'the build was skipped (GANTRY_SKIP_NATIVE_BUILD=1)' });

const onednn = findOnednn();
if ('error' in onednn) finish({ built: false, reason: onednn.error });

// npm puts its own node-gyp on PATH for install scripts; it finds Node's headers as it always
// does (npm's nodedir setting, else the running Node's own).
const build = spawnSync('node-gyp', ['rebuild'], { cwd: packageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
const log = `${build.stdout ?? ''}${build.stderr ?? ''}`;
mkdirSync(buildDir, { recursive: true });
writeFileSync(path.join(buildDir, 'install.log'), log);
if (build.error) {
  finish({ built: false, reason: `node-gyp could not be started (${build.error.message}); run the build through npm: npm run build:native` });
}
if (build.status !== 0) {
  const first = log.split('\n').find((l) => /\berror\b/i.test(l) && !/^gyp ERR!/.test(l)) ?? log.split('\n').find((l) => /error/i.test(l)) ?? `node-gyp exited with ${build.status}`;
  finish({ built: false, reason: `the native build failed against oneDNN ${onednn.version ?? '(unknown version)'} at ${onednn.prefix}: ${first.trim()} (full log: ${path.join(buildDir, 'install.log')})` });
}
finish({ built: true, onednn: { version: onednn.version, prefix: onednn.prefix, how: onednn.how } });
