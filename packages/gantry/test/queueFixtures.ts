import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A free loopback port (the kernel picks it; a tiny window remains before redis-server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Debian's redis-server on a loopback port, its data (append-only file, fsynced on every
 * write) in `dir`, so it can be killed and started again without losing a job.
 */
export class RedisFixture {
  private process: ChildProcess | null = null;

  private constructor(readonly dir: string, readonly port: number, private readonly extraArgs: string[]) {}

  static async start(dir: string, extraArgs: string[] = []): Promise<RedisFixture> {
    const fixture = new RedisFixture(dir, await freePort(), extraArgs);
    await fixture.startProcess();
    return fixture;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async startProcess(): Promise<void> {
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--daemonize', 'no',
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction',
      ...this.extraArgs,
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    let output = '';
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const t0 = Date.now();
    while (true) {
      if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') {
          probe.disconnect();
          return;
        }
      } catch {
        // not up yet
      }
      probe.disconnect();
      if (Date.now() - t0 > 10000) throw new Error(`redis-server did not come up: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kill it (SIGKILL: no chance to write anything more) and wait for the exit. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * Kill it, leave it down for `downMs`, start it again on the same port and files. Down for a
   * while, the clients' reconnection attempts are refused (and reported) before it is back.
   */
  async restart(downMs = 0): Promise<void> {
    await this.kill();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.startProcess();
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}
