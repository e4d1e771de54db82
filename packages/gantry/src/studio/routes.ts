import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Hono } from 'hono';
import { contentTypes } from '../serve/http.js';
import { DATA_FILE_EXTENSION } from 'gantry-core/data/gdsFormat.js';
import { dataIndex, STUDIO_SETS, type StudioSetCache } from './dataSets.js';
import { missingPageFiles, notBuiltMessage, studioPageFiles } from './pageFiles.js';

/** The data files' content type: bytes that only the page reads. */
export const dataFileType = 'application/octet-stream';

const loopbackNames = new Set(['127.0.0.1', 'localhost', '[::1]']);
const headers = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };

/**
 * The studio's routes, all GET and read-only:
 * - `/` (and `/index.html`): the page; `/studio.js`, `/studio.css` and their maps: its bundle
 * - `/preview/`: the export page and its binaries, for the Preview button (pageFiles.ts)
 * - `/data/index.json`: the sets on offer (building every one the first time)
 * - `/data/<name>.gds`: one set in the studio's data file format (gantry-core's data/gdsFormat.ts)
 * The page fetches everything by relative URL, so the same files work from a `--static` folder.
 */
export function studioRoutes(sets: StudioSetCache, options: { loopbackOnly?: boolean } = {}): Hono {
  const app = new Hono();
  if (options.loopbackOnly !== false) {
    // A page on another site could reach a server on 127.0.0.1 under its own name (DNS rebinding);
    // a request must name this machine.
    app.use(async (c, next) => {
      const host = (c.req.header('host') ?? '').replace(/:\d+$/, '').toLowerCase();
      if (!loopbackNames.has(host)) return c.text('forbidden: open the studio as 127.0.0.1 or localhost', 403);
      await next();
    });
  }

  const files = studioPageFiles();
  for (const file of files) {
    const paths = file.name.endsWith('index.html') ? [`/${file.name.slice(0, -'index.html'.length)}`, `/${file.name}`] : [`/${file.name}`];
    for (const path of paths) {
      app.get(path, (c) => {
        // checked per request: a page built after the server started shows on reload
        if (missingPageFiles(files).length > 0) return c.text(notBuiltMessage, 503, headers);
        if (!existsSync(file.from)) return c.text('not found', 404);
        return c.body(readFileSync(file.from), 200, { ...headers, 'content-type': contentTypes[extname(file.name)]! });
      });
    }
  }

  app.get('/data/index.json', async (c) => {
    try {
      const all = await sets.all();
      const body = JSON.stringify(dataIndex(all.map((b) => b.entry)), null, 2) + '\n';
      return c.body(body, 200, { ...headers, 'content-type': contentTypes['.json']! });
    } catch (e) {
      return c.text(`cannot build the data sets: ${(e as Error).message}`, 500, headers);
    }
  });

  for (const set of STUDIO_SETS) {
    app.get(`/data/${set.name}${DATA_FILE_EXTENSION}`, async (c) => {
      let file: Uint8Array;
      try {
        file = (await sets.get(set.name)!).file;
      } catch (e) {
        return c.text(`cannot build ${set.name}: ${(e as Error).message}`, 500, headers);
      }
      return c.body(file, 200, { ...headers, 'content-type': dataFileType, 'content-length': String(file.length) });
    });
  }
  return app;
}
