// The WebGPU adapter Node can reach through Dawn (the optional `webgpu` package), what it is,
// and whether it is a real GPU. Nothing here needs the packages: each is loaded by name, and
// their absence is an answer, not an error.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import { packageDir } from '../doctor/onednnLocation.js';
import type { SystemInfo } from '../doctor/system.js';
import { releaseAtEnd } from '../util/shutdown.js';

/** What an adapter says about itself (WebGPU's GPUAdapterInfo), plus Dawn's software flag. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** WebGPU's own flag: the adapter is a fallback (software) one. */
  isFallbackAdapter: boolean;
}

/** The parts of WebGPU Gantry touches; the real objects come from Dawn. */
export interface GpuAdapter {
  readonly info?: Partial<AdapterDescription>;
  readonly features: { has(name: string): boolean };
  readonly limits: Record<string, number>;
  requestDevice(descriptor?: object): Promise<GpuDevice>;
}
export interface GpuDevice {
  destroy(): void;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapter | null>;
}
interface DawnModule {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}

export type AdapterProbe =
  | { ok: true; info: AdapterDescription; software: boolean; name: string }
  | { ok: false; missing: 'package' | 'adapter'; reason: string };

/** The install command of the two packages, at the TF.js version Gantry uses. */
export function webgpuPackagesCommand(tfjsVersion: string): string {
  return `npm install webgpu @tensorflow/tfjs-backend-webgpu@${tfjsVersion}`;
}

/** Names that mark a CPU implementation of Vulkan, Metal or Direct3D, whatever the adapter's flags say. */
const softwareNames = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i;

/** Whether an adapter is software (a CPU pretending to be a GPU) rather than a GPU. */
export function isSoftwareAdapter(info: AdapterDescription): boolean {
  return info.isFallbackAdapter || softwareNames.test(`${info.description} ${info.device} ${info.architecture}`);
}

/** A short name for an adapter: its description, else vendor and device. */
export function adapterName(info: AdapterDescription): string {
  const name = info.description || [info.vendor, info.device || info.architecture].filter(Boolean).join(' ');
  return name || 'an unnamed adapter';
}

/** How to get a WebGPU adapter on this system, when Dawn found none. */
export function adapterFix(system: Pick<SystemInfo, 'platform' | 'packageManager' | 'sudo'>): string {
  if (system.platform === 'darwin') return 'Dawn uses Metal, which every Mac since 2012 has; update macOS, or use --backend onednn';
  if (system.platform === 'win32') return 'Dawn uses Direct3D 12: update the GPU driver, or use --backend onednn';
  const sudo = system.sudo && system.packageManager !== 'brew' && system.packageManager !== 'conda' ? 'sudo ' : '';
  const mesa: Partial<Record<NonNullable<SystemInfo['packageManager']>, string>> = {
    apt: 'apt-get install mesa-vulkan-drivers libvulkan1',
    dnf: 'dnf install mesa-vulkan-drivers vulkan-loader',
    pacman: 'pacman -S vulkan-icd-loader vulkan-radeon vulkan-intel',
    zypper: 'zypper install libvulkan1 libvulkan_radeon libvulkan_intel',
    apk: 'apk add vulkan-loader mesa-vulkan-ati mesa-vulkan-intel',
  };
  const command = system.packageManager ? mesa[system.packageManager] : undefined;
  return `install the GPU's Vulkan driver (NVIDIA's own driver, or Mesa's${command ? `: ${sudo}${command}` : ''}), or use --backend onednn`;
}

let dawn: { module: DawnModule; gpu: Gpu } | null = null;

/**
 * Dawn's WebGPU entry point, made once per process. Its constants (GPUBufferUsage and the
 * others) become globals and it becomes `navigator.gpu`, as TF.js's WebGPU backend expects.
 */
async function dawnGpu(): Promise<Gpu> {
  if (dawn) return dawn.gpu;
  // loaded by name: the package is optional
  const name = 'webgpu';
  const module = (await import(name)) as DawnModule;
  const global = globalThis as Record<string, unknown>;
  for (const [key, value] of Object.entries(module.globals)) {
    if (!(key in global)) global[key] = value;
  }
  dawn = { module, gpu: module.create([]) };
  // Node 20 has no navigator; Node 21 and later have one without gpu
  if (global.navigator === undefined) global.navigator = {};
  (global.navigator as { gpu?: Gpu }).gpu = dawn.gpu;
  releaseAtEnd(releaseDawn);
  return dawn.gpu;
}

/** Drops Dawn's entry point, so that nothing of it keeps the process alive once the command is done. */
export function releaseDawn(): void {
  if (!dawn) return;
  const nav = (globalThis as { navigator?: { gpu?: Gpu } }).navigator;
  if (nav?.gpu === dawn.gpu) delete nav.gpu;
  dawn = null;
}

/**
 * The probe, run in a child process: Dawn writes its warnings (a Vulkan loader it cannot load,
 * a driver it skips) straight to the process's stderr, where they would break a command's
 * one-line messages. The child reports the adapter as one JSON line and its stderr is kept.
 */
const probeScript = `
const { create } = await import(process.argv[1]);
const gpu = create([]);
const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
const i = a && a.info ? a.info : {};
console.log(JSON.stringify(a ? { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '', isFallbackAdapter: Boolean(i.isFallbackAdapter) } : null));
process.exit(0);
`;

/**
 * Dawn's best adapter (high-performance), described. The packages' absence and the adapter's
 * are answers with the reason (for a missing adapter, Dawn's own first warning when it gave one).
 */
export function probeAdapter(): AdapterProbe {
  if (!packageDir('webgpu')) return { ok: false, missing: 'package', reason: 'the webgpu package (Dawn for Node) is not installed' };
  if (!packageDir('@tensorflow/tfjs-backend-webgpu')) return { ok: false, missing: 'package', reason: 'the @tensorflow/tfjs-backend-webgpu package is not installed' };
  const entry = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probeScript, entry], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...quietDrivers },
  });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let info: AdapterDescription | null | undefined;
  try {
    info = JSON.parse(line) as AdapterDescription | null;
  } catch {
    info = undefined;
  }
  if (info === undefined) {
    const why = (r.error?.message ?? (r.stderr ?? '').trim().split('\n').find((l) => l.trim() !== '') ?? `exit code ${r.status}`).trim();
    return { ok: false, missing: 'package', reason: `the webgpu package did not run (${why})` };
  }
  if (info === null) {
    const warning = (r.stderr ?? '').split('\n').map((l) => l.trim()).find((l) => /^warning:/i.test(l));
    return { ok: false, missing: 'adapter', reason: `Dawn found no WebGPU adapter (${warning ? warning.replace(/^warning:\s*/i, '') : 'no Vulkan, Metal or Direct3D 12 device it can use'})` };
  }
  return { ok: true, info, software: isSoftwareAdapter(info), name: adapterName(info) };
}

/**
 * Mesa prints a line on every start of a Vulkan driver that is not conformant (lavapipe among
 * them); Gantry says itself that such an adapter is software.
 */
const quietDrivers = { MESA_VK_IGNORE_CONFORMANCE_WARNING: '1' };

/** The adapter in this process, for the backend to use; null if Dawn gives none here. */
export async function openAdapter(): Promise<GpuAdapter | null> {
  Object.assign(process.env, quietDrivers);
  const gpu = await dawnGpu();
  return gpu.requestAdapter({ powerPreference: 'high-performance' });
}
