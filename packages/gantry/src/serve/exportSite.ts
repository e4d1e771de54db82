import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import { UsageError } from 'gantry-core/errors.js';
import { checkExportManifest } from 'gantry-core/export/format.js';
import { confinedFile, confinedFolder, pathAfter, sendConfinedFile } from './http.js';

/** What `gantry serve` serves: one export at '/', or a folder whose subfolders are exports, each at '/NAME/'. */
export type ExportLayout = 'export' | 'folder of exports';

/** Why the folder `dirReal` is not an export (no gantry.json, or one that is not valid), or null when it is one. */
export function exportProblem(dirReal: string): string | null {
  let text: string;
  try {
    text = readFileSync(join(dirReal, 'gantry.json'), 'utf8');
  } catch {
    return 'no gantry.json';
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'its gantry.json is not valid JSON';
  }
  try {
    checkExportManifest(json, 'its gantry.json');
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * How to serve the folder `dirReal` (given on the command line as `dir`): an export, or a folder
 * holding at least one export. Anything else is a usage error that says how to make an export,
 * so that a run directory or a folder such as /tmp is never put on the network by a slip.
 */
export function exportLayout(dir: string, dirReal: string): ExportLayout {
  const problem = exportProblem(dirReal);
  if (problem === null) return 'export';
  const hasManifest = existsSync(join(dirReal, 'gantry.json'));
  if (!hasManifest) {
    let names: string[] = [];
    try {
      names = readdirSync(dirReal).filter((n) => !n.startsWith('.'));
    } catch {
      // an unreadable folder holds no export that could be served
    }
    if (names.some((n) => servedExport(dirReal, encodeURIComponent(n)) !== null)) return 'folder of exports';
  }
  const isRun = existsSync(join(dirReal, 'config.json')) && existsSync(join(dirReal, 'checkpoints'));
  const why = hasManifest ? problem : isRun ? 'a run directory: no gantry.json' : 'no valid gantry.json in it or in its subfolders';
  throw new UsageError(`'${dir}' is not an export (${why}); make one with 'gantry export --run ${isRun ? dir : 'RUN'} --out DIR', then serve DIR`);
}

/** The export folder that the URL segment `segment` names inside `rootReal`, or null. */
function servedExport(rootReal: string, segment: string): string | null {
  const folder = segment === '' ? null : confinedFolder(rootReal, segment);
  return folder !== null && exportProblem(folder) === null ? folder : null;
}

/** Send the browser to the folder: a page's relative links (model/, gantry.json) then resolve inside it. */
function toFolder(c: Context): Response {
  const url = new URL(c.req.url);
  return c.redirect(`${url.pathname}/${url.search}`, 301);
}

/**
 * The export (or folder of exports) as a static site: a folder's page is its index.html, a folder
 * named without its slash redirects to it, and every file goes through the one confinement rule of
 * serve/http.ts. In a folder of exports only the exports are reachable, each confined to itself.
 */
export function exportSite(rootReal: string, layout: ExportLayout): Hono {
  const app = new Hono();
  app.get('*', (c) => {
    let folder = rootReal;
    let path = pathAfter(c, '/') ?? '';
    if (layout === 'folder of exports') {
      const slash = path.indexOf('/');
      const found = servedExport(rootReal, slash < 0 ? path : path.slice(0, slash));
      if (found === null) return c.text('not found', 404);
      if (slash < 0) return toFolder(c);
      folder = found;
      path = path.slice(slash + 1);
    }
    if (path === '' || path.endsWith('/')) return sendConfinedFile(c, folder, `${path}index.html`);
    if (confinedFile(folder, path) === null && confinedFolder(folder, path) !== null) return toFolder(c);
    return sendConfinedFile(c, folder, path);
  });
  return app;
}
