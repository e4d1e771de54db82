// What kind of system this is, as far as installing Gantry's optional parts goes: the OS and its
// package manager, the CPU and its vector tier. Read from files the OS keeps (os-release,
// cpuinfo); nothing here runs a command.
import { readFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';

export type PackageManager = 'apt' | 'dnf' | 'pacman' | 'zypper' | 'apk' | 'brew' | 'conda' | null;

export interface SystemInfo {
  /** 'Debian GNU/Linux 13 (trixie)', 'macOS', ... */
  os: string;
  platform: NodeJS.Platform;
  arch: string;
  packageManager: PackageManager;
  /** Whether commands need sudo (false when this process is root). */
  sudo: boolean;
  cpuModel: string;
  /** The best vector extension the CPU has, as the backend's tiers name them. */
  cpuTier: 'avx512' | 'avx2' | 'generic';
}

/** key=value pairs of an os-release file. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([A-Z_]+)=("?)(.*)\2$/);
    if (m) out[m[1]!] = m[3]!;
  }
  return out;
}

/** The package manager of a Linux distribution, from its os-release ID and ID_LIKE. */
export function linuxPackageManager(osRelease: Record<string, string>): PackageManager {
  const ids = `${osRelease.ID ?? ''} ${osRelease.ID_LIKE ?? ''}`.split(/\s+/);
  if (ids.some((id) => ['debian', 'ubuntu'].includes(id))) return 'apt';
  if (ids.some((id) => ['fedora', 'rhel', 'centos'].includes(id))) return 'dnf';
  if (ids.some((id) => ['arch'].includes(id))) return 'pacman';
  if (ids.some((id) => ['suse', 'opensuse'].includes(id) || id.startsWith('opensuse'))) return 'zypper';
  if (ids.includes('alpine')) return 'apk';
  return null;
}

/** The vector tier of an x86 CPU from its /proc/cpuinfo flags; 'generic' for any other CPU. */
export function tierFromCpuFlags(cpuinfo: string, cpuArch: string): SystemInfo['cpuTier'] {
  if (cpuArch !== 'x64') return 'generic';
  const flags = new Set((cpuinfo.match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
  if (flags.has('avx512f') && flags.has('avx512dq')) return 'avx512';
  if (flags.has('avx2') && flags.has('fma')) return 'avx2';
  return 'generic';
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

export function systemInfo(env: NodeJS.ProcessEnv = process.env): SystemInfo {
  const p = platform();
  const a = arch();
  const osRelease = p === 'linux' ? parseOsRelease(readOr('/etc/os-release', '')) : {};
  let packageManager: PackageManager = p === 'linux' ? linuxPackageManager(osRelease) : p === 'darwin' ? 'brew' : null;
  if (env.CONDA_PREFIX) packageManager = 'conda';
  return {
    os: p === 'linux' ? (osRelease.PRETTY_NAME ?? 'Linux') : p === 'darwin' ? 'macOS' : p === 'win32' ? 'Windows' : p,
    platform: p,
    arch: a,
    packageManager,
    sudo: typeof process.getuid === 'function' ? process.getuid() !== 0 : false,
    cpuModel: cpus()[0]?.model?.trim() || 'unknown CPU',
    cpuTier: tierFromCpuFlags(p === 'linux' ? readOr('/proc/cpuinfo', '') : '', a),
  };
}
