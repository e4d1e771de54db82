// How a folder of images is read, shared with the browser (packages/web/src/studio/folderImages.ts)
// so that the page and `folder:PATH` pick the same files, in the same order, with the same
// classes and colours. It imports nothing: a page bundles it as it is.

/** The file types the folder loader lists; other files in the folder are ignored, not counted as skipped. */
export const IMAGE_EXTENSIONS = /\.(png|jpe?g|webp|gif|avif|tiff?)$/i;
export const IMAGE_TYPES_TEXT = '.png, .jpg, .jpeg, .webp, .gif, .avif, .tif, .tiff';

/** Paths sort by UTF-16 code unit: the same order on every machine, locale and browser. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Class labels for '/'-separated paths relative to the folder: when every image sits in a
 * first-level subfolder, the subfolder names (sorted) are the classes; otherwise there are none.
 * `paths` are all the listed images, the undecodable ones included, so that skipping a file
 * never renumbers the classes.
 */
export function folderClasses(paths: readonly string[]): { classes: string[]; classOf: (path: string) => number } | null {
  if (paths.length === 0 || !paths.every((p) => p.includes('/'))) return null;
  const first = (p: string) => p.slice(0, p.indexOf('/'));
  const classes = [...new Set(paths.map(first))].sort(compareCodeUnits);
  const index = new Map(classes.map((c, i) => [c, i]));
  return { classes, classOf: (p) => index.get(first(p)) ?? -1 };
}

/** The colour names a background may be given by, as [r, g, b] bytes. */
export const NAMED_COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  white: [255, 255, 255], black: [0, 0, 0], grey: [128, 128, 128], gray: [128, 128, 128],
  red: [255, 0, 0], green: [0, 128, 0], blue: [0, 0, 255],
};

/** The accepted forms of a colour, for messages. */
export const COLOUR_FORMS = `#rrggbb, #rgb or one of ${Object.keys(NAMED_COLOURS).join(', ')}`;

/** A colour name or #rgb / #rrggbb (the '#' optional, any case) as [r, g, b] bytes, or null when it is none of those. */
export function parseColour(text: string): [number, number, number] | null {
  const t = text.trim().toLowerCase();
  const named = NAMED_COLOURS[t];
  if (named) return [named[0], named[1], named[2]];
  const hex = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/.exec(t)?.[1];
  if (!hex) return null;
  const full = hex.length === 3 ? [...hex].map((d) => d + d).join('') : hex;
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
}

/** Grey from sRGB bytes, with the Rec. 709 weights the decoder uses when it converts channels. */
export function luma(r: number, g: number, b: number): number {
  return Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
}
