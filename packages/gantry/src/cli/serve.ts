import { Hono } from 'hono';
import { UsageError } from '../errors.js';
import { confinedFile, listen, pathAfter, sendConfinedFile, servedRoot } from '../serve/http.js';
import { intFlag, parseFlags } from './args.js';

export const serveHelp = `gantry serve OUTDIR [--port N]

Serve an export (from 'gantry export') on 127.0.0.1, so that its page can load the model
(browsers refuse to fetch files from file:// pages). Stop with Ctrl-C.

  --port N   the port (default 8080; 0 takes any free port)`;

/** The export folder as a static site: '/' is index.html; every file through the one confinement rule. */
export function exportSite(rootReal: string): Hono {
  const app = new Hono();
  app.get('*', (c) => {
    const path = pathAfter(c, '/') ?? '';
    if (path === '' || path.endsWith('/')) return sendConfinedFile(c, rootReal, `${path}index.html`);
    // a folder named without its slash: send the browser to the folder, so that the page's
    // relative links (model/, gantry.json) resolve inside it
    if (confinedFile(rootReal, path) === null && confinedFile(rootReal, `${path}/index.html`) !== null) {
      const url = new URL(c.req.url);
      return c.redirect(`${url.pathname}/${url.search}`, 301);
    }
    return sendConfinedFile(c, rootReal, path);
  });
  return app;
}

export async function serveCommand(argv: string[]): Promise<void> {
  // The folder is the one argument that is neither a flag nor --port's value.
  const folders: string[] = [];
  const flags: string[] = [];
  argv.forEach((a, i) => (!a.startsWith('-') && argv[i - 1] !== '--port' ? folders : flags).push(a));
  const v = parseFlags('serve', flags, {
    port: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(serveHelp);
    return;
  }
  if (folders.length !== 1) throw new UsageError(`gantry serve needs one folder, an export made by 'gantry export' (got ${folders.length})`);
  const root = servedRoot(folders[0]!, 'export folder');
  const port = intFlag(v, 'port', 0, 65535) ?? 8080;
  const server = await listen(exportSite(root), { port, command: 'serve' });
  console.log(`gantry: serving ${root} at ${server.url} (Ctrl-C stops)`);
  await new Promise<void>((resolvePromise) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolvePromise);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
