// oneDNN's generated gemm kernels move the stack register into the heap while they run, so a
// signal taken inside one used to corrupt the heap (Ctrl-C, SIGTERM or a profiler's SIGPROF
// during training could crash the process a little later). The addon holds asynchronous
// signals while it is inside such kernels and OpenMP regions. Here a child trains through
// matrix products and convolutions while this process sends it SIGUSR2 many thousand times a
// second: it must handle them and finish cleanly. Before the fix it died within a second.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const child = join(dirname(fileURLToPath(import.meta.url)), 'signal_child.js');

async function underSignalStorm(threads: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  const proc = spawn(process.execPath, [child, String(threads), '2'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let storm: NodeJS.Timeout | undefined;
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (storm === undefined && out.includes('ready\n')) {
      storm = setInterval(() => {
        for (let i = 0; i < 25; i++) {
          try {
            process.kill(proc.pid!, 'SIGUSR2');
          } catch {
            // already gone: the exit check below says how
          }
        }
      }, 1);
    }
    if (/ok \d+ \d+\n/.test(out)) {
      clearInterval(storm);
      // let the last signals drain before asking it to exit
      setTimeout(() => proc.stdin.end(), 200);
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.on('exit', (c, s) => resolve([c, s])));
  clearInterval(storm);
  return { code, signal, out, err };
}

for (const threads of [1, 2]) {
  test(`signals arriving during gemm and convolution kernels leave the heap intact (${threads} thread${threads > 1 ? 's' : ''})`, { timeout: 60000 }, async () => {
    const r = await underSignalStorm(threads);
    assert.equal(r.signal, null, `the child died of ${r.signal}: ${r.err.slice(-400)}`);
    assert.equal(r.code, 0, r.err.slice(-400));
    const m = /ok (\d+) (\d+)/.exec(r.out);
    assert.ok(m, `no result line: ${r.out}`);
    assert.ok(Number(m[1]) > 5, `only ${m[1]} iterations ran`);
    assert.ok(Number(m[2]) > 100, `only ${m[2]} signals were handled; the storm did not reach the child`);
  });
}
