// What `gantry doctor` looks at: each part Gantry can use, whether it is there, and the one
// command that brings it where it is missing. Nothing here installs or builds anything.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { availableCores, chooseThreads } from '../backend.js';
import { adapterFix, probeAdapter, webgpuPackagesCommand } from '../webgpu/adapter.js';
import { installCommand, onednnFix } from './installHints.js';
import { findOnednn, packageDir } from './onednnLocation.js';
import { systemInfo, type SystemInfo } from './system.js';

export type CheckState = 'ok' | 'missing' | 'optional';

export interface Check {
  name: string;
  state: CheckState;
  /** What was found, or what is missing and what it is for. */
  detail: string;
  /** The command that brings a missing part. */
  fix?: string;
}

export interface DoctorReport {
  system: SystemInfo;
  checks: Check[];
  /** The backend that --backend auto takes on this install. */
  autoBackend: 'webgpu' | 'onednn' | 'tensorflow' | 'cpu';
}

/** The file a command name runs, from PATH, or null. */
function onPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    try {
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

interface BackendModule {
  onednnStatus(): { ok: true; threads: number } | { ok: false; reason: string; hint: string };
  onednnCpuTier?: () => string;
  onednnVersion?: () => string;
}

const tierNames: Record<string, string> = { avx512: 'AVX-512', avx2: 'AVX2 and FMA', generic: 'no x86 vector extension the kernels use' };

export async function doctorReport(): Promise<DoctorReport> {
  const system = systemInfo();
  const checks: Check[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  checks.push(major >= 20
    ? { name: 'Node.js', state: 'ok', detail: `${process.version}` }
    : { name: 'Node.js', state: 'missing', detail: `${process.version}; Gantry needs Node 20 or newer`, fix: 'install Node.js 20 or newer (nodejs.org, nvm, or your package manager)' });
  checks.push({ name: 'System', state: 'ok', detail: `${system.os}, ${system.arch}` });
  checks.push({ name: 'CPU', state: 'ok', detail: `${system.cpuModel}; ${tierNames[system.cpuTier]}; ${availableCores()} core${availableCores() === 1 ? '' : 's'} for this process` });

  const backendDir = packageDir('tfjs-backend-onednn');
  const onednn = await findOnednn();
  checks.push(onednn.error
    ? { name: 'oneDNN', state: 'missing', detail: onednn.error, fix: installCommand('onednn', system) }
    : { name: 'oneDNN', state: 'ok', detail: `${onednn.version ?? 'unknown version'} at ${onednn.prefix} (${onednn.how})` });

  const tools = system.platform === 'darwin' ? ['clang++', 'make', 'python3'] : ['make', 'python3'];
  const compiler = ['g++', 'clang++', 'c++'].find(onPath);
  const missingTools = [...(compiler || system.platform === 'darwin' ? [] : ['a C++ compiler']), ...tools.filter((t) => !onPath(t))];
  checks.push(missingTools.length === 0
    ? { name: 'Build tools', state: 'ok', detail: `${compiler ?? 'clang++'}, make, python3 (to build the native backend)` }
    : { name: 'Build tools', state: 'missing', detail: `${missingTools.join(', ')} not found (needed to build the native backend)`, fix: installCommand('compiler', system) });

  let autoBackend: DoctorReport['autoBackend'] = 'cpu';
  if (!backendDir) {
    checks.push({ name: 'Native backend', state: 'missing', detail: 'the tfjs-backend-onednn package is not installed', fix: 'npm install tfjs-backend-onednn' });
  } else {
    const mod = (await import('tfjs-backend-onednn' as string)) as BackendModule;
    const status = mod.onednnStatus();
    if (status.ok) {
      autoBackend = 'onednn';
      const tier = mod.onednnCpuTier?.();
      const version = mod.onednnVersion?.();
      let threads = '';
      try {
        const n = chooseThreads();
        threads = `; ${n} thread${n === 1 ? '' : 's'} (GANTRY_THREADS or --threads to change)`;
      } catch (e) {
        threads = `; ${(e as Error).message}`;
      }
      checks.push({ name: 'Native backend', state: 'ok', detail: `built and loads${version ? ` (oneDNN ${version})` : ''}${tier ? `; its own kernels for ${tier}` : ''}${threads}` });
    } else {
      checks.push({ name: 'Native backend', state: 'missing', detail: status.reason, fix: onednnFix(system, { onednnFound: !onednn.error }).replace(/^to get it: /, '') });
    }
  }

  const tfjsNode = packageDir('@tensorflow/tfjs-node');
  if (tfjsNode && autoBackend === 'cpu') autoBackend = 'tensorflow';
  checks.push(tfjsNode
    ? { name: 'tfjs-node', state: 'ok', detail: `installed at ${tfjsNode}` }
    : { name: 'tfjs-node', state: 'optional', detail: 'not installed (optional: TensorFlow\'s own CPU backend, used when onednn is missing)', fix: 'npm install @tensorflow/tfjs-node' });

  const webgpu = probeAdapter();
  if (webgpu.ok && !webgpu.software) autoBackend = 'webgpu';
  checks.push(webgpuCheck(webgpu, system));

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync) ?? onPath('chromium');
  checks.push(chromium
    ? { name: 'Chromium', state: 'ok', detail: `${chromium} (the browser tests drive it)` }
    : { name: 'Chromium', state: 'optional', detail: 'not found (optional: the export page and dashboard tests drive it)', fix: installCommand('chromium', system) });

  const redis = onPath('redis-server');
  checks.push(redis
    ? { name: 'Redis', state: 'ok', detail: `${redis} (sweeps queue their runs on Redis)` }
    : { name: 'Redis', state: 'optional', detail: 'not found (optional: gantry sweep and worker need a Redis server, here or on another machine)', fix: installCommand('redis', system) });
  return { system, checks, autoBackend };
}

/** The WebGPU adapter Dawn finds, and whether --backend auto takes it. */
function webgpuCheck(probe: ReturnType<typeof probeAdapter>, system: SystemInfo): Check {
  if (probe.ok) {
    const kind = [probe.info.vendor, probe.info.architecture].filter(Boolean).join(', ');
    return probe.software
      ? { name: 'WebGPU', state: 'ok', detail: `${probe.name}${kind ? ` (${kind})` : ''}: a software adapter, so --backend auto keeps to the CPU; --backend webgpu takes it` }
      : { name: 'WebGPU', state: 'ok', detail: `${probe.name}${kind ? ` (${kind})` : ''}: a GPU, which --backend auto takes` };
  }
  const fix = probe.missing === 'package' ? webgpuPackagesCommand(tfjsVersion()) : adapterFix(system);
  return { name: 'WebGPU', state: 'optional', detail: `${probe.reason} (optional: training on a GPU)`, fix };
}

/** The TF.js version Gantry runs on (the WebGPU backend must be the same), read without loading TF.js. */
function tfjsVersion(): string {
  const dir = packageDir('@tensorflow/tfjs-core');
  try {
    return dir ? (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version : '4.22.0';
  } catch {
    return '4.22.0';
  }
}

/** The report as a person reads it: one line per part, the fix under what is missing. */
export function formatReport(report: DoctorReport, version: string): string {
  const mark: Record<CheckState, string> = { ok: '[ok]', missing: '[!!]', optional: '[--]' };
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const lines = [`gantry doctor: Gantry ${version}`, ''];
  for (const c of report.checks) {
    lines.push(`${mark[c.state]} ${c.name.padEnd(width)}  ${c.detail}`);
    if (c.fix && c.state !== 'ok') lines.push(`     ${' '.repeat(width)}  ${c.state === 'missing' ? 'fix' : 'get it'}: ${c.fix}`);
  }
  const why = report.autoBackend === 'webgpu' ? 'the WebGPU adapter is a GPU' : report.autoBackend === 'onednn' ? 'the native backend' : report.autoBackend === 'tensorflow' ? 'tfjs-node; the native backend is missing' : 'TF.js\'s pure-JavaScript backend, 100 to 500 times slower; fix the native backend above';
  lines.push('', `--backend auto takes: ${report.autoBackend} (${why})`);
  return lines.join('\n');
}
