// The one command that brings each optional part on a given system. Gantry prints these where a
// part is missing: in the backend choice's warning, and in `gantry doctor`.
import type { PackageManager, SystemInfo } from './system.js';

export type Part = 'onednn' | 'compiler' | 'chromium' | 'redis';

const commands: Record<Exclude<PackageManager, null>, Record<Part, string | null>> = {
  apt: { onednn: 'apt-get install libdnnl-dev', compiler: 'apt-get install g++ make python3', chromium: 'apt-get install chromium', redis: 'apt-get install redis-server' },
  dnf: { onednn: 'dnf install onednn-devel', compiler: 'dnf install gcc-c++ make python3', chromium: 'dnf install chromium', redis: 'dnf install redis' },
  pacman: { onednn: 'pacman -S onednn', compiler: 'pacman -S base-devel python', chromium: 'pacman -S chromium', redis: 'pacman -S redis' },
  zypper: { onednn: 'zypper install onednn-devel', compiler: 'zypper install gcc-c++ make python3', chromium: 'zypper install chromium', redis: 'zypper install redis' },
  apk: { onednn: null, compiler: 'apk add g++ make python3', chromium: 'apk add chromium', redis: 'apk add redis' },
  brew: { onednn: 'brew install onednn libomp', compiler: 'xcode-select --install', chromium: 'brew install --cask chromium', redis: 'brew install redis' },
  conda: { onednn: 'conda install -c conda-forge onednn', compiler: 'conda install -c conda-forge cxx-compiler make', chromium: null, redis: 'conda install -c conda-forge redis' },
};

const rootManagers = new Set<PackageManager>(['apt', 'dnf', 'pacman', 'zypper', 'apk']);

/** The install command for a part on this system, or a sentence when there is no package for it. */
export function installCommand(part: Part, system: Pick<SystemInfo, 'packageManager' | 'sudo' | 'platform'>): string {
  const pm = system.packageManager;
  const command = pm ? commands[pm][part] : null;
  if (command) return `${system.sudo && rootManagers.has(pm) ? 'sudo ' : ''}${command}`;
  if (system.platform === 'win32') return 'use WSL 2 with Ubuntu, then: sudo apt-get install libdnnl-dev';
  switch (part) {
    case 'onednn': return 'install oneDNN 2.x or 3.x (from your package manager, conda-forge or a source build) and set ONEDNN_ROOT to its prefix';
    case 'compiler': return 'install a C++ compiler (g++ or clang), make and python3';
    case 'chromium': return 'install Chromium (the browser tests drive /usr/bin/chromium)';
    case 'redis': return 'install Redis 6.2 or newer';
  }
}

/**
 * The sentence after a missing fast backend: install oneDNN where it is missing, then build the
 * addon (or install the backend package where it is missing).
 */
export function onednnFix(system: Pick<SystemInfo, 'packageManager' | 'sudo' | 'platform'>, state: { onednnFound: boolean; packageMissing?: boolean }): string {
  const build = state.packageMissing ? 'npm install tfjs-backend-onednn' : 'npx gantry doctor --build-backend';
  return state.onednnFound ? `to get it: ${build}` : `to get it: ${installCommand('onednn', system)}, then: ${build}`;
}
