import { UsageError } from 'gantry-core/errors.js';
import { exportLayout, exportSite } from '../serve/exportSite.js';
import { listen, servedRoot } from '../serve/http.js';
import { intFlag, parseFlags } from './args.js';

export const serveHelp = `gantry serve OUTDIR [--port N]

Serve an export (from 'gantry export') on 127.0.0.1, so that its page can load the model
(browsers refuse to fetch files from file:// pages). Stop with Ctrl-C. OUTDIR may also be a
folder of exports: each is then served at /NAME/, and nothing else in the folder is. Any other
folder (a run directory, say) is refused.

  --port N   the port (default 8080; 0 takes any free port)`;

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
  const layout = exportLayout(folders[0]!, root);
  const port = intFlag(v, 'port', 0, 65535) ?? 8080;
  const server = await listen(exportSite(root, layout), { port, command: 'serve' });
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
