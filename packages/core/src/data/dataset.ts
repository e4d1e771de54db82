/**
 * An in-memory image dataset, as every data source returns it.
 * Pixels are NHWC float32 in [0, 1]; models that want [-1, 1] rescale at batch time.
 * Sources of decoded images (folders, emoji) keep their pixels as bytes (`bytes01` below):
 * batches are built from the bytes, and the float copy is only made if something reads
 * `pixels01` (100,000 images of 64x64x3 are 1.2 GB as bytes, four times that as floats).
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
  /** The same pixels as bytes 0..255 ([count, height, width, channels]), when the source decoded them. */
  readonly bytes?: Uint8Array;
  /** Mirror every image left-right with probability 1/2 at batch time (`--flip`). */
  readonly flip?: boolean;
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
