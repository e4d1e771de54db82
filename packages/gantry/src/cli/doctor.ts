import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { doctorReport, formatReport } from '../doctor/checks.js';
import { packageDir } from '../doctor/onednnLocation.js';
import { UsageError } from 'gantry-core/errors.js';
import { gantryVersion } from 'gantry-core/version.js';
import { parseFlags } from './args.js';

const doctorHelp = `usage: gantry doctor [--json] [--build-backend]

Says what Gantry found on this machine (Node, the system, the CPU and its vector tier, oneDNN,
build tools, the native backend, and the optional parts: tfjs-node, the WebGPU adapter, Chromium,
Redis) and, for each missing part, the one command that brings it.

  --build-backend  build the native onednn backend now (for installs that skipped npm's
                   install scripts, or after installing oneDNN), then check that it loads
  --json           the report as JSON`;

export async function doctorCommand(argv: string[]): Promise<void> {
  const v = parseFlags('doctor', argv, { json: { type: 'boolean' }, 'build-backend': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) {
    console.log(doctorHelp);
    return;
  }
  if (v['build-backend']) {
    buildBackend();
    // the addon just built loads in a fresh process: this one may already hold the old one
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../../../bin/gantry.js', import.meta.url)), 'doctor', ...(v.json ? ['--json'] : [])], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    return;
  }
  const report = await doctorReport();
  console.log(v.json ? JSON.stringify(report, null, 2) : formatReport(report, gantryVersion));
}

/** Runs the backend package's own build (node-gyp, through npm so that npm's settings apply). */
function buildBackend(): void {
  const dir = packageDir('tfjs-backend-onednn');
  if (!dir) throw new UsageError('--build-backend: the tfjs-backend-onednn package is not installed; install it with: npm install tfjs-backend-onednn');
  console.error(`gantry doctor: building the native backend in ${dir} (a minute or two)`);
  const npm = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const r = spawnSync(npm[0]!, [...npm.slice(1), 'run', 'build:native'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw new UsageError(`--build-backend: npm could not be started (${r.error.message}); run 'npm run build:native' in ${dir}`);
  if (r.status !== 0) {
    const err = new Error(`--build-backend: the native build failed (the compiler's messages are above); 'gantry doctor' lists what it needs`) as Error & { exitCode: number };
    err.exitCode = 1;
    throw err;
  }
}
