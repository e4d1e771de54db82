// G's sample grid in the page: the same layout as `gantry train`'s samples/step-N.png (image i in
// row floor(i / columns), column i % columns, columns = ceil(sqrt(n)), 2 black pixels between),
// drawn to a canvas and saved as PNG into the run's store under the same name.
import type { TrainConfig } from 'gantry-core/config.js';
import type { RunStore } from 'gantry-core/run/store.js';
import type { Gan } from 'gantry-core/train/gan.js';
import { cyclingLabels, generateImages01 } from 'gantry-core/train/images.js';
import { Stream } from 'gantry-core/util/random.js';

const PADDING = 2;

/** The grid of `n` NHWC images in [0, 1] as RGBA pixels (grey repeated into R, G and B). */
export function gridImageData(pixels01: Float32Array, n: number, h: number, w: number, c: number): ImageData {
  const columns = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / columns);
  const width = columns * (w + PADDING) + PADDING;
  const height = rows * (h + PADDING) + PADDING;
  const out = new ImageData(width, height);
  for (let p = 3; p < out.data.length; p += 4) out.data[p] = 255;
  const byte = (v: number) => (!(v > 0) ? 0 : v >= 1 ? 255 : Math.round(v * 255));
  for (let i = 0; i < n; i++) {
    const top = PADDING + Math.floor(i / columns) * (h + PADDING);
    const left = PADDING + (i % columns) * (w + PADDING);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = ((i * h + y) * w + x) * c;
        const dst = ((top + y) * width + left + x) * 4;
        for (let k = 0; k < 3; k++) out.data[dst + k] = byte(pixels01[src + (c === 1 ? 0 : k)]!);
      }
    }
  }
  return out;
}

/** The file name `gantry train` gives the grid of a step. */
export function sampleFileName(step: number): string {
  return `samples/step-${String(step).padStart(9, '0')}.png`;
}

/**
 * The run's fixed-noise samples at `step`: drawn to `canvas` (resized to the grid) and written to
 * the store as PNG. The noise and labels are the CLI's (seed, Stream.sampleNoise, cycling classes).
 */
export async function drawAndSaveSamples(gan: Gan, config: TrainConfig, step: number, canvas: HTMLCanvasElement, store: RunStore): Promise<void> {
  const pixels = await generateImages01(gan, config.seed, Stream.sampleNoise, config.sampleCount, cyclingLabels(config));
  const [h, w, c] = gan.G.outputShape;
  const image = gridImageData(pixels, config.sampleCount, h!, w!, c!);
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  canvas.dataset.step = String(step);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (blob) await store.write(sampleFileName(step), new Uint8Array(await blob.arrayBuffer()));
}
