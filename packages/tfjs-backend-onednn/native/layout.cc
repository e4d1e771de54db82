// Data movement: transpose as strided copies, 2x resampling and translation of NHWC images.
#include <algorithm>
#include <string>
#include <vector>

#include "args.h"
#include "families.h"
#include "runtime.h"

namespace onednn_addon {
namespace {

// Copies out[idx] = x[sum(idx[d] * srcStrides[d])] over outShape, innermost
// axis in a tight loop.
void StridedCopy(const float* x, float* out, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& src) {
  size_t rank = shape.size();
  if (rank == 0) {
    out[0] = x[0];
    return;
  }
  int64_t inner = shape[rank - 1], is = src[rank - 1];
  size_t outer = 1;
  for (size_t d = 0; d + 1 < rank; ++d) outer *= shape[d];
  std::vector<int64_t> idx(rank, 0);
  int64_t off = 0;
  for (size_t o = 0; o < outer; ++o) {
    const float* xs = x + off;
    float* os = out + o * inner;
    if (is == 1) {
      for (int64_t j = 0; j < inner; ++j) os[j] = xs[j];
    } else {
      for (int64_t j = 0; j < inner; ++j) os[j] = xs[j * is];
    }
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        off += src[d];
        break;
      }
      off -= src[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

// transpose(x, xShape, perm, out)
napi_value Transpose(Args& a) {
  auto shape = a.Ints(1, "xShape");
  auto perm = a.Ints(2, "perm", shape.size());
  size_t rank = shape.size();
  std::vector<int64_t> stride(rank, 1);
  size_t total = 1;
  for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
    if (shape[d] < 0) a.Fail("xShape", "has a negative dimension");
    stride[d] = total;
    total *= shape[d];
  }
  std::vector<bool> seen(rank, false);
  std::vector<int64_t> outShape(rank), src(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (perm[d] < 0 || perm[d] >= static_cast<int64_t>(rank) || seen[perm[d]]) {
      a.Fail("perm", "is not a permutation of the axes");
    }
    seen[perm[d]] = true;
    outShape[d] = shape[perm[d]];
    src[d] = stride[perm[d]];
  }
  const float* x = a.F32(0, "x", total);
  float* out = a.F32(3, "out", total);
  if (total > 0) StridedCopy(x, out, outShape, src);
  return Undefined(a.env);
}

// Rows [q0, q1) of the small images (q = image * h + row), each with its two rows of the big
// ones; see resample2x below.
GANTRY_VECTOR_CLONES void Resample2xRows(int64_t mode, const float* x, float* y, int64_t w, int64_t c, float scale,
                                         int64_t q0, int64_t q1) {
  const int64_t rowBig = 2 * w * c;
  for (int64_t q = q0; q < q1; ++q) {
    if (mode == 0) {
      const float* smallIn = x + q * w * c;
      float* top = y + 2 * q * rowBig;
      for (int64_t j = 0; j < w; ++j) {
        const float* px = smallIn + j * c;
        float* t0 = top + 2 * j * c;
        for (int64_t k = 0; k < c; ++k) {
          float v = scale * px[k];
          t0[k] = v;
          t0[c + k] = v;
        }
      }
      for (int64_t k = 0; k < rowBig; ++k) top[rowBig + k] = top[k];
    } else {
      const float* top = x + 2 * q * rowBig;
      const float* bottom = top + rowBig;
      float* smallOut = y + q * w * c;
      for (int64_t j = 0; j < w; ++j) {
        const int64_t at = 2 * j * c;
        for (int64_t k = 0; k < c; ++k) {
          smallOut[j * c + k] = scale * ((top[at + k] + top[at + c + k]) + (bottom[at + k] + bottom[at + c + k]));
        }
      }
    }
  }
}

// resample2x(mode, x, y, n, h, w, c, scale) on NHWC images, [h, w] the small size:
//   mode 0 (up):   y [n, 2h, 2w, c] = scale * x [n, h, w, c], each pixel to a 2x2 block
//   mode 1 (down): y [n, h, w, c] = scale * the sum of each 2x2 block of x [n, 2h, 2w, c]
// Each is the other's gradient (with the same scale): nearest upsampling and average pooling.
napi_value Resample2x(Args& a) {
  int64_t mode = a.Int(0, "mode", 0, 1);
  int64_t n = a.Int(3, "n", 0), h = a.Int(4, "h", 0), w = a.Int(5, "w", 0), c = a.Int(6, "c", 0);
  float scale = static_cast<float>(a.Num(7, "scale"));
  size_t small = n * h * w * c, big = 4 * small;
  const float* x = a.F32(1, "x", mode == 0 ? small : big);
  float* y = a.F32(2, "y", mode == 0 ? big : small);
  // one row of the small images (and its two rows of the big ones) at a time
  ParallelRanges(n * h, ThreadsForElements(big),
                 [&](int64_t q0, int64_t q1, int) { Resample2xRows(mode, x, y, w, c, scale, q0, q1); });
  return Undefined(a.env);
}

// Rows [q0, q1) of the images (q = image * h + row) of translate below.
GANTRY_VECTOR_CLONES void TranslateRows(const float* x, float* y, const int64_t* shifts, int64_t h, int64_t w, int64_t c,
                                        int64_t q0, int64_t q1) {
  const int64_t row = w * c;
  for (int64_t q = q0; q < q1; ++q) {
    const int64_t image = q / h, i = q % h;
    const int64_t si = i + shifts[2 * image], dj = shifts[2 * image + 1];
    float* out = y + q * row;
    if (si < 0 || si >= h) {
      std::fill(out, out + row, 0.f);
      continue;
    }
    // columns j whose source j + dj lies in [0, w)
    const int64_t j0 = std::clamp<int64_t>(-dj, 0, w), j1 = std::clamp<int64_t>(w - dj, j0, w);
    const float* in = x + (image * h + si) * row;
    std::fill(out, out + j0 * c, 0.f);
    if (j1 > j0) std::copy(in + (j0 + dj) * c, in + (j1 + dj) * c, out + j0 * c);
    std::fill(out + j1 * c, out + row, 0.f);
  }
}

// The frame translate and cutout share: NHWC images x and y of one shape (n, h, w, c at
// arguments 2 to 5), `perImage` integers per image at argument 6, and
// rows(x, y, ints, h, w, c, q0, q1) over the images' rows split across the threads.
template <typename Rows>
napi_value PerImageRows(Args& a, const char* intsName, int64_t perImage, Rows rows) {
  int64_t n = a.Int(2, "n", 0), h = a.Int(3, "h", 0), w = a.Int(4, "w", 0), c = a.Int(5, "c", 0);
  const size_t size = n * h * w * c;
  const float* x = a.F32(0, "x", size);
  float* y = a.F32(1, "y", size);
  const std::vector<int64_t> ints = a.Ints(6, intsName, perImage * n);
  ParallelRanges(n * h, ThreadsForElements(size),
                 [&](int64_t q0, int64_t q1, int) { rows(x, y, ints.data(), h, w, c, q0, q1); });
  return Undefined(a.env);
}

// translate(x, y, n, h, w, c, shifts) on NHWC images: y[b, i, j] = x[b, i + di, j + dj], zero
// where that lies outside the image, with (di, dj) = (shifts[2b], shifts[2b + 1]). Its
// gradient is the same with the shifts negated.
napi_value Translate(Args& a) { return PerImageRows(a, "shifts", 2, TranslateRows); }

// Rows [q0, q1) of the images (q = image * h + row) of cutout below.
GANTRY_VECTOR_CLONES void CutoutRows(const float* x, float* y, const int64_t* boxes, int64_t h, int64_t w, int64_t c,
                                     int64_t q0, int64_t q1) {
  const int64_t row = w * c;
  for (int64_t q = q0; q < q1; ++q) {
    const int64_t image = q / h, i = q % h;
    const int64_t* box = boxes + 4 * image;
    const int64_t j0 = std::clamp<int64_t>(box[2], 0, w), j1 = std::clamp<int64_t>(box[3], j0, w);
    const float* in = x + q * row;
    float* out = y + q * row;
    if (i < box[0] || i >= box[1] || j0 == j1) {
      std::copy(in, in + row, out);
      continue;
    }
    std::copy(in, in + j0 * c, out);
    // times zero, not a plain zero: the bits of the mask product (-0 for negatives, NaN stays)
    for (int64_t k = j0 * c; k < j1 * c; ++k) out[k] = in[k] * 0.f;
    std::copy(in + j1 * c, in + row, out + j1 * c);
  }
}

// cutout(x, y, n, h, w, c, boxes) on NHWC images: y = x with rows [boxes[4b], boxes[4b + 1])
// and columns [boxes[4b + 2], boxes[4b + 3]) of image b multiplied by zero, the box clipped to
// the image; the same values as multiplying by a mask of ones with that box zero. It is its
// own gradient.
napi_value Cutout(Args& a) { return PerImageRows(a, "boxes", 4, CutoutRows); }

ONEDNN_CALLBACK(TransposeCb, "transpose", 4, Transpose)
ONEDNN_CALLBACK(Resample2xCb, "resample2x", 8, Resample2x)
ONEDNN_CALLBACK(TranslateCb, "translate", 7, Translate)
ONEDNN_CALLBACK(CutoutCb, "cutout", 7, Cutout)

}  // namespace

void RegisterLayout(napi_env env, napi_value exports) {
  ExportFunction(env, exports, "transpose", TransposeCb);
  ExportFunction(env, exports, "resample2x", Resample2xCb);
  ExportFunction(env, exports, "translate", TranslateCb);
  ExportFunction(env, exports, "cutout", CutoutCb);
}

}  // namespace onednn_addon
