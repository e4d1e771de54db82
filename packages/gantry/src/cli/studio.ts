import { UsageError } from 'gantry-core/errors.js';
import { startStudio } from '../studio/server.js';
import { writeStudioSite } from '../studio/staticSite.js';
import { untilSignal } from '../util/shutdown.js';
import { intFlag, parseFlags, stringFlag } from './args.js';

/** The studio's port unless --port says otherwise. */
export const defaultStudioPort = 6070;

export const studioHelp = `gantry studio [options]

Serve Gantry Studio: a page that trains a GAN in the browser, on the built-in image sets
(MNIST, Fashion-MNIST, the Google and Twitter emoji, the same images 'gantry train' loads) or
on a folder of the user's own images, which never leave the browser. Works offline.

  --port N        port to listen on (default ${defaultStudioPort}; 0 takes any free port)
  --host ADDR     address to listen on (default 127.0.0.1, this machine only)
  --static DIR    write the page and every data set into DIR for any static web host, and exit;
                  DIR must be new, empty, or an earlier studio build (which is replaced whole)`;

export async function studioCommand(argv: string[]): Promise<void> {
  const v = parseFlags('studio', argv, {
    port: { type: 'string' }, host: { type: 'string' }, static: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(studioHelp);
    return;
  }
  const dir = stringFlag(v, 'static');
  if (dir !== undefined) {
    if (v.port !== undefined || v.host !== undefined) throw new UsageError('--static writes files and starts no server; drop --port and --host');
    const { files } = await writeStudioSite(dir);
    console.error(`gantry studio: wrote ${files.length} files to ${dir}; serve that folder with any static web server`);
    return;
  }
  const port = intFlag(v, 'port', 0, 65535) ?? defaultStudioPort;
  const studio = await startStudio({ port, host: stringFlag(v, 'host') });
  // listen for the signals before saying the server is up, so a signal sent on that line finds them
  const stopped = untilSignal();
  console.error(`gantry studio: ${studio.url}; Ctrl-C to stop`);
  await stopped;
  await studio.close();
}
