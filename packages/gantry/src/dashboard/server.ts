import { listen, servedRoot, type RunningServer } from '../serve/http.js';
import { RunIndex } from './runIndex.js';
import { dashboardRoutes } from './routes.js';

export interface DashboardOptions {
  root: string;
  port: number;
  host?: string;
  /** The command named in messages (`dashboard`, or `train` for `train --dashboard`). */
  command?: string;
  /** How messages name the root (`--root`). */
  rootName?: string;
}

export interface RunningDashboard extends RunningServer {
  index: RunIndex;
}

/** Serve the dashboard of every run under `root`; a missing root or a busy port is a usage error. */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const rootReal = servedRoot(options.root, options.rootName ?? 'the runs folder');
  const index = new RunIndex(rootReal);
  index.start();
  try {
    const loopbackOnly = options.host === undefined || ['127.0.0.1', 'localhost', '::1'].includes(options.host);
    const server = await listen(dashboardRoutes(index, { loopbackOnly }), { port: options.port, host: options.host, command: options.command ?? 'dashboard' });
    return {
      ...server,
      index,
      close: async () => {
        index.close();
        await server.close();
      },
    };
  } catch (e) {
    index.close();
    throw e;
  }
}
