import { SettingError } from 'tfjs-backend-onednn/environment';
import { UsageError } from 'gantry-core/errors.js';

export { UsageError };

/** True for errors the CLI reports as bad input (exit code 2): a UsageError, or a GANTRY_* variable's bad value. */
export function isUsageError(e: unknown): e is UsageError | SettingError {
  return e instanceof UsageError || e instanceof SettingError;
}
