import type { GeneratedImages } from '../generator/loadGenerator.js';

/** Image i of a batch as an ImageData. */
export function imageData(images: GeneratedImages, i: number): ImageData {
  return new ImageData(new Uint8ClampedArray(images.imageRgba(i)), images.width, images.height);
}

/** Lays `images` out on `canvas` in `cols` columns with a `gap`-pixel border, at the images' own resolution. */
export function drawGrid(canvas: HTMLCanvasElement, images: GeneratedImages, cols: number, gap: number): void {
  const rows = Math.ceil(images.count / cols);
  canvas.width = cols * images.width + (cols + 1) * gap;
  canvas.height = rows * images.height + (rows + 1) * gap;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < images.count; i++) {
    const x = gap + (i % cols) * (images.width + gap);
    const y = gap + Math.floor(i / cols) * (images.height + gap);
    ctx.putImageData(imageData(images, i), x, y);
  }
}

/** The grid cell under a click, or -1 for the border. */
export function cellAt(canvas: HTMLCanvasElement, event: MouseEvent, images: GeneratedImages, cols: number, gap: number): number {
  const rect = canvas.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width) * canvas.width;
  const y = ((event.clientY - rect.top) / rect.height) * canvas.height;
  const col = Math.floor((x - gap) / (images.width + gap));
  const row = Math.floor((y - gap) / (images.height + gap));
  const i = row * cols + col;
  return col >= 0 && col < cols && row >= 0 && i < images.count ? i : -1;
}

export function drawSingle(canvas: HTMLCanvasElement, images: GeneratedImages, i: number): void {
  canvas.width = images.width;
  canvas.height = images.height;
  canvas.getContext('2d')!.putImageData(imageData(images, i), 0, 0);
}

/** `canvas` scaled up by a whole factor (crisp pixels) to at least `minWidth`, as a PNG download named `name`. */
export function downloadPng(canvas: HTMLCanvasElement, name: string, minWidth: number): void {
  const scale = Math.max(1, Math.ceil(minWidth / canvas.width));
  const big = document.createElement('canvas');
  big.width = canvas.width * scale;
  big.height = canvas.height * scale;
  const ctx = big.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(canvas, 0, 0, big.width, big.height);
  big.toBlob((blob) => {
    if (!blob) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }, 'image/png');
}
