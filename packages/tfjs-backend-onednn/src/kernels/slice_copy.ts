// Copies between a row-major array and a box inside another, one contiguous run at a time
// (the cpu kernels index element by element). Trailing axes that the box spans whole are
// merged into the run, so slicing or padding an image batch on height and width copies
// whole rows of width x channels instead of one channel triple at a time.

/** The box as (outer count, run length, start offsets of each run in the big array). */
function runs(shape: readonly number[], begin: readonly number[], size: readonly number[], visit: (from: number, o: number, run: number) => void): void {
  const rank = shape.length;
  if (rank === 0) {
    visit(0, 0, 1);
    return;
  }
  // merge trailing axes taken whole into the innermost one
  let last = rank - 1;
  let run = size[last]!;
  while (last > 0 && size[last] === shape[last] && begin[last] === 0) {
    last--;
    run *= size[last]!;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  let base = 0;
  for (let i = last; i < rank; i++) base += begin[i]! * strides[i]!;
  let outer = 1;
  for (let i = 0; i < last; i++) outer *= size[i]!;
  const at = new Array<number>(last).fill(0);
  for (let o = 0; o < outer; o++) {
    let from = base;
    for (let i = 0; i < last; i++) from += (begin[i]! + at[i]!) * strides[i]!;
    visit(from, o, run);
    for (let i = last - 1; i >= 0; i--) {
      if (++at[i]! < size[i]!) break;
      at[i] = 0;
    }
  }
}

/** dst (dense, of shape `size`) = the box [begin, begin + size) of src (of shape `shape`). */
export function copyBox(src: Float32Array, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: Float32Array): void {
  runs(shape, begin, size, (from, o, run) => dst.set(src.subarray(from, from + run), o * run));
}

/** The box [begin, begin + size) of dst (of shape `shape`) = src (dense, of shape `size`). */
export function placeBox(src: Float32Array, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: Float32Array): void {
  runs(shape, begin, size, (to, o, run) => dst.set(src.subarray(o * run, o * run + run), to));
}
