import { Redis } from 'ioredis';
import { UsageError } from 'gantry-core/errors.js';

/** A Redis URL with any password hidden, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/** How long connecting may take before we call Redis unreachable (the CLI promises an answer within 5 s). */
const connectTimeoutMs = 3000;

/**
 * Connect to Redis for BullMQ and check it can hold a queue: reachable, and with
 * `maxmemory-policy noeviction` (any other policy lets Redis drop queue keys under memory
 * pressure, and jobs would vanish). Every failure is one UsageError line; the connection
 * returned retries forever, so a Redis restart later only pauses the caller.
 */
export async function connectQueueRedis(url: string): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`--redis must be a URL such as redis://127.0.0.1:6379, got '${url}'`);
  const shown = redactUrl(url);
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let lastError = '';
  probe.on('error', (e: Error & { code?: string }) => {
    lastError = e.code ?? e.message;
  });
  try {
    const info = await withTimeout(
      Promise.race([
        probe.connect().then(() => probe.info('memory')),
        // refused, unresolvable, not Redis: fail at the first error instead of waiting out the timeout
        new Promise<never>((_, reject) => probe.once('error', reject)),
      ]),
      connectTimeoutMs,
      'timed out',
    );
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
    if (policy && policy !== 'noeviction') {
      throw new UsageError(`Redis at ${shown} has maxmemory-policy ${policy}, which can drop queued runs; BullMQ needs noeviction (set 'maxmemory-policy noeviction' in redis.conf, or run CONFIG SET maxmemory-policy noeviction)`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot reach Redis at ${shown} (${lastError || (e as Error).message}); start redis-server there or fix --redis`);
  } finally {
    probe.disconnect();
  }
  // BullMQ's workers need maxRetriesPerRequest null: commands wait through a reconnect instead of failing
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  return connection;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what)), ms);
    }),
  ]);
}
