import { SettingError } from 'tfjs-backend-onednn/environment';

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

/** True for errors the CLI reports as bad input (exit code 2): a UsageError, or a GANTRY_* variable's bad value. */
export function isUsageError(e: unknown): e is UsageError | SettingError {
  return e instanceof UsageError || e instanceof SettingError;
}
