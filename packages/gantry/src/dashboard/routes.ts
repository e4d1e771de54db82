import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { pathAfter, sendConfinedFile } from '../serve/http.js';
import type { RunIndex } from './runIndex.js';
import type { IndexChange } from 'gantry-core/dashboard/wire.js';

/** Files of a run that the page may fetch: sample grids and the JSON the trainer writes. */
const runFileTypes = ['.png', '.json', '.jsonl'];
/** What the page's bundle consists of. */
const bundleTypes = ['.js', '.css', '.map'];
/** Points per series a chart gets by default, and at most. */
const defaultPoints = 2000;
const maxPoints = 20000;

/** The built browser code (packages/web/dist): found through the gantry-web package, or beside this package. */
export function webBundleDir(): string | null {
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(createRequire(import.meta.url).resolve('gantry-web/package.json')), 'dist'));
  } catch {
    // not installed as a package; try the checkout's layout
  }
  // dist/src/dashboard/ of packages/gantry, up to packages/, then web/dist
  candidates.push(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'web', 'dist'));
  for (const c of candidates) {
    if (existsSync(join(c, 'dashboard.js'))) return realpathSync(c);
  }
  return null;
}

const page = (title: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/static/dashboard.css">
<link rel="icon" href="data:,">
</head>
<body>
<div id="app"><p class="boot">Loading the dashboard…</p></div>
<script type="module" src="/static/dashboard.js"></script>
</body>
</html>
`;

const loopbackNames = new Set(['127.0.0.1', 'localhost', '[::1]']);

const notBuilt = `<!doctype html><meta charset="utf-8"><title>gantry dashboard</title>
<p>The dashboard's browser code is not built. Run <code>npm run build -w packages/web</code>, then reload.</p>`;

/**
 * The dashboard's HTTP routes; all read-only (GET only, nothing writes, deletes or runs).
 * - `/`: the page; `/static/*`: its bundle
 * - `/api/runs`: every run's summary; `/api/run?id=`: one run's details;
 *   `/api/metrics?id=&points=&key=&key=` (or `&keys=A,B`): its series, downsampled on the server
 * - `/api/events`: server-sent events, one per change the index sees
 * - `/files/<run>/...`: the run's own files (sample grids, config, checkpoint pointers), confined to the root
 */
export function dashboardRoutes(index: RunIndex, options: { title?: string; webDir?: string | null; loopbackOnly?: boolean } = {}): Hono {
  const app = new Hono();
  if (options.loopbackOnly !== false) {
    // A page on another site could reach a server on 127.0.0.1 under its own name (DNS rebinding);
    // a request must name this machine.
    app.use(async (c, next) => {
      const host = (c.req.header('host') ?? '').replace(/:\d+$/, '').toLowerCase();
      if (!loopbackNames.has(host)) return c.text('forbidden: open the dashboard as 127.0.0.1 or localhost', 403);
      await next();
    });
  }
  const webDir = options.webDir === undefined ? webBundleDir() : options.webDir;
  const title = options.title ?? 'gantry dashboard';
  const headers = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };

  app.get('/', (c) => c.html(webDir ? page(title) : notBuilt, webDir ? 200 : 503, headers));

  app.get('/static/*', (c) => {
    const rest = pathAfter(c, '/static/');
    if (rest === null || !webDir) return c.text('not found', 404);
    return sendConfinedFile(c, webDir, rest, bundleTypes);
  });

  app.get('/files/*', (c) => {
    const rest = pathAfter(c, '/files/');
    if (rest === null) return c.text('not found', 404);
    return sendConfinedFile(c, index.rootReal, rest, runFileTypes);
  });

  app.get('/api/runs', async (c) => {
    await index.ready;
    return c.json({ root: index.rootReal, runs: index.list() }, 200, headers);
  });

  app.get('/api/run', async (c) => {
    await index.ready;
    const run = index.runs.get(c.req.query('id') ?? '');
    if (!run) return c.json({ error: 'no such run' }, 404, headers);
    return c.json(run.detail(), 200, headers);
  });

  app.get('/api/metrics', async (c) => {
    await index.ready;
    const run = index.runs.get(c.req.query('id') ?? '');
    if (!run) return c.json({ error: 'no such run' }, 404, headers);
    await run.folder.metrics.update();
    const asked = Number(c.req.query('points') ?? defaultPoints);
    const points = Number.isInteger(asked) && asked >= 10 ? Math.min(asked, maxPoints) : defaultPoints;
    // the metrics to send: `key=A&key=B` (each whole, so a name may hold a comma) or `keys=A,B`; all when neither
    const named = [...(c.req.query('keys')?.split(',') ?? []), ...(c.req.queries('key') ?? [])].filter(Boolean);
    const keys = c.req.query('keys') === undefined && c.req.queries('key') === undefined ? undefined : named;
    return c.json(
      { id: run.id, lines: run.folder.metrics.lines, generation: run.folder.metrics.generation, series: run.downsampled(points, keys) },
      200,
      headers,
    );
  });

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      const queue: IndexChange[] = [];
      let wake: (() => void) | null = null;
      const onChange = (change: IndexChange) => {
        queue.push(change);
        wake?.();
      };
      index.on('change', onChange);
      let open = true;
      stream.onAbort(() => {
        open = false;
        wake?.();
      });
      try {
        await stream.writeSSE({ event: 'hello', data: JSON.stringify({ root: index.rootReal }) });
        while (open) {
          while (queue.length > 0 && open) {
            const change = queue.shift()!;
            await stream.writeSSE({ event: change.type, data: JSON.stringify(change) });
          }
          // a comment now and then keeps proxies and idle timers from closing the stream
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 15000).unref();
          });
          wake = null;
          if (open && queue.length === 0) await stream.write(': keep-alive\n\n');
        }
      } finally {
        index.off('change', onChange);
      }
    }),
  );

  app.notFound((c) => c.text('not found', 404));
  return app;
}
