import { createReadStream, realpathSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import type { Context, Hono } from 'hono';
import { UsageError } from 'gantry-core/errors.js';

/**
 * The one HTTP layer of Gantry: `gantry serve`, `gantry dashboard` and `gantry studio` build a Hono
 * app and hand it to `listen`; files from a user's folder are served only through `sendConfinedFile`,
 * so the rule that keeps a request inside its folder lives in exactly one place (the studio serves
 * only a fixed list of its own files, and data it builds in memory).
 */

/** Content types of the files Gantry serves. A file of any other type is never served. */
export const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.bin': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The real path of what the URL path `urlPath` (still percent-encoded, as on the wire) names under
 * `rootReal` (an already real, absolute folder), or null when the request must not reach it: a path
 * that does not decode, holds a NUL byte or a backslash, has a `.` or `..` segment (encoded or not),
 * does not exist, or resolves (after following symlinks) to anything outside the root.
 */
function confinedPath(rootReal: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.')) return null;
  let real: string;
  try {
    real = realpathSync(join(rootReal, ...segments));
  } catch {
    return null;
  }
  if (real !== rootReal && !real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)) return null;
  return real;
}

function isKind(path: string, kind: 'file' | 'folder'): boolean {
  try {
    const stat = statSync(path);
    return kind === 'file' ? stat.isFile() : stat.isDirectory();
  } catch {
    return false;
  }
}

/** The file that `urlPath` names under `rootReal` by the rule of `confinedPath`, or null (also for anything but a file). */
export function confinedFile(rootReal: string, urlPath: string): string | null {
  const real = confinedPath(rootReal, urlPath);
  return real !== null && isKind(real, 'file') ? real : null;
}

/** The folder that `urlPath` names under `rootReal` (the root itself for an empty path) by the same rule, or null. */
export function confinedFolder(rootReal: string, urlPath: string): string | null {
  const real = confinedPath(rootReal, urlPath);
  return real !== null && isKind(real, 'folder') ? real : null;
}

/** The real path of a folder to serve from; a missing root or a file is a usage error. */
export function servedRoot(dir: string, what: string): string {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    throw new UsageError(`${what} '${dir}' does not exist; give an existing folder`);
  }
  if (!statSync(real).isDirectory()) throw new UsageError(`${what} '${dir}' is not a folder; give a folder`);
  return real;
}

/** The raw (still percent-encoded) path of a request, after `prefix`, or null when it lies elsewhere. */
export function pathAfter(c: Context, prefix: string): string | null {
  // The raw URL, not c.req.path: the latter is already partly decoded, and decoding twice would
  // turn `%252e` into `.`.
  const raw = new URL(c.req.url).pathname;
  if (!raw.startsWith(prefix)) return null;
  return raw.slice(prefix.length);
}

/**
 * Respond with the file `urlPath` names under `rootReal`, or 404. Only the types in `contentTypes`
 * (further narrowed by `allowed`, a list of extensions) are served. No caching: the files of a run
 * change while it trains.
 */
export function sendConfinedFile(c: Context, rootReal: string, urlPath: string, allowed?: readonly string[]): Response {
  const file = confinedFile(rootReal, urlPath);
  const type = file ? contentTypes[extname(file).toLowerCase()] : undefined;
  if (!file || !type || (allowed && !allowed.includes(extname(file).toLowerCase()))) {
    return c.text('not found', 404);
  }
  const size = statSync(file).size;
  const body = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream;
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': type,
      'content-length': String(size),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    },
  });
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:8080/` */
  url: string;
  port: number;
  close(): Promise<void>;
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Start serving `app` on `host:port` (port 0: any free port). Binds 127.0.0.1 unless told
 * otherwise, and then warns in one line. A port in use is a usage error that suggests --port.
 */
export async function listen(app: Hono, options: { port: number; host?: string; command: string }): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!loopbackHosts.has(host)) {
    console.error(`gantry ${options.command}: warning: listening on ${host}, not only on this machine; anyone who can reach it can read what it serves`);
  }
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') {
        reject(new UsageError(`port ${options.port} on ${host} is in use; choose another with --port N (--port 0 takes any free port)`));
      } else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EACCES') {
        reject(new UsageError(`cannot listen on ${host}:${options.port} (${e.code}); give another --host or --port`));
      } else {
        reject(e);
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, host);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Open event streams would hold the server open forever.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
