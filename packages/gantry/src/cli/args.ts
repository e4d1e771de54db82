import { parseArgs } from 'node:util';
import { UsageError } from 'gantry-core/errors.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Parse a command's flags strictly: unknown flags and stray arguments are usage errors. */
export function parseFlags(command: string, argv: string[], spec: FlagSpec): Record<string, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'; see 'gantry ${command} --help'`);
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const err = e as Error & { code?: string };
    const option = /'(-[^']*)'/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) throw new UsageError(`unknown option '${option}'; see 'gantry ${command} --help'`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
      throw new UsageError(`option '${option}' needs a value (write --name=value for a value that starts with '-'); see 'gantry ${command} --help'`);
    }
    throw new UsageError(`${err.message.split('\n')[0].replace(/\.$/, '')}; see 'gantry ${command} --help'`);
  }
}

/** An integer flag in [min, max], or undefined when absent. */
export function intFlag(values: Record<string, unknown>, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const s = String(raw).trim();
  const n = /^-?\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${s}'`);
  }
  return n;
}

export function stringFlag(values: Record<string, unknown>, name: string): string | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length === 0) throw new UsageError(`--${name} needs a value`);
  return raw;
}

export function choiceFlag<T extends string>(values: Record<string, unknown>, name: string, choices: readonly T[]): T | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${raw}'`);
  return raw as T;
}

/** A finite number flag of at least `min`, or undefined when absent. */
export function numberFlag(values: Record<string, unknown>, name: string, min: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const s = String(raw).trim();
  const n = s === '' ? NaN : Number(s);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number of at least ${min}, got '${s}'`);
  return n;
}
