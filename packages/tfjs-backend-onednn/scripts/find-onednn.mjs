#!/usr/bin/env node
// Finds oneDNN for the native build, the way native packages usually find their libraries:
// ONEDNN_ROOT when it is set, then pkg-config (dnnl or onednn), then the usual prefixes (an
// active conda environment, /usr, /usr/local, Homebrew's, Intel oneAPI's). binding.gyp calls it
// for its include and linker flags; `gantry doctor` imports findOnednn() to report what it found.
//
//   node scripts/find-onednn.mjs include   include directories, one per word ('' for system ones)
//   node scripts/find-onednn.mjs libs      linker flags
//   node scripts/find-onednn.mjs json      everything found, as JSON
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HEADER = path.join('oneapi', 'dnnl', 'dnnl.hpp');
const SYSTEM_INCLUDES = new Set(['/usr/include', '/usr/local/include']);

/** The version in a dnnl_version.h beside the header, as 'major.minor.patch', or null. */
function headerVersion(includeDir) {
  for (const file of [path.join(includeDir, 'oneapi', 'dnnl', 'dnnl_version.h'), path.join(includeDir, 'dnnl_version.h')]) {
    try {
      const text = readFileSync(file, 'utf8');
      const part = (name) => text.match(new RegExp(`#define\\s+DNNL_VERSION_${name}\\s+(\\d+)`))?.[1];
      if (part('MAJOR') !== undefined) return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
    } catch {
      // try the next place
    }
  }
  return null;
}

function libDirOf(prefix) {
  const multiarch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : process.arch === 'x64' ? 'x86_64-linux-gnu' : '';
  const dirs = [path.join(prefix, 'lib'), path.join(prefix, 'lib64')];
  if (multiarch) dirs.unshift(path.join(prefix, 'lib', multiarch));
  return dirs.find((d) => ['libdnnl.so', 'libdnnl.dylib', 'libdnnl.a', 'dnnl.lib'].some((f) => existsSync(path.join(d, f)))) ?? null;
}

function fromPrefix(prefix, how) {
  const include = path.join(prefix, 'include');
  if (!existsSync(path.join(include, HEADER))) return null;
  const libDir = libDirOf(prefix);
  if (!libDir) return null;
  const system = SYSTEM_INCLUDES.has(include);
  return {
    how,
    prefix,
    version: headerVersion(include),
    include: system ? [] : [include],
    libs: system ? ['-ldnnl'] : [`-L${libDir}`, `-Wl,-rpath,${libDir}`, '-ldnnl'],
  };
}

function fromPkgConfig() {
  for (const name of ['dnnl', 'onednn']) {
    try {
      const run = (flag) => execFileSync('pkg-config', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      const cflags = run('--cflags-only-I').split(/\s+/).filter(Boolean).map((f) => f.replace(/^-I/, ''));
      const libs = run('--libs').split(/\s+/).filter(Boolean);
      const include = cflags.find((d) => existsSync(path.join(d, HEADER))) ?? '/usr/include';
      if (!existsSync(path.join(include, HEADER))) continue;
      const libDir = libs.find((l) => l.startsWith('-L'))?.slice(2);
      return {
        how: `pkg-config ${name}`,
        prefix: path.dirname(include),
        version: headerVersion(include),
        include: cflags.filter((d) => !SYSTEM_INCLUDES.has(d)),
        libs: libDir ? [...libs, `-Wl,-rpath,${libDir}`] : libs,
      };
    } catch {
      // no pkg-config, or no such module
    }
  }
  return null;
}

/**
 * Where oneDNN is: { how, prefix, version, include, libs }, or { error } with a sentence that
 * says what was searched and how to point the build elsewhere.
 */
export function findOnednn(env = process.env) {
  const root = env.ONEDNN_ROOT;
  if (root) {
    const found = fromPrefix(path.resolve(root), 'ONEDNN_ROOT');
    if (found) return found;
    return { error: `ONEDNN_ROOT is ${root}, but ${path.join(root, 'include', HEADER)} and a libdnnl beside it in lib/ were not found there; point it at oneDNN's install prefix or unset it` };
  }
  const pkg = fromPkgConfig();
  if (pkg) return pkg;
  const prefixes = [env.CONDA_PREFIX, '/usr', '/usr/local', '/opt/homebrew', '/opt/homebrew/opt/onednn', '/usr/local/opt/onednn', '/opt/intel/oneapi/dnnl/latest'].filter(Boolean);
  for (const prefix of prefixes) {
    const found = fromPrefix(prefix, prefix === env.CONDA_PREFIX ? 'conda environment' : 'standard prefix');
    if (found) return found;
  }
  return { error: `oneDNN was not found (searched ONEDNN_ROOT, pkg-config, ${prefixes.join(', ')}; if it is installed elsewhere, set ONEDNN_ROOT to its prefix)` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const what = process.argv[2] ?? 'json';
  const found = findOnednn();
  if (what === 'json') {
    process.stdout.write(`${JSON.stringify(found)}\n`);
  } else if ('error' in found) {
    process.stderr.write(`tfjs-backend-onednn: ${found.error}\n`);
    process.exit(1);
  } else if (what === 'include') {
    process.stdout.write(`${found.include.join(' ')}\n`);
  } else if (what === 'libs') {
    process.stdout.write(`${found.libs.join(' ')}\n`);
  } else {
    process.stderr.write(`usage: find-onednn.mjs include|libs|json\n`);
    process.exit(2);
  }
}
