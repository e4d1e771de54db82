// What a command leaves running that would keep Node's event loop alive after it is done (a
// GPU instance): each part registers how to let go of it, and the CLI lets go once the command
// has finished. Loads nothing itself, so commands without TF.js stay light.
const releases: Array<() => void> = [];

/** Registers `release`, run once after the command (in the reverse order of registration). */
export function releaseAtEnd(release: () => void): void {
  releases.push(release);
}

/** Runs the registered releases; one that throws does not stop the others. */
export function releaseAll(): void {
  while (releases.length > 0) {
    try {
      releases.pop()!();
    } catch {
      // the process is ending; nothing more to do about it
    }
  }
}

/**
 * Resolves at the first SIGINT or SIGTERM (then listens no more): how a server command waits to
 * close. Call it before saying the server is up, so that a signal sent on that line finds it.
 */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
