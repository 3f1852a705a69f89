// MAX_POOL_2D and AVERAGE_POOL_2D reference kernels (TFLite reference_ops / reference_integer_ops):
// windows clipped to the image, max or rounded mean of the in-image taps, then the activation clamp.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "qint8/ops.h"

namespace qint8 {
namespace {

struct PoolShape {
  int64_t batches, in_h, in_w, channels, out_h, out_w, filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
  int32_t act_min, act_max;

  static PoolShape FromGeometry(const int32_t* g) {
    using namespace pool_field;
    return PoolShape{g[kBatches], g[kInputHeight], g[kInputWidth], g[kChannels], g[kOutputHeight],
                     g[kOutputWidth], g[kFilterHeight], g[kFilterWidth], g[kStrideHeight], g[kStrideWidth],
                     g[kPadTop], g[kPadLeft], g[kActivationMin], g[kActivationMax]};
  }
  bool EmptyOutput() const { return batches == 0 || out_h == 0 || out_w == 0 || channels == 0; }
};

// The in-image taps [begin, end) of one window along one axis, as input coordinates.
struct Span {
  int64_t begin, end;
};

// TFLite: origin = o*stride - pad; filter taps [max(0, -origin), min(filter, in - origin)).
Span WindowSpan(int64_t o, int64_t stride, int64_t pad, int64_t filter, int64_t in) {
  const int64_t origin = o * stride - pad;
  const int64_t first = std::max<int64_t>(0, -origin);
  const int64_t last = std::min<int64_t>(filter, in - origin);
  return Span{origin + first, origin + std::max(first, last)};
}

// Calls reduce(channel_base, ys, xs) for each output element, where channel_base points at channel c of
// the input's (n, 0, 0) pixel, and stores what it returns.
template <typename In, typename Reduce>
void ForEachWindow(const In* input, const PoolShape& s, uint8_t* out, Reduce reduce) {
  for (int64_t n = 0; n < s.batches; ++n) {
    for (int64_t oy = 0; oy < s.out_h; ++oy) {
      const Span ys = WindowSpan(oy, s.stride_h, s.pad_top, s.filter_h, s.in_h);
      for (int64_t ox = 0; ox < s.out_w; ++ox) {
        const Span xs = WindowSpan(ox, s.stride_w, s.pad_left, s.filter_w, s.in_w);
        uint8_t* pixel = out + ((n * s.out_h + oy) * s.out_w + ox) * s.channels;
        const In* image = input + n * s.in_h * s.in_w * s.channels;
        for (int64_t c = 0; c < s.channels; ++c) {
          const int32_t value = reduce(image + c, ys, xs);
          pixel[c] = static_cast<uint8_t>(std::min(std::max(value, s.act_min), s.act_max));
        }
      }
    }
  }
}

template <typename In>
void MaxPoolTyped(const In* input, const PoolShape& s, uint8_t* out) {
  ForEachWindow(input, s, out, [&s](const In* channel, Span ys, Span xs) {
    int32_t max = std::numeric_limits<In>::lowest();
    for (int64_t y = ys.begin; y < ys.end; ++y) {
      for (int64_t x = xs.begin; x < xs.end; ++x) max = std::max<int32_t>(max, channel[(y * s.in_w + x) * s.channels]);
    }
    return max;
  });
}

// TFLite's rounding of the mean: (sum +- count/2) / count with C truncation, i.e. half away from zero.
// The sum is exact in 64 bits (TFLite's int32 sum could only overflow beyond 2^24 taps).
template <typename In>
void AveragePoolTyped(const In* input, const PoolShape& s, uint8_t* out) {
  ForEachWindow(input, s, out, [&s](const In* channel, Span ys, Span xs) {
    int64_t sum = 0;
    for (int64_t y = ys.begin; y < ys.end; ++y) {
      for (int64_t x = xs.begin; x < xs.end; ++x) sum += channel[(y * s.in_w + x) * s.channels];
    }
    const int64_t count = (ys.end - ys.begin) * (xs.end - xs.begin);
    if (count == 0) return int32_t{0};  // unreachable: callers reject geometries with empty windows
    const int64_t mean = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
    return static_cast<int32_t>(mean);
  });
}

}  // namespace

void MaxPool2D(ByteTensor input, const int32_t* geometry, uint8_t* out) {
  const PoolShape s = PoolShape::FromGeometry(geometry);
  if (s.EmptyOutput()) return;
  if (input.is_signed) {
    MaxPoolTyped(reinterpret_cast<const int8_t*>(input.data), s, out);
  } else {
    MaxPoolTyped(input.data, s, out);
  }
}

void AveragePool2D(ByteTensor input, const int32_t* geometry, uint8_t* out) {
  const PoolShape s = PoolShape::FromGeometry(geometry);
  if (s.EmptyOutput()) return;
  if (input.is_signed) {
    AveragePoolTyped(reinterpret_cast<const int8_t*>(input.data), s, out);
  } else {
    AveragePoolTyped(input.data, s, out);
  }
}

}  // namespace qint8
