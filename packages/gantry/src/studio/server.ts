import { listen, type RunningServer } from '../serve/http.js';
import { StudioSetCache } from './dataSets.js';
import { studioRoutes } from './routes.js';

export interface StudioOptions {
  port: number;
  host?: string;
}

/** Serve the studio page and its data sets; a busy port is a usage error. */
export async function startStudio(options: StudioOptions, sets = new StudioSetCache()): Promise<RunningServer> {
  const loopbackOnly = options.host === undefined || ['127.0.0.1', 'localhost', '::1'].includes(options.host);
  return listen(studioRoutes(sets, { loopbackOnly }), { port: options.port, host: options.host, command: 'studio' });
}
