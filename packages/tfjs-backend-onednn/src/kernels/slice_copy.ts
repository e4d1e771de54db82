// Copy a box [begin, begin + size) out of a row-major array, one contiguous run of the
// innermost axis at a time (the cpu kernels index element by element).
export function copyBox(src: Float32Array, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: Float32Array): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  const run = size[rank - 1]!;
  const outer = size.slice(0, -1).reduce((a, b) => a * b, 1);
  const at = new Array<number>(rank - 1).fill(0);
  for (let o = 0; o < outer; o++) {
    let from = begin[rank - 1]!;
    for (let i = 0; i < rank - 1; i++) from += (begin[i]! + at[i]!) * strides[i]!;
    dst.set(src.subarray(from, from + run), o * run);
    for (let i = rank - 2; i >= 0; i--) {
      if (++at[i]! < size[i]!) break;
      at[i] = 0;
    }
  }
}
