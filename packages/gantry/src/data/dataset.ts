/**
 * An in-memory image dataset, as every data source returns it.
 * Pixels are NHWC float32 in [0, 1]; models that want [-1, 1] rescale at batch time.
 */
export interface ImageSet {
  /** The data spec it came from, e.g. `mnist` or `npy:/data/x.npy`. */
  readonly source: string;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** [count, height, width, channels], values in [0, 1]. */
  readonly pixels01: Float32Array;
  /** Class index per image, when the source has labels. */
  readonly labels?: Int32Array;
  readonly numClasses?: number;
}

/** What the model needs the data to look like; sources that can resize (folders) use it. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

export function imageSize(set: Pick<ImageSet, 'height' | 'width' | 'channels'>): number {
  return set.height * set.width * set.channels;
}
