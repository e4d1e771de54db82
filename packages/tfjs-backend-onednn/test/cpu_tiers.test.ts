// The CPU tiers of the backend's own kernels (native/cpu_tier.h): the addon runs the best tier
// this CPU has, GANTRY_CPU_ISA caps it (and oneDNN's kernels with it), a value that is no tier
// stops the addon from loading with a sentence that names the allowed ones, each tier takes the
// layers it was measured to run faster than oneDNN, and no code compiled for a tier can stand in
// for the rest of the addon's.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { addonPath, nativeAddon, type CpuTier } from '../src/addon.js';
import { onednnCpuTier } from '../src/index.js';
import { cpuTiersHere, ensureBackend, runInChild } from './parity.js';

before(ensureBackend);

/** The best tier this CPU has, from the flags Linux lists for it ('generic' elsewhere). */
function bestTierFromCpuinfo(): CpuTier {
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((line) => line.startsWith('flags')) ?? '';
  } catch {
    return 'generic';
  }
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  if (['avx512f', 'avx512dq', 'avx512vl', 'avx512bw', 'avx2', 'fma'].every(has)) return 'avx512';
  return has('avx2') && has('fma') ? 'avx2' : 'generic';
}

const ORDER: CpuTier[] = ['generic', 'avx2', 'avx512'];

test('the addon runs the best tier this CPU has, or GANTRY_CPU_ISA\'s if that is lower', () => {
  const best = process.arch === 'x64' ? bestTierFromCpuinfo() : 'generic';
  const cap = process.env.GANTRY_CPU_ISA?.toLowerCase() as CpuTier | undefined;
  const want = cap !== undefined && ORDER.indexOf(cap) < ORDER.indexOf(best) ? cap : best;
  assert.equal(onednnCpuTier(), want);
  assert.equal(nativeAddon().cpuTier(), want);
});

test('GANTRY_CPU_ISA caps the tier, in any letter case; a cap above the CPU\'s tier leaves it', () => {
  const here = cpuTiersHere();
  for (const tier of here) {
    const value = tier === 'avx2' ? 'AVX2' : tier;
    assert.equal(runInChild<string>('console.log(JSON.stringify(nativeAddon().cpuTier()))', { GANTRY_CPU_ISA: value }), tier);
  }
  const top = here[here.length - 1]!;
  assert.equal(runInChild<string>('console.log(JSON.stringify(nativeAddon().cpuTier()))', { GANTRY_CPU_ISA: 'avx512' }), top);
});

test('a GANTRY_CPU_ISA that is no tier keeps the addon from loading, with the allowed values', () => {
  const script = `
    import { onednnCpuTier, onednnStatus } from '../src/index.js';
    console.log(JSON.stringify({ status: onednnStatus(), tier: onednnCpuTier() }));
  `;
  const here = fileURLToPath(new URL('.', import.meta.url));
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script],
    { cwd: here, env: { ...process.env, GANTRY_CPU_ISA: 'avx3' }, encoding: 'utf8' })) as
    { status: { ok: boolean; reason: string; hint: string }; tier: string | null };
  assert.equal(out.status.ok, false);
  assert.equal(out.status.reason, 'GANTRY_CPU_ISA is "avx3", which is not a CPU tier (avx512, avx2 or generic)');
  assert.match(out.status.hint, /unset it/);
  assert.equal(out.tier, null);
});

// oneDNN's name for the kernel of a 64-channel 3x3 forward convolution, run in a child with `env`.
const onednnKernel = (env: NodeJS.ProcessEnv) => runInChild<string>(`
  const info = tf.backend_util.computeConv2DInfo([2, 8, 8, 64], [3, 3, 64, 64], 1, 1, 'same');
  tf.conv2d(randomTensor([2, 8, 8, 64], 1), randomTensor([3, 3, 64, 64], 2), 1, 'same').dataSync();
  console.log(JSON.stringify(nativeAddon().conv2dImplementation(0, convGeometry(info), 0, 0, 0)));
`, { ONEDNN_MAX_CPU_ISA: undefined, DNNL_MAX_CPU_ISA: undefined, ...env });

test('GANTRY_CPU_ISA caps oneDNN\'s kernels at the same level, unless ONEDNN_MAX_CPU_ISA is set', (t) => {
  const here = cpuTiersHere();
  if (process.arch !== 'x64' || here.length < 2) {
    t.skip('one tier here: there is nothing below it to cap oneDNN to');
    return;
  }
  const top = here[here.length - 1]!;
  const below = here[here.length - 2]!;
  // oneDNN's names end in its ISA: avx512_core, avx2, sse41
  const isaOf = (name: string) => (/avx512/.test(name) ? 'avx512' : /avx2/.test(name) ? 'avx2' : 'generic');
  assert.equal(isaOf(onednnKernel({ GANTRY_CPU_ISA: undefined })), top);
  const capped = onednnKernel({ GANTRY_CPU_ISA: below });
  assert.equal(isaOf(capped), below, `GANTRY_CPU_ISA=${below}: ${capped}`);
  const uncapped = onednnKernel({ GANTRY_CPU_ISA: below, ONEDNN_MAX_CPU_ISA: 'ALL' });
  assert.equal(isaOf(uncapped), top, `GANTRY_CPU_ISA=${below} ONEDNN_MAX_CPU_ISA=ALL: ${uncapped}`);
});

test('each tier takes by default the layers it was measured to run faster than oneDNN', () => {
  // few input channels (dcgan-mnist's 1-to-64 layer), few outputs (16 to 3), and a strided
  // layer with 64 and 128 channels; '' is the few-channel kernels' name (not oneDNN's)
  const body = `
    const run = (x, k, cout, stride) => {
      const info = tf.backend_util.computeConv2DInfo(x, [k, k, x[3], cout], stride, 1, 'same');
      tf.grads((a, f) => tf.sum(tf.conv2d(a, f, stride, 'same')))([randomTensor(x, 1), randomTensor([k, k, x[3], cout], 2)]);
      return [0, 1, 2].map((kind) => nativeAddon().conv2dImplementation(kind, convGeometry(info), 0, 0, 0));
    };
    console.log(JSON.stringify({ fewIn: run([2, 12, 12, 1], 4, 64, 2), fewOut: run([2, 9, 8, 16], 3, 3, 1), tiled: run([2, 14, 14, 64], 4, 128, 2) }));
  `;
  for (const tier of cpuTiersHere()) {
    const got = runInChild<{ fewIn: string[]; fewOut: string[]; tiled: string[] }>(body,
      { GANTRY_CPU_ISA: tier, GANTRY_FEW_CHANNEL_KERNELS: undefined, GANTRY_TILED_CONV: undefined });
    // the input gradient of a layer with one input channel never reaches oneDNN (conv.cc's sgemm path)
    assert.equal(got.fewIn[1], '', `${tier}: ${got.fewIn}`);
    if (tier === 'avx2') {
      assert.ok(got.fewIn[0] !== '' && got.fewIn[2] !== '', `avx2 leaves few input channels to oneDNN: ${got.fewIn}`);
    } else {
      assert.deepEqual([got.fewIn[0], got.fewIn[2]], ['', ''], `${tier}: ${got.fewIn}`);
    }
    assert.deepEqual([got.fewOut[0], got.fewOut[2]], ['', ''], `${tier}: ${got.fewOut}`);
    assert.deepEqual([got.tiled[1], got.tiled[2]], [`tiled:${tier}`, `tiled:${tier}`], `${tier}: ${got.tiled}`);
  }
});

test('the tier kernels\' objects define nothing outside their tier\'s namespace but its two tables', (t) => {
  // An inline function or template compiled with a tier's flags and linked under a shared name
  // could be the copy the whole addon calls, AVX-512 instructions included (native/simd.h).
  const objects = path.join(path.dirname(addonPath()), 'obj.target');
  const libraries = existsSync(objects) ? readdirSync(objects).filter((f) => /^kernels_\w+\.a$/.test(f)).sort() : [];
  let nm = true;
  try {
    execFileSync('nm', ['--version'], { stdio: 'ignore' });
  } catch {
    nm = false;
  }
  if (libraries.length === 0 || !nm) {
    t.skip(libraries.length === 0 ? `no tier libraries under ${objects}` : 'nm is not installed');
    return;
  }
  assert.deepEqual(libraries, process.arch === 'x64' ? ['kernels_avx2.a', 'kernels_avx512.a', 'kernels_generic.a'] : ['kernels_generic.a']);
  for (const library of libraries) {
    const tier = library.slice('kernels_'.length, -'.a'.length);
    const symbols = execFileSync('nm', ['-C', '--defined-only', path.join(objects, library)], { encoding: 'utf8' }).split('\n')
      // global, weak and unique symbols: what the linker may merge with another object's
      .filter((line) => /^[0-9a-f]+ [A-Zuvw] /.test(line))
      .map((line) => line.slice(line.indexOf(' ') + 3));
    assert.deepEqual(symbols.sort(), [`onednn_addon::tier_${tier}::kFewChannelKernels`, `onednn_addon::tier_${tier}::kTiledKernels`]);
  }
});
