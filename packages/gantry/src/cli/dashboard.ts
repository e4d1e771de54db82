import { startDashboard } from '../dashboard/server.js';
import { untilSignal } from '../util/shutdown.js';
import { intFlag, parseFlags, stringFlag } from './args.js';

/** The dashboard's port unless --port says otherwise. */
export const defaultDashboardPort = 6060;

export const dashboardHelp = `gantry dashboard [options]

Watch every run under a folder in the browser, live: the run list with states, each run's
metrics as charts, its sample grids with a step slider, its config and checkpoints, and runs
compared side by side. Read-only; works offline.

  --root DIR      the folder holding run directories (default runs)
  --port N        port to listen on (default ${defaultDashboardPort}; 0 takes any free port)
  --host ADDR     address to listen on (default 127.0.0.1, this machine only)`;

export async function dashboardCommand(argv: string[]): Promise<void> {
  const v = parseFlags('dashboard', argv, {
    root: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(dashboardHelp);
    return;
  }
  const root = stringFlag(v, 'root') ?? 'runs';
  const port = intFlag(v, 'port', 0, 65535) ?? defaultDashboardPort;
  const dashboard = await startDashboard({ root, port, host: stringFlag(v, 'host'), rootName: '--root' });
  // listen for the signals before saying the server is up, so a signal sent on that line finds them
  const stopped = untilSignal();
  console.error(`gantry dashboard: ${dashboard.url} (runs under ${dashboard.index.rootReal}); Ctrl-C to stop`);
  await stopped;
  await dashboard.close();
}
