import type { StopSource } from 'gantry-core/train/loop.js';

/** The first SIGINT or SIGTERM asks the loop to checkpoint and stop; a second one exits at once. */
export class StopOnSignal implements StopSource {
  signal: NodeJS.Signals | null = null;
  private readonly handler = (sig: NodeJS.Signals) => {
    if (this.signal) process.exit(sig === 'SIGINT' ? 130 : 143);
    this.signal = sig;
  };

  constructor() {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  requested(): string | null {
    return this.signal;
  }

  /** Lets the signal handlers run (between steps). */
  async between(): Promise<void> {
    await new Promise((r) => setImmediate(r));
  }

  dispose(): void {
    process.removeListener('SIGINT', this.handler);
    process.removeListener('SIGTERM', this.handler);
  }
}
