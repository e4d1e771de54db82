/**
 * A problem with what the user gave us (flags, config, data files, checkpoints, output paths).
 * The CLI prints `message` as one line on stderr and exits with code 2; no stack trace.
 * The message says what is wrong and how to fix it.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
