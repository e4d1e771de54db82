import { UsageError } from '../errors.js';
import { COLOUR_FORMS, parseColour } from './imageFileRules.js';

/**
 * How decoded images (folders, emoji) are made to fit the model: recorded in config.json
 * as `dataOptions`, and part of the decode cache's key (all but `flip` and `strict`,
 * which do not change the decoded bytes).
 */
export interface ImageOptions {
  /** crop: scale to cover, cut the centre; pad: scale to fit, fill the rest with `background`; stretch: ignore the aspect ratio. */
  resize: ResizeMode;
  /** Colour that transparent pixels are composited onto (and pad's fill): a name or #rgb / #rrggbb. */
  background: string;
  /** Mirror each real image left-right with probability 1/2 when a batch is built. */
  flip: boolean;
  /** Stop (exit 2) on a file that cannot be decoded instead of skipping it with a warning. */
  strict: boolean;
}

export type ResizeMode = 'crop' | 'pad' | 'stretch';
export const RESIZE_MODES: readonly ResizeMode[] = ['crop', 'pad', 'stretch'];

export const DEFAULT_IMAGE_OPTIONS: Readonly<ImageOptions> = { resize: 'crop', background: 'white', flip: false, strict: false };

/** A background colour as [r, g, b] bytes; a UsageError names the accepted forms. */
export function parseBackground(text: string, where = '--background'): [number, number, number] {
  const colour = parseColour(text);
  if (colour) return colour;
  throw new UsageError(`${where} '${text}' is not a colour; use ${COLOUR_FORMS}`);
}

/** Checks a `dataOptions` value (from a config file or flags) and fills in defaults. */
export function resolveImageOptions(value: unknown, where: string): ImageOptions {
  if (value === undefined || value === null) return { ...DEFAULT_IMAGE_OPTIONS };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${where}: dataOptions must be an object with resize, background, flip, strict`);
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!(key in DEFAULT_IMAGE_OPTIONS)) throw new UsageError(`${where}: dataOptions has unknown key '${key}'; known keys: resize, background, flip, strict`);
  }
  const out = { ...DEFAULT_IMAGE_OPTIONS, ...v } as ImageOptions;
  if (!RESIZE_MODES.includes(out.resize)) throw new UsageError(`${where}: dataOptions.resize must be one of ${RESIZE_MODES.join(', ')}, got ${JSON.stringify(out.resize)}`);
  if (typeof out.background !== 'string') throw new UsageError(`${where}: dataOptions.background must be a colour such as "white" or "#ffffff"`);
  parseBackground(out.background, `${where}: dataOptions.background`);
  for (const key of ['flip', 'strict'] as const) {
    if (typeof out[key] !== 'boolean') throw new UsageError(`${where}: dataOptions.${key} must be true or false`);
  }
  return out;
}
