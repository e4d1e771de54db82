// --backend webgpu and --backend auto's view of WebGPU: what counts as a GPU, what is said when
// the packages or the adapter are missing (exit 2, one line), and the line that names the
// adapter a run took. The CLI cases check whichever holds here: an adapter or none.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { adapterFix, adapterName, isSoftwareAdapter, probeAdapter, type AdapterDescription } from '../src/webgpu/adapter.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gantry.js');
const probe = probeAdapter();
const here = probe.ok ? `adapter here: ${probe.name}${probe.software ? ' (software)' : ''}` : `no adapter here: ${probe.reason}`;

function gantry(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const info = (o: Partial<AdapterDescription>): AdapterDescription => ({ vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false, ...o });

test('software adapters (lavapipe, SwiftShader, WARP, a fallback adapter) are not GPUs; real ones are', () => {
  assert.equal(isSoftwareAdapter(info({ vendor: 'mesa', device: 'llvmpipe (LLVM 19.1.7, 256 bits)', description: 'llvmpipe (LLVM 19.1.7, 256 bits)' })), true);
  assert.equal(isSoftwareAdapter(info({ vendor: 'google', description: 'SwiftShader Device (Subzero)' })), true);
  assert.equal(isSoftwareAdapter(info({ description: 'Microsoft Basic Render Driver' })), true);
  assert.equal(isSoftwareAdapter(info({ vendor: 'nvidia', description: 'NVIDIA H100 80GB HBM3', isFallbackAdapter: true })), true);
  assert.equal(isSoftwareAdapter(info({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' })), false);
  assert.equal(isSoftwareAdapter(info({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' })), false);
  assert.equal(isSoftwareAdapter(info({ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' })), false);
  assert.equal(adapterName(info({ vendor: 'intel', architecture: 'xe-lpg' })), 'intel xe-lpg');
  assert.equal(adapterName(info({})), 'an unnamed adapter');
});

test('without an adapter, the fix names the Vulkan driver for the system, or Metal and Direct3D 12', () => {
  assert.equal(adapterFix({ platform: 'linux', packageManager: 'apt', sudo: true }), "install the GPU's Vulkan driver (NVIDIA's own driver, or Mesa's: sudo apt-get install mesa-vulkan-drivers libvulkan1), or use --backend onednn");
  assert.equal(adapterFix({ platform: 'linux', packageManager: 'dnf', sudo: false }), "install the GPU's Vulkan driver (NVIDIA's own driver, or Mesa's: dnf install mesa-vulkan-drivers vulkan-loader), or use --backend onednn");
  assert.equal(adapterFix({ platform: 'linux', packageManager: null, sudo: false }), "install the GPU's Vulkan driver (NVIDIA's own driver, or Mesa's), or use --backend onednn");
  assert.match(adapterFix({ platform: 'darwin', packageManager: 'brew', sudo: false }), /Metal/);
  assert.match(adapterFix({ platform: 'win32', packageManager: null, sudo: false }), /Direct3D 12/);
});

test(`--backend webgpu trains where Dawn has an adapter, naming it first; elsewhere it is exit 2 with one line (${here})`, () => {
  const r = gantry(['bench', '--preset', 'seed-mlp', '--steps', '2', '--warmup', '1', '--backend', 'webgpu', '--json']);
  if (!probe.ok) {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, probe.missing === 'package'
      ? /^gantry bench: --backend webgpu: the (webgpu|@tensorflow\/tfjs-backend-webgpu) package .*; install it with: npm install webgpu @tensorflow\/tfjs-backend-webgpu@4\.22\.0$/
      : /^gantry bench: --backend webgpu: Dawn found no WebGPU adapter .*; install the GPU's Vulkan driver .*, or use --backend onednn$/);
    return;
  }
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.split('\n')[0], `gantry: backend webgpu on ${probe.name}: ${probe.software ? 'a software adapter, slower than the CPU backends' : 'as asked'}`);
  const result = JSON.parse(r.stdout) as { backend: string; msPerStep: { median: number }; numTensorsGrowth: number };
  assert.equal(result.backend, 'webgpu');
  assert.ok(result.msPerStep.median > 0);
  assert.equal(result.numTensorsGrowth, 0);
});

test(`--backend auto passes over a software adapter and says so first; with no adapter it says nothing of WebGPU (${here})`, () => {
  const r = gantry(['bench', '--preset', 'seed-mlp', '--steps', '1', '--warmup', '0', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { backend: string };
  const first = r.stderr.split('\n')[0] ?? '';
  if (probe.ok && probe.software) {
    assert.notEqual(result.backend, 'webgpu');
    assert.equal(first, `gantry: backend ${result.backend}: the WebGPU adapter (${probe.name}) is software, not a GPU, so the CPU backends are faster (--backend webgpu takes it anyway)`);
  } else if (probe.ok) {
    assert.equal(result.backend, 'webgpu');
    assert.equal(first, `gantry: backend webgpu on ${probe.name}: a GPU, so --backend auto prefers it (--backend onednn trains on the CPU cores)`);
  } else {
    assert.notEqual(result.backend, 'webgpu');
    assert.doesNotMatch(r.stderr, /WebGPU|webgpu/);
  }
});

test(`on webgpu a resumed run repeats an uninterrupted one byte for byte: weights, optimizer state, metrics (${here})`, { skip: probe.ok ? false : `no WebGPU adapter here: ${probe.reason}` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-webgpu-resume-'));
  try {
    const run = (out: string, steps: number, resume: boolean) => {
      const r = gantry(['train', '--preset', 'dcgan-mnist', '--batch-size', '16', '--steps', String(steps), '--log-every', '1', '--checkpoint-every', '3', '--sample-every', '6',
        '--backend', 'webgpu', '--out', join(dir, out), '--quiet', ...(resume ? ['--resume'] : [])]);
      assert.equal(r.code, 0, r.stderr);
    };
    run('whole', 6, false);
    run('parts', 3, false);
    run('parts', 6, true);
    const weights = (out: string) => readFileSync(join(dir, out, 'checkpoints', 'step-000000006', 'weights.bin'));
    assert.ok(weights('whole').equals(weights('parts')), 'the checkpoints of step 6 differ');
    const comparable = (out: string) => readFileSync(join(dir, out, 'metrics.jsonl'), 'utf8').trim().split('\n')
      .map((l) => Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, unknown>).filter(([k]) => !k.startsWith('perf/') && !k.startsWith('time/'))));
    assert.deepEqual(comparable('parts'), comparable('whole'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
